package sync_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/ticaga/ticaga-sync/billing/blesta/blestatest"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

func provisioned(h *harness, max int) {
	h.engine.Provision = ticagasync.Provisioning{Enabled: true, Max: max}
}

// ticagaUserWith returns the fake's user with email, if any.
func ticagaUserWith(h *harness, email string) (ticagatest.User, bool) {
	for _, u := range h.fake.Users() {
		if strings.EqualFold(u.Email, email) {
			return u, true
		}
	}
	return ticagatest.User{}, false
}

// Accounts are created exactly for the customers no Ticaga user matches:
// never for a conflict, an invalid email or a duplicate billing email. A
// second run creates nothing and assigns nothing.
func TestProvisionCreatesExactlyForNoMatch(t *testing.T) {
	h := newHarness(t)
	w := seedWorld(h)
	provisioned(h, 50)
	before := len(h.fake.Users())

	rep := h.mustRun(ticagasync.RunOptions{})

	if got := h.fake.Calls("register"); got != 1 || len(h.fake.Users()) != before+1 {
		t.Fatalf("%d register calls, %d new users; want exactly carol's", got, len(h.fake.Users())-before)
	}
	carol, ok := ticagaUserWith(h, "carol@example.com")
	if !ok || carol.BillingID != fmt.Sprint(w.noMatch) || carol.BillingSystem != "Blesta" || carol.Name != "Test Client" {
		t.Fatalf("created user = %+v", carol)
	}
	d := decisionFor(rep, w.noMatch)
	if d.Action != ticagasync.ActionCreate || d.TicagaID != carol.ID || rep.Counts.Created != 1 {
		t.Fatalf("decision = %+v, counts %+v", d, rep.Counts)
	}
	if h.pairings()[carol.ID] != w.noMatch {
		t.Fatalf("no pairing row for the created user: %v", h.pairings())
	}
	for _, id := range []int64{w.dupBill1, w.dupBill2, w.invalid, w.noContact, w.dupTicaga} {
		if d := decisionFor(rep, id); d.Action == ticagasync.ActionCreate {
			t.Fatalf("created an account for %+v", d)
		}
	}

	rep = h.mustRun(ticagasync.RunOptions{})
	if h.fake.Calls("register") != 1 || rep.Counts.Created != 0 || rep.APICalls[ticagasync.EndpointAssign] != 0 {
		t.Fatalf("second run: %+v, calls %v", rep.Counts, rep.APICalls)
	}
	if d := decisionFor(rep, w.noMatch); d.Action != ticagasync.ActionAlreadyLinked {
		t.Fatalf("second run: carol = %+v", d)
	}
}

// The brake: at most Max accounts per run; the rest stay no_match with
// provision_limit, and the run's other work goes on.
func TestProvisionBrake(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		provisioned(h, 2)
		linkID := h.client(blestatest.Client{Email: "linked@example.com"})
		h.user("linked@example.com", "", "")
		var ids []int64
		for i := range 5 {
			ids = append(ids, h.client(blestatest.Client{Email: fmt.Sprintf("new%d@example.com", i)}))
		}
		rep := h.mustRun(ticagasync.RunOptions{})
		if rep.Counts.Created != 2 || rep.Counts.Linked != 1 || h.fake.Calls("register") != 2 {
			t.Fatalf("counts %+v, %d register calls", rep.Counts, h.fake.Calls("register"))
		}
		for i, id := range ids {
			d := decisionFor(rep, id)
			switch {
			case i < 2 && d.Action != ticagasync.ActionCreate:
				t.Fatalf("customer %d: %+v, want create", id, d)
			case i >= 2 && (d.Action != ticagasync.ActionNoMatch || d.Reason != ticagasync.ReasonProvisionLimit || !strings.Contains(d.Detail, "SYNC_PROVISION_MAX=2")):
				t.Fatalf("customer %d: %+v, want no_match provision_limit", id, d)
			}
		}
		if decisionFor(rep, linkID).Action != ticagasync.ActionLink {
			t.Fatal("the link was not made")
		}
		rep = h.mustRun(ticagasync.RunOptions{})
		rep = h.mustRun(ticagasync.RunOptions{})
		if h.fake.Calls("register") != 5 || len(h.pairings()) != 6 {
			t.Fatalf("after three runs: %d register calls, pairings %v", h.fake.Calls("register"), h.pairings())
		}
	})
}

// A dry run lists what it would create and creates nothing.
func TestProvisionDryRun(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w := seedWorld(h)
		provisioned(h, 50)
		rep := h.mustRun(ticagasync.RunOptions{DryRun: true})
		if d := decisionFor(rep, w.noMatch); d.Action != ticagasync.ActionCreate || rep.Counts.Created != 1 {
			t.Fatalf("dry run: %+v, counts %+v", d, rep.Counts)
		}
		if h.fake.Calls("register") != 0 || len(h.pairings()) != 0 {
			t.Fatal("a dry run created or paired")
		}
	})
}

// Ticaga says the email is taken (someone created the account meanwhile):
// the customer stays no_match, the directory is re-read around it, and the
// next run links the account instead of registering it again.
func TestProvisionEmailTaken(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		provisioned(h, 50)
		h.user("someone@example.com", "", "")
		id := h.client(blestatest.Client{Email: "dana@example.com"})
		h.fake.SetHooks(ticagatest.Hooks{BeforeRequest: func(endpoint string, _ *http.Request) {
			if endpoint == "register" {
				h.fake.AddUser(ticagatest.User{Name: "Dana", Email: "Dana@example.com"})
			}
		}})
		rep := h.mustRun(ticagasync.RunOptions{})
		d := decisionFor(rep, id)
		if d.Action != ticagasync.ActionNoMatch || d.Reason != ticagasync.ReasonTicagaEmailTaken {
			t.Fatalf("decision = %+v, want no_match ticaga_email_taken", d)
		}
		if _, ok := userCached(h, 2); !ok {
			t.Fatalf("the directory was not re-read after the email was taken: %+v %v", rep.Directory, rep.APICalls)
		}
		h.fake.SetHooks(ticagatest.Hooks{})
		rep = h.mustRun(ticagasync.RunOptions{})
		if d := decisionFor(rep, id); d.Action != ticagasync.ActionLink || d.TicagaID != 2 || h.fake.Calls("register") != 1 {
			t.Fatalf("next run: %+v, %d register calls", d, h.fake.Calls("register"))
		}
	})
}

// Nothing is created while the directory is incomplete: an unreadable
// Ticaga user might have the email.
func TestProvisionWaitsForACompleteDirectory(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		provisioned(h, 50)
		h.engine.UnreadableAfter = 1
		h.user("someone@example.com", "", "")
		broken := h.user("maybe-dana@example.com", "", "")
		h.fake.SetUserFault(broken, ticagatest.UserFault{Status: 500, Body: []byte(`{"message":"Server Error"}`)})
		id := h.client(blestatest.Client{Email: "dana@example.com"})
		rep := h.mustRun(ticagasync.RunOptions{})
		d := decisionFor(rep, id)
		if d.Action != ticagasync.ActionNoMatch || d.Reason != ticagasync.ReasonProvisionBlocked || !strings.Contains(d.Detail, fmt.Sprintf("id %d", broken)) {
			t.Fatalf("decision = %+v", d)
		}
		if h.fake.Calls("register") != 0 {
			t.Fatal("registered with an unreadable user pending")
		}
	})
}
