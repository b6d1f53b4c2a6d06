package sync_test

import (
	"context"
	"fmt"
	"github.com/rs/zerolog"
	"github.com/ticaga/ticaga-sync/ticaga"
	"net/http"
	gosync "sync"
	"testing"
	"time"

	"github.com/ticaga/ticaga-sync/billing/blesta/blestatest"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

// A user that appears in Ticaga between the refresh and a creation gets a
// lower id than the created one: a creation must not move the scan past it
// (found in review: the created user raised the cached highest id). Here the
// other user shares user 1's email, so a customer with that email must be a
// duplicate_ticaga_email conflict, not linked to user 1.
func TestProvisionNeverHidesUsersCreatedMeanwhile(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		provisioned(h, 50)
		h.user("someone@example.com", "", "")                  // id 1
		h.client(blestatest.Client{Email: "erin@example.com"}) // no match: created
		var once gosync.Once
		h.fake.SetHooks(ticagatest.Hooks{BeforeRequest: func(endpoint string, _ *http.Request) {
			if endpoint == "register" {
				// someone signs up on the Ticaga web site meanwhile: id 2
				once.Do(func() { h.fake.AddUser(ticagatest.User{Name: "Dup", Email: "someone@example.com"}) })
			}
		}})
		h.mustRun(ticagasync.RunOptions{})
		h.fake.SetHooks(ticagatest.Hooks{})
		h.mustRun(ticagasync.RunOptions{})
		h.mustRun(ticagasync.RunOptions{})
		if _, ok := userCached(h, 2); !ok {
			t.Errorf("Ticaga user 2 (created by someone else during the run) is never read into the directory")
		}
		id := h.client(blestatest.Client{Email: "someone@example.com"})
		rep := h.mustRun(ticagasync.RunOptions{})
		if d := decisionFor(rep, id); d.Action != ticagasync.ActionConflict {
			t.Errorf("customer with an email two Ticaga users share: %+v, want conflict duplicate_ticaga_email", d)
		}
	})
}

// The re-read after "email taken" starts below this run's creations, so a
// taken email whose user lies below them is found, and linked next run.
func TestProvisionTakenBelowACreatedUserIsFound(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		provisioned(h, 50)
		h.engine.Concurrency = 1
		h.user("someone@example.com", "", "") // id 1
		dana := h.client(blestatest.Client{Email: "dana@example.com"})
		h.client(blestatest.Client{Email: "erin@example.com"})
		var once gosync.Once
		h.fake.SetHooks(ticagatest.Hooks{BeforeRequest: func(endpoint string, _ *http.Request) {
			if endpoint == "register" {
				once.Do(func() { h.fake.AddUser(ticagatest.User{Name: "Dana", Email: "dana@example.com"}) }) // id 2
			}
		}})
		rep := h.mustRun(ticagasync.RunOptions{})
		h.fake.SetHooks(ticagatest.Hooks{})
		t.Logf("run 1: dana %+v", decisionFor(rep, dana))
		for i := 2; i <= 4; i++ {
			rep = h.mustRun(ticagasync.RunOptions{})
			t.Logf("run %d: dana %s/%s", i, decisionFor(rep, dana).Action, decisionFor(rep, dana).Reason)
		}
		if d := decisionFor(rep, dana); d.Action != ticagasync.ActionLink && d.Action != ticagasync.ActionAlreadyLinked {
			t.Errorf("after 4 runs dana = %s/%s, register calls %d; want linked to user 2", d.Action, d.Reason, h.fake.Calls("register"))
		}
	})
}

