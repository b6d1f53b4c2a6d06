package sync_test

import (
	"context"
	"errors"
	"maps"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
	"github.com/ticaga/ticaga-sync/sync/synctest"
	"github.com/ticaga/ticaga-sync/ticaga"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

// memWorld is the engine on the in-memory store and contact list, with the
// fake Ticaga over loopback: the engine's rules without a database.
type memWorld struct {
	t        *testing.T
	store    *synctest.Store
	contacts *synctest.Contacts
	fake     *ticagatest.Server
	engine   *ticagasync.Engine
}

func newMemWorld(t *testing.T) *memWorld {
	t.Helper()
	fake := ticagatest.New(ticagatest.Options{Token: token})
	t.Cleanup(fake.Close)
	client, err := ticaga.New(ticaga.Config{BaseURL: fake.URL(), Token: ticaga.Secret(token), Timeout: 5 * time.Second,
		MaxRetries: 1, Logger: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	w := &memWorld{t: t, store: &synctest.Store{}, contacts: &synctest.Contacts{}, fake: fake}
	w.engine, err = ticagasync.New(ticagasync.Engine{Name: "blesta", Target: fake.URL(), System: "Blesta",
		Source: w.contacts, Ticaga: client, Store: w.store, Concurrency: 4, DirectoryGap: 5, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *memWorld) client(id int64, email string) int64 {
	w.contacts.List = append(w.contacts.List, synctest.Email(id, email))
	return id
}

func (w *memWorld) user(email, billingID, system string) int64 {
	return w.fake.AddUser(ticagatest.User{Name: "User " + email, Email: email, BillingID: billingID, BillingSystem: system})
}

func (w *memWorld) run(opt ticagasync.RunOptions) *ticagasync.Report {
	w.t.Helper()
	rep, err := w.engine.Run(w.t.Context(), opt)
	if err != nil {
		w.t.Fatalf("run: %v", err)
	}
	return rep
}

// Every rule of the planner, carried out by a whole run on the in-memory
// store: the links made, the conflicts reported, and a second run that
// assigns and changes nothing.
func TestEngineRulesOnTheMemoryStore(t *testing.T) {
	w := newMemWorld(t)
	link := w.client(1, "alice@example.com")
	padded := w.client(2, "  Bob@Example.COM ")
	noMatch := w.client(3, "carol@example.com")
	dup1, dup2 := w.client(4, "shared@example.com"), w.client(5, "SHARED@example.com")
	twin := w.client(6, "twin@example.com")
	otherID := w.client(7, "dave@example.com")
	otherSystem := w.client(8, "erin@example.com")
	invalid := w.client(9, "not-an-address")
	already := w.client(10, "heidi@example.com")
	w.contacts.List = append(w.contacts.List, ticagasync.Contact{BillingID: "11", Problem: "no primary contact"})

	uLink := w.user("alice@example.com", "", "")
	uPadded := w.user("bob@example.com", "0", "")
	w.user("twin@example.com", "", "")
	w.user("Twin@Example.com", "", "")
	w.user("shared@example.com", "", "")
	w.user("dave@example.com", "999", "Blesta")
	w.user("erin@example.com", strconv.FormatInt(otherSystem, 10), "WHMCS")
	uAlready := w.user("heidi@example.com", strconv.FormatInt(already, 10), "blesta")

	rep := w.run(ticagasync.RunOptions{})
	want := map[int64]string{
		link: "link/", padded: "link/", already: "link/", noMatch: "no_match/no_ticaga_user",
		dup1: "conflict/duplicate_billing_email", dup2: "conflict/duplicate_billing_email",
		twin: "conflict/duplicate_ticaga_email", otherID: "conflict/ticaga_user_has_other_billing_id",
		otherSystem: "conflict/ticaga_user_has_other_billing_system", invalid: "invalid_email/malformed_email",
		11: "invalid_email/bad_billing_row",
	}
	got := map[int64]string{}
	for d := range rep.All() {
		got[bid(d.Contact.BillingID)] = string(d.Action) + "/" + string(d.Reason)
	}
	if !maps.Equal(got, want) {
		t.Fatalf("decisions:\n got %v\nwant %v", got, want)
	}
	if p := w.store.Pairings(); !maps.Equal(p, map[int64]ticagasync.BillingID{uLink: ticagasync.BillingIDOf(link), uPadded: ticagasync.BillingIDOf(padded), uAlready: ticagasync.BillingIDOf(already)}) {
		t.Fatalf("pairings = %v", p)
	}
	if a := w.fake.Assignments(); len(a) != 2 {
		t.Fatalf("assignments = %+v, want alice and bob only (heidi already carries hers)", a)
	}
	if open := w.store.Decisions("blesta"); len(open) != 8 {
		t.Fatalf("open decisions = %v", open)
	}

	before := w.store.Decisions("blesta")
	rep = w.run(ticagasync.RunOptions{})
	if rep.APICalls[ticagasync.EndpointAssign] != 0 || rep.Counts.AlreadyLinked != 3 || !maps.EqualFunc(before, w.store.Decisions("blesta"),
		func(a, b ticagasync.DecisionRecord) bool { return a == b }) {
		t.Fatalf("second run: %+v, calls %v", rep.Counts, rep.APICalls)
	}
	if runs := w.store.Runs(); len(runs) != 2 || runs[1].Outcome != ticagasync.OutcomeCompleted {
		t.Fatalf("runs = %+v", runs)
	}
}

// A dry run plans without writing; a rejected token writes nothing.
func TestEngineDryRunAndRejectedTokenOnTheMemoryStore(t *testing.T) {
	w := newMemWorld(t)
	w.client(1, "alice@example.com")
	w.user("alice@example.com", "", "")
	rep := w.run(ticagasync.RunOptions{DryRun: true})
	if rep.Counts.Linked != 1 || len(w.store.Pairings()) != 0 || len(w.fake.Assignments()) != 0 {
		t.Fatalf("dry run wrote: %+v", rep.Counts)
	}
	// Only its run record, marked a dry run.
	if runs := w.store.Runs(); len(runs) != 1 || runs[0].Kind != ticagasync.KindDryRun || !runs[0].DryRun || runs[0].Outcome != ticagasync.OutcomeCompleted {
		t.Fatalf("runs after a dry run: %+v", runs)
	}
	w.fake.RevokeToken()
	if _, err := w.engine.Run(t.Context(), ticagasync.RunOptions{}); !errors.Is(err, ticagasync.ErrUnauthorized) {
		t.Fatalf("err = %v", err)
	}
	if users, _ := w.store.DirectoryUsers(t.Context(), w.fake.URL()); len(users) != 0 || len(w.store.Pairings()) != 0 {
		t.Fatal("a rejected token wrote")
	}
}

// Unlink as an engine operation: under the run lock, only the row shown,
// clearing Ticaga only when it carries this customer's id.
func TestEngineUnlink(t *testing.T) {
	w := newMemWorld(t)
	ctx := t.Context()
	w.client(1, "alice@example.com")
	w.client(2, "bob@example.com")
	ua, ub := w.user("alice@example.com", "", ""), w.user("bob@example.com", "", "")
	w.run(ticagasync.RunOptions{})

	if _, err := w.engine.PairingOfClient(ctx, "3"); !errors.Is(err, ticagasync.ErrNoPairing) {
		t.Fatalf("PairingOfClient(3) = %v, want ErrNoPairing", err)
	}
	p, err := w.engine.PairingOfClient(ctx, "1")
	if err != nil || p.TicagaUserID != ua {
		t.Fatalf("PairingOfClient(1) = %+v, %v", p, err)
	}
	// Held lock: refused, nothing changed.
	_, unlock, _ := w.store.Lock(ctx, "blesta", 0)
	if _, err := w.engine.Unlink(ctx, p, false); !errors.Is(err, ticagasync.ErrLocked) {
		t.Fatalf("Unlink under a held lock = %v", err)
	}
	unlock()
	// A row that changed since it was shown: refused.
	stale := p
	stale.Email = "old@example.com"
	if _, err := w.engine.Unlink(ctx, stale, false); !errors.Is(err, ticagasync.ErrChanged) {
		t.Fatalf("Unlink of a changed row = %v", err)
	}
	res, err := w.engine.Unlink(ctx, p, false)
	if err != nil || res.Cleared || w.store.Pairings()[ua] != "" {
		t.Fatalf("Unlink = %+v, %v; pairings %v", res, err, w.store.Pairings())
	}
	if u, _ := w.fake.User(ua); u.BillingID != "1" {
		t.Fatal("unlink without clearRemote changed Ticaga")
	}

	// clearRemote: refused while Ticaga carries another id, done otherwise.
	pb, _ := w.engine.PairingOfClient(ctx, "2")
	w.fake.DeleteUser(ub)
	w.fake.AddUser(ticagatest.User{ID: ub, Email: "bob@example.com", BillingID: "77", BillingSystem: "Blesta"})
	if _, err := w.engine.Unlink(ctx, pb, true); err == nil || w.store.Pairings()[ub] != "2" {
		t.Fatalf("clearRemote over another id = %v", err)
	}
	w.fake.DeleteUser(ub)
	w.fake.AddUser(ticagatest.User{ID: ub, Email: "bob@example.com", BillingID: "2", BillingSystem: "Blesta"})
	res, err = w.engine.Unlink(ctx, pb, true)
	if err != nil || !res.Cleared || len(w.store.Pairings()) != 0 {
		t.Fatalf("clearRemote = %+v, %v", res, err)
	}
	if u, _ := w.fake.User(ub); u.BillingID != "0" {
		t.Fatalf("Ticaga user carries %q after clearRemote", u.BillingID)
	}
}

// Explain as an engine operation: the decision a run would take now, with
// the facts behind it, and the unknown users that could change it.
func TestEngineExplain(t *testing.T) {
	w := newMemWorld(t)
	ctx := t.Context()
	w.client(1, "alice@example.com")
	w.client(2, "shared@example.com")
	w.client(3, "Shared@example.com")
	w.client(4, "carol@example.com")
	ua := w.user("alice@example.com", "", "")
	w.run(ticagasync.RunOptions{})
	if err := w.store.SaveDirectory(ctx, w.fake.URL(), ticagasync.DirectoryCheckpoint{
		Unknown: []ticagasync.UnknownUser{{ID: 99, Runs: 1, LastError: "HTTP 500"}}}); err != nil {
		t.Fatal(err)
	}

	res, err := w.engine.Explain(ctx, "1", "")
	if err != nil || len(res.Explanations) != 1 {
		t.Fatalf("Explain(1) = %+v, %v", res, err)
	}
	x := res.Explanations[0]
	if x.Decision.Action != ticagasync.ActionAlreadyLinked || len(x.Pairings) != 1 || x.Pairings[0].TicagaUserID != ua ||
		len(x.Users) != 1 || len(x.Unknown) != 0 || x.Recorded != nil {
		t.Fatalf("alice: %+v", x)
	}
	res, _ = w.engine.Explain(ctx, "", "SHARED@example.com")
	if len(res.Explanations) != 2 || res.Explanations[0].OtherClients[0] != "3" ||
		res.Explanations[0].Decision.Reason != ticagasync.ReasonDuplicateBillingEmail || res.Explanations[0].Recorded == nil {
		t.Fatalf("shared: %+v", res)
	}
	res, _ = w.engine.Explain(ctx, "4", "")
	if x := res.Explanations[0]; x.Decision.Action != ticagasync.ActionNoMatch || len(x.Unknown) != 1 || x.Unknown[0].ID != 99 {
		t.Fatalf("carol: %+v", x)
	}
	res, _ = w.engine.Explain(ctx, "", "nobody@example.com")
	if len(res.Explanations) != 0 || res.EmailKey != "nobody@example.com" {
		t.Fatalf("nobody: %+v", res)
	}
	if res.DirectoryUsers != 1 || res.Scan != nil || res.DirectoryIncomplete() {
		t.Fatalf("after a whole run: directory of %d users, scan %+v", res.DirectoryUsers, res.Scan)
	}
	// A scan for new users that has not reached its end: "no Ticaga user"
	// is not final yet.
	if err := w.store.SaveDirectory(ctx, w.fake.URL(), ticagasync.DirectoryCheckpoint{
		Scan: &ticagasync.ScanPosition{Next: 40, StartedAt: time.Now(), SavedAt: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	res, _ = w.engine.Explain(ctx, "4", "")
	if res.Scan == nil || res.Scan.Next != 40 || !res.DirectoryIncomplete() {
		t.Fatalf("during a scan: scan %+v", res.Scan)
	}
}

// brokenContacts is a billing source whose database does not answer.
type brokenContacts struct{ *synctest.Contacts }

var errBillingDown = errors.New("billing database down")

func (brokenContacts) Check(context.Context) error { return errBillingDown }
func (brokenContacts) EachContact(context.Context, func(ticagasync.Contact) error) error {
	return errBillingDown
}

// brokenPairings is a store whose pairing table cannot be read.
type brokenPairings struct{ *synctest.Store }

func (brokenPairings) EachPairing(context.Context, func(ticagasync.Pairing) error) error {
	return errors.New("pairing table broken")
}

// TestExplainNamesTheBillingDatabaseFirst: with the billing database down
// explain fails on it at once, before reading the directory or the
// pairings (which may be large, and broken too).
func TestExplainNamesTheBillingDatabaseFirst(t *testing.T) {
	w := newMemWorld(t)
	e, err := ticagasync.New(ticagasync.Engine{Name: "blesta", Target: w.fake.URL(), System: "Blesta",
		Source: brokenContacts{w.contacts}, Ticaga: w.engine.Ticaga, Store: brokenPairings{w.store}, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Explain(t.Context(), "1", "")
	if !errors.Is(err, errBillingDown) || !strings.HasPrefix(err.Error(), "read billing contacts: ") {
		t.Fatalf("Explain = %v, want read billing contacts: billing database down", err)
	}
}