// A customer Ticaga always refuses (a 422 that is not "taken") goes after
// the others, so it cannot take the brake's slots run after run.
func TestProvisionRefusalsDoNotStarveTheBrake(t *testing.T) {
	h := newHarness(t)
	provisioned(h, 1)
	h.user("someone@example.com", "", "")
	a := h.client(blestatest.Client{Email: "a@example.com"})
	b := h.client(blestatest.Client{Email: "b@example.com"})
	h.fake.SetHooks(ticagatest.Hooks{BeforeRegister: func(email string) string {
		if email == "a@example.com" {
			return "The email must be a valid email address." // Ticaga refuses a's account every time
		}
		return ""
	}})
	var rep *ticagasync.Report
	for range 3 {
		rep, _ = h.run(ticagasync.RunOptions{})
	}
	if d := decisionFor(rep, a); d.Action != ticagasync.ActionNoMatch || d.Reason != ticagasync.ReasonProvisionRefused {
		t.Errorf("a = %+v, want no_match provision_refused", d)
	}
	paired := false
	for _, bid := range h.pairings() {
		paired = paired || bid == b
	}
	if !paired {
		d := decisionFor(rep, b)
		t.Errorf("after 3 runs b = %s/%s (register calls %d); a refused account starves the brake", d.Action, d.Reason, h.fake.Calls("register"))
	}
}

// A register whose answer is lost (Ticaga created the user) is repaired by
// the next run even when another creation of the same run got a higher id:
// the lost user is read, found carrying the billing id, and paired.
func TestProvisionLostAnswerIsRepairedBesideOtherCreations(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		provisioned(h, 50)
		h.engine.Concurrency = 1
		client, err := ticaga.New(ticaga.Config{BaseURL: h.fake.URL(), Token: ticaga.Secret(token), Timeout: 300 * time.Millisecond,
			MaxRetries: 1, Logger: zerolog.Nop()})
		if err != nil {
			t.Fatal(err)
		}
		h.engine.Ticaga = client
		h.user("someone@example.com", "", "") // id 1
		a := h.client(blestatest.Client{Email: "a@example.com"})
		h.client(blestatest.Client{Email: "b@example.com"})
		var once gosync.Once
		h.fake.SetHooks(ticagatest.Hooks{BeforeRequest: func(endpoint string, r *http.Request) {
			if endpoint == "register" && r.PostFormValue("email") == "a@example.com" {
				once.Do(func() {
					// Ticaga creates a's account (id 2); its answer never arrives.
					h.fake.AddUser(ticagatest.User{Name: "Test Client", Email: "a@example.com", BillingID: fmt.Sprint(a), BillingSystem: "Blesta"})
					time.Sleep(600 * time.Millisecond)
				})
			}
		}})
		rep, _ := h.run(ticagasync.RunOptions{})
		t.Logf("run 1: a %s/%s", decisionFor(rep, a).Action, decisionFor(rep, a).Reason)
		h.fake.SetHooks(ticagatest.Hooks{})
		for i := 2; i <= 3; i++ {
			rep, _ = h.run(ticagasync.RunOptions{})
			t.Logf("run %d: a %s/%s", i, decisionFor(rep, a).Action, decisionFor(rep, a).Reason)
		}
		if h.pairings()[2] != a {
			t.Errorf("a's account (Ticaga user 2) is never paired: pairings %v, register calls %d", h.pairings(), h.fake.Calls("register"))
		}
	})
}

// otherAnswer is a Ticaga whose register answer is about another user (as
// Laravel's firstOrCreate would answer): the answer is checked, and nothing
// is paired with it.
type otherAnswer struct {
	ticagasync.Ticaga
	h *harness
}

func (o otherAnswer) CreateUser(ctx context.Context, u ticagasync.NewUser) (ticagasync.TicagaUser, error) {
	return o.Ticaga.LookupUser(ctx, 1)
}

func TestProvisionChecksTheRegisterAnswer(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		provisioned(h, 50)
		h.user("someone@example.com", "77", "Blesta") // id 1, another customer's
		id := h.client(blestatest.Client{Email: "new@example.com"})
		h.engine.Ticaga = otherAnswer{Ticaga: h.engine.Ticaga, h: h}
		rep := h.mustRun(ticagasync.RunOptions{})
		d := decisionFor(rep, id)
		if h.pairings()[1] == id {
			t.Errorf("customer %d (new@example.com) paired with Ticaga user 1 (someone@example.com, billing id 77): %s %s", id, d.Action, d.Detail)
		}
	})
}
