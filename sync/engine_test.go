package sync_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ticaga/ticaga-sync/billing/blesta/blestatest"
	"github.com/ticaga/ticaga-sync/store"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

// world is a Blesta company with one customer for each rule of the planner,
// and the Ticaga users that make it so.
type world struct {
	link, linkPadded, noMatch, dupBill1, dupBill2, dupTicaga, otherID, otherSystem int64
	invalid, noContact, inactive, otherCompany, alreadyBilling                     int64
	uLink, uLinkPadded, uOtherID, uOtherSystem, uAlready                           int64
}

func seedWorld(h *harness) world {
	var w world
	w.link = h.client(blestatest.Client{Email: "alice@example.com"})
	w.linkPadded = h.client(blestatest.Client{Email: "  Bob@Example.COM "})
	w.noMatch = h.client(blestatest.Client{Email: "carol@example.com"})
	w.dupBill1 = h.client(blestatest.Client{Email: "shared@example.com"})
	w.dupBill2 = h.client(blestatest.Client{Email: "SHARED@example.com"})
	w.dupTicaga = h.client(blestatest.Client{Email: "twin@example.com"})
	w.otherID = h.client(blestatest.Client{Email: "dave@example.com"})
	w.otherSystem = h.client(blestatest.Client{Email: "erin@example.com"})
	w.invalid = h.client(blestatest.Client{Email: "not-an-address"})
	w.noContact = h.client(blestatest.Client{NoPrimaryContact: true})
	w.inactive = h.client(blestatest.Client{Email: "frank@example.com", Status: "inactive"})
	w.otherCompany = h.client(blestatest.Client{Email: "grace@example.com", CompanyID: 2})
	w.alreadyBilling = h.client(blestatest.Client{Email: "heidi@example.com"})

	w.uLink = h.user("alice@example.com", "", "")
	w.uLinkPadded = h.user("bob@example.com", "0", "")
	h.user("twin@example.com", "", "")
	h.user("Twin@Example.com", "", "")
	h.user("shared@example.com", "", "")
	w.uOtherID = h.user("dave@example.com", "999", "Blesta")
	w.uOtherSystem = h.user("erin@example.com", strconv.FormatInt(w.otherSystem, 10), "WHMCS")
	h.user("frank@example.com", "", "")
	h.user("grace@example.com", "", "")
	// Ticaga already carries heidi's billing id; only the row is missing.
	w.uAlready = h.user("heidi@example.com", strconv.FormatInt(w.alreadyBilling, 10), "Blesta")
	return w
}

func TestRunLinksExactlyWhatTheRulesSelect(t *testing.T) {
	h := newHarness(t)
	w := seedWorld(h)
	before := h.billingIDs()

	rep := h.mustRun(ticagasync.RunOptions{})

	want := map[int64]struct {
		action ticagasync.Action
		reason ticagasync.Reason
	}{
		w.link:           {ticagasync.ActionLink, ""},
		w.linkPadded:     {ticagasync.ActionLink, ""},
		w.alreadyBilling: {ticagasync.ActionLink, ""},
		w.noMatch:        {ticagasync.ActionNoMatch, ticagasync.ReasonNoTicagaUser},
		w.dupBill1:       {ticagasync.ActionConflict, ticagasync.ReasonDuplicateBillingEmail},
		w.dupBill2:       {ticagasync.ActionConflict, ticagasync.ReasonDuplicateBillingEmail},
		w.dupTicaga:      {ticagasync.ActionConflict, ticagasync.ReasonDuplicateTicagaEmail},
		w.otherID:        {ticagasync.ActionConflict, ticagasync.ReasonTicagaOtherBillingID},
		w.otherSystem:    {ticagasync.ActionConflict, ticagasync.ReasonTicagaOtherBillingSystem},
		w.invalid:        {ticagasync.ActionInvalidEmail, ticagasync.ReasonMalformedEmail},
		w.noContact:      {ticagasync.ActionInvalidEmail, ticagasync.ReasonBadBillingRow},
	}
	if rep.NumDecisions() != len(want) {
		t.Fatalf("got %d decisions, want %d (inactive and other-company clients excluded): %+v", rep.NumDecisions(), len(want), slices.Collect(rep.All()))
	}
	for d := range rep.All() {
		exp, ok := want[bid(d.Contact.BillingID)]
		if !ok {
			t.Errorf("unexpected decision for client %s (%s)", d.Contact.BillingID, d.Contact.Email)
			continue
		}
		if d.Action != exp.action || d.Reason != exp.reason {
			t.Errorf("client %s (%s): %s/%s (%s), want %s/%s", d.Contact.BillingID, d.Contact.Email, d.Action, d.Reason, d.Detail, exp.action, exp.reason)
		}
	}
	if c := rep.Counts; c != (ticagasync.Counts{Contacts: 11, Linked: 3, NoMatch: 1, Conflict: 5, InvalidEmail: 2}) {
		t.Errorf("counts = %+v", c)
	}
	if rep.Outcome != ticagasync.OutcomeCompleted {
		t.Errorf("outcome = %s", rep.Outcome)
	}

	// Ticaga: exactly the two users without a billing id got one; heidi's
	// already carried it, so no assign was needed for her.
	after := h.billingIDs()
	wantIDs := maps.Clone(before)
	wantIDs[w.uLink] = strconv.FormatInt(w.link, 10)
	wantIDs[w.uLinkPadded] = strconv.FormatInt(w.linkPadded, 10)
	if !maps.Equal(after, wantIDs) {
		t.Errorf("Ticaga billing ids after the run = %v, want %v", after, wantIDs)
	}
	if n := h.fake.Calls("customers/assign"); n != 2 {
		t.Errorf("customers/assign calls = %d, want 2", n)
	}
	// ticaga_billing: one row per link, as connectAccounts writes it.
	wantPairs := map[int64]int64{w.uLink: w.link, w.uLinkPadded: w.linkPadded, w.uAlready: w.alreadyBilling}
	if got := h.pairings(); !maps.Equal(got, wantPairs) {
		t.Errorf("ticaga_billing = %v, want %v", got, wantPairs)
	}
	var email, system string
	var company int64
	if err := h.db.QueryRow("SELECT email_address, billing_system, company_id FROM ticaga_billing WHERE ticaga_userid = ?", w.uLinkPadded).
		Scan(&email, &system, &company); err != nil {
		t.Fatal(err)
	}
	if email != "  Bob@Example.COM " || system != "Blesta" || company != 1 {
		t.Errorf("row = %q %q %d; want the billing email as stored, Blesta, company 1", email, system, company)
	}
	// The open decisions are the eight customers not linked.
	if n := h.count("ticaga_sync_decisions"); n != 8 {
		t.Errorf("ticaga_sync_decisions has %d rows, want 8", n)
	}
}

func TestSecondRunMakesNoAssignCall(t *testing.T) {
	h := newHarness(t)
	seedWorld(h)
	h.mustRun(ticagasync.RunOptions{})
	pairs := h.pairings()
	ids := h.billingIDs()
	h.fake.ResetCalls()
	tables := []string{"ticaga_billing", "ticaga_sync_directory", "ticaga_sync_decisions"}
	before := map[string]string{}
	for _, table := range tables {
		before[table] = h.dump(table)
	}

	rep := h.mustRun(ticagasync.RunOptions{})

	// It writes nothing but its run record.
	for _, table := range tables {
		if after := h.dump(table); after != before[table] {
			t.Errorf("the second run changed %s:\nbefore:\n%s\nafter:\n%s", table, before[table], after)
		}
	}
	if n := h.count("ticaga_sync_runs"); n != 2 {
		t.Errorf("%d run records, want 2", n)
	}

	if n := h.fake.Calls("customers/assign"); n != 0 {
		t.Fatalf("second run made %d customers/assign calls, want 0", n)
	}
	if rep.Counts.AlreadyLinked != 3 || rep.Counts.Linked != 0 {
		t.Fatalf("second run counts = %+v, want 3 already_linked and 0 linked", rep.Counts)
	}
	if !maps.Equal(h.pairings(), pairs) || !maps.Equal(h.billingIDs(), ids) {
		t.Fatal("second run changed pairings or Ticaga")
	}
	// The cache makes re-reading known users unnecessary: the only reads
	// are the probe for new users above the highest known id (the gap, plus
	// what the scan's window has in flight when it ends).
	if got, limit := h.fake.Calls("customers/get"), h.engine.DirectoryGap+2*h.engine.Concurrency; got > limit {
		t.Fatalf("second run made %d customers/get calls, want at most %d (the probe for new users)", got, limit)
	}
}

func TestDryRunWritesNothing(t *testing.T) {
	h := newHarness(t)
	w := seedWorld(h)
	before := h.billingIDs()

	rep := h.mustRun(ticagasync.RunOptions{DryRun: true})

	if rep.Counts.Linked != 3 || decisionFor(rep, w.link).Action != ticagasync.ActionLink {
		t.Fatalf("dry run should plan the same links: %+v", rep.Counts)
	}
	if n := h.fake.Calls("customers/assign") + h.fake.Calls("register") + h.fake.Calls("tickets/close"); n != 0 {
		t.Fatalf("dry run called a write endpoint %d times", n)
	}
	for _, table := range []string{"ticaga_billing", "ticaga_sync_directory", "ticaga_sync_decisions"} {
		if n := h.count(table); n != 0 {
			t.Errorf("dry run wrote %d rows into %s", n, table)
		}
	}
	// Its run record alone, marked a dry run, so status can show it.
	runs, err := h.sqlStore().RecentRuns(t.Context(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 1 || !runs[0].DryRun || runs[0].Kind != ticagasync.KindDryRun || runs[0].Outcome != ticagasync.OutcomeCompleted ||
		runs[0].ID != rep.RunID || runs[0].Counts.Linked != 3 {
		t.Fatalf("run history after a dry run: %+v", runs)
	}
	if !maps.Equal(h.billingIDs(), before) {
		t.Fatal("dry run changed Ticaga")
	}
}

func TestAuthFailureWritesNothing(t *testing.T) {
	h := newHarness(t)
	seedWorld(h)
	h.engine = h.newEngine("wrong-token")

	rep, err := h.run(ticagasync.RunOptions{})

	if !errors.Is(err, ticagasync.ErrUnauthorized) {
		t.Fatalf("err = %v, want ErrUnauthorized", err)
	}
	if rep.Outcome != ticagasync.OutcomeFailed {
		t.Fatalf("outcome = %s", rep.Outcome)
	}
	for _, table := range []string{"ticaga_billing", "ticaga_sync_directory", "ticaga_sync_decisions"} {
		if n := h.count(table); n != 0 {
			t.Errorf("auth failure wrote %d rows into %s", n, table)
		}
	}
	if n := h.fake.TotalCalls(); n != 1 {
		t.Errorf("made %d Ticaga calls after the token was rejected, want only the preflight", n)
	}
	// The failure itself is on record for ops.
	runs, err := h.sqlStore().RecentRuns(t.Context(), 1)
	if err != nil || len(runs) != 1 || runs[0].Outcome != ticagasync.OutcomeFailed || runs[0].Error == "" {
		t.Fatalf("run history = %+v, %v; want one failed run with its error", runs, err)
	}
}

func TestServerErrorStormLeavesDataAndNextRunConverges(t *testing.T) {
	for _, endpoint := range []string{"customers/get", "customers/assign"} {
		t.Run(endpoint, func(t *testing.T) {
			h := newHarness(t)
			w := seedWorld(h)
			before := h.billingIDs()
			h.fake.FailEndpoint(endpoint, 1000, 503)

			rep, err := h.run(ticagasync.RunOptions{})

			switch endpoint {
			case "customers/get": // the directory cannot be trusted: the run stops
				if err == nil || rep.Outcome != ticagasync.OutcomeFailed {
					t.Fatalf("run = %v, %v; want a failed run", rep.Outcome, err)
				}
			case "customers/assign": // each link's outcome is unknown: failed, retried next run
				if err != nil || rep.Outcome != ticagasync.OutcomePartial || rep.Counts.Failed != 2 {
					t.Fatalf("run = %v, %+v, %v; want partial with 2 failed", rep.Outcome, rep.Counts, err)
				}
				if d := decisionFor(rep, w.link); d.Reason != ticagasync.ReasonTicagaUnknown {
					t.Fatalf("decision = %+v", d)
				}
			}
			if !maps.Equal(h.billingIDs(), before) {
				t.Fatal("the storm changed Ticaga")
			}
			if got := h.pairings(); len(got) > 1 || (len(got) == 1 && got[w.uAlready] != w.alreadyBilling) {
				t.Fatalf("ticaga_billing = %v; only heidi's row (Ticaga already carries her id) may be written", got)
			}

			h.fake.FailEndpoint(endpoint, 0, 0)
			rep = h.mustRun(ticagasync.RunOptions{})
			if rep.Counts.Failed != 0 || h.pairings()[w.uLink] != w.link || h.billingIDs()[w.uLink] != fmt.Sprint(w.link) {
				t.Fatalf("next run did not converge: %+v, pairings %v", rep.Counts, h.pairings())
			}
		})
	}
}

func TestRunLockHeldElsewhere(t *testing.T) {
	h := newHarness(t)
	seedWorld(h)
	_, unlock, err := h.store.Lock(t.Context(), "blesta", 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = h.run(ticagasync.RunOptions{})
	if !errors.Is(err, ticagasync.ErrLocked) {
		t.Fatalf("err = %v, want ErrLocked", err)
	}
	if h.fake.TotalCalls() != 0 || h.count("ticaga_sync_runs") != 0 {
		t.Fatal("a locked-out run talked to Ticaga or recorded a run")
	}

	// With a wait, the run proceeds once the lock is released.
	go func() { time.Sleep(300 * time.Millisecond); unlock() }()
	if _, err := h.run(ticagasync.RunOptions{LockWait: 10 * time.Second}); err != nil {
		t.Fatalf("run with --wait: %v", err)
	}
}

func TestClientScopeActsOnThoseClientsOnly(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		w := seedWorld(h)

		rep := h.mustRun(ticagasync.RunOptions{Clients: bids(w.link, w.dupBill1)})

		if rep.NumDecisions() != 2 {
			t.Fatalf("got %d decisions, want 2", rep.NumDecisions())
		}
		// Duplicates are still seen: every contact was read.
		if d := decisionFor(rep, w.dupBill1); d.Reason != ticagasync.ReasonDuplicateBillingEmail {
			t.Fatalf("dupBill1 = %+v", d)
		}
		if got := h.pairings(); len(got) != 1 || got[w.uLink] != w.link {
			t.Fatalf("ticaga_billing = %v, want only alice", got)
		}
	})
}

func TestTicagaUserChangedSinceTheCacheIsNotLinked(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		c := h.client(blestatest.Client{Email: "ivan@example.com"})
		u := h.user("ivan@example.com", "", "")
		h.mustRun(ticagasync.RunOptions{Clients: bids(-1)}) // fills the cache, acts on nobody
		// After the cache was filled, the Ticaga user changed email.
		h.fake.DeleteUser(u)
		h.fake.AddUser(ticagatest.User{ID: u, Name: "Ivan", Email: "ivan.new@example.com"})

		rep := h.mustRun(ticagasync.RunOptions{})

		d := decisionFor(rep, c)
		if d.Action != ticagasync.ActionNoMatch || d.Reason != ticagasync.ReasonTicagaEmailDiff {
			t.Fatalf("decision = %+v, want no_match/ticaga_email_changed from the fresh answer", d)
		}
		if h.fake.Calls("customers/assign") != 0 || len(h.pairings()) != 0 {
			t.Fatal("linked a user whose email no longer matches")
		}
	})
}

func TestStaleEntriesAreRevalidatedAndDriftRepaired(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		c := h.client(blestatest.Client{Email: "judy@example.com"})
		u := h.user("judy@example.com", "", "")
		h.mustRun(ticagasync.RunOptions{})
		// Someone cleared the billing id in Ticaga; the pairing row remains.
		h.fake.DeleteUser(u)
		h.fake.AddUser(ticagatest.User{ID: u, Name: "Judy", Email: "judy@example.com"})

		// While the cache is young, the run trusts it: already linked.
		if rep := h.mustRun(ticagasync.RunOptions{}); rep.Counts.AlreadyLinked != 1 {
			t.Fatalf("young cache: %+v", rep.Counts)
		}
		// A day later the entry is stale: re-read, and the link is made again.
		h.engine.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
		h.fake.ResetCalls()
		rep := h.mustRun(ticagasync.RunOptions{})
		if rep.Counts.Linked != 1 || h.fake.Calls("customers/assign") != 1 || h.billingIDs()[u] != fmt.Sprint(c) {
			t.Fatalf("stale entry not revalidated: %+v, assign calls %d", rep.Counts, h.fake.Calls("customers/assign"))
		}
		if rep.Directory.Fetched < 1 {
			t.Fatalf("directory report = %+v", rep.Directory)
		}
	})
}

// Two sources on one Ticaga and one ticaga_billing (a Blesta and a WHMCS
// brand) running at once never overwrite each other: exactly one links the
// shared user, Ticaga and the pairing row agree, and the other reports a
// conflict.
func TestTwoSourcesOnOneTicagaNeverOverwrite(t *testing.T) {
	for range 4 {
		h := newHarness(t)
		c := h.client(blestatest.Client{Email: "shared@example.com"})
		u := h.user("shared@example.com", "", "")
		h.fake.SetLatency(5 * time.Millisecond)
		a := h.engine
		b := h.newEngine(token)
		b.Name, b.System = "whmcs", "WHMCS"

		reps := make([]*ticagasync.Report, 2)
		errs := make([]error, 2)
		done := make(chan struct{})
		go func() { reps[1], errs[1] = b.Run(t.Context(), ticagasync.RunOptions{}); close(done) }()
		reps[0], errs[0] = a.Run(t.Context(), ticagasync.RunOptions{})
		<-done
		if errs[0] != nil || errs[1] != nil {
			t.Fatalf("runs: %v, %v", errs[0], errs[1])
		}

		user, _ := h.fake.User(u)
		var row ticagasync.Pairing
		if err := h.store.EachPairing(t.Context(), func(p ticagasync.Pairing) error { row = p; return nil }); err != nil {
			t.Fatal(err)
		}
		if user.BillingID != fmt.Sprint(c) || !strings.EqualFold(user.BillingSystem, row.BillingSystem) || row.TicagaUserID != u {
			t.Fatalf("Ticaga carries %s/%s but ticaga_billing says %+v", user.BillingID, user.BillingSystem, row)
		}
		linked, conflicts := 0, 0
		for _, rep := range reps {
			switch slices.Collect(rep.All())[0].Action {
			case ticagasync.ActionLink:
				linked++
			case ticagasync.ActionConflict:
				conflicts++
			}
		}
		if linked != 1 || conflicts != 1 {
			t.Fatalf("decisions: %+v / %+v; want one link and one conflict", slices.Collect(reps[0].All()), slices.Collect(reps[1].All()))
		}
		if n := len(h.fake.Assignments()); n != 1 {
			t.Fatalf("%d assignments reached Ticaga, want 1", n)
		}
	}
}

// A user named by ticaga_billing is found even above a run of deleted
// Ticaga ids longer than the gap, so its email counts.
func TestPairedUsersBoundTheScan(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		c := h.client(blestatest.Client{Email: "kim@example.com"})
		other := h.client(blestatest.Client{Email: "lee@example.com"})
		h.user("lee@example.com", "", "")
		// Ids 2..39 were deleted; user 40 was linked by hand through the plugin.
		h.fake.AddUser(ticagatest.User{ID: 40, Name: "Kim", Email: "kim@example.com", BillingID: fmt.Sprint(c), BillingSystem: "Blesta"})
		if err := h.store.UpsertPairing(t.Context(), ticagasync.Pairing{TicagaUserID: 40, BillingUserID: ticagasync.BillingIDOf(c), Email: "kim@example.com", BillingSystem: "Blesta", CompanyID: 1}); err != nil {
			t.Fatal(err)
		}

		rep := h.mustRun(ticagasync.RunOptions{})

		if d := decisionFor(rep, c); d.Action != ticagasync.ActionAlreadyLinked || d.TicagaID != 40 {
			t.Fatalf("kim = %+v; want already_linked to Ticaga user 40 (gap %d < 38 deleted ids)", d, h.engine.DirectoryGap)
		}
		if d := decisionFor(rep, other); d.Action != ticagasync.ActionLink {
			t.Fatalf("lee = %+v", d)
		}
		if rep.Directory.Size != 2 {
			t.Fatalf("directory = %+v, want both users", rep.Directory)
		}
	})
}

// Another company's pairing rows (which may name users of another Ticaga)
// do not push this source's directory scan out to their ids every run.
func TestOtherCompaniesPairingsDoNotBoundTheScan(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		h.engine.Companies = []int64{1}
		h.client(blestatest.Client{Email: "mia@example.com"})
		h.user("mia@example.com", "", "")
		if err := h.store.UpsertPairing(t.Context(), ticagasync.Pairing{TicagaUserID: 3000, BillingUserID: "77", Email: "x@example.com", BillingSystem: "Blesta", CompanyID: 2}); err != nil {
			t.Fatal(err)
		}
		h.mustRun(ticagasync.RunOptions{})
		h.fake.ResetCalls()
		h.mustRun(ticagasync.RunOptions{})
		if got, limit := h.fake.Calls("customers/get"), h.engine.DirectoryGap+2*h.engine.Concurrency; got > limit {
			t.Fatalf("a steady run made %d customers/get calls (company 2's row names user 3000); want at most %d", got, limit)
		}
	})
}

// losingStore is the real store whose run lock is lost on demand.
type losingStore struct {
	*store.Store
	lose context.CancelCauseFunc
}

func (l *losingStore) Lock(ctx context.Context, name string, wait time.Duration) (context.Context, func(), error) {
	held, unlock, err := l.Store.Lock(ctx, name, wait)
	if err != nil || strings.HasPrefix(name, "ticaga:") {
		return held, unlock, err
	}
	held, l.lose = context.WithCancelCause(held)
	return held, func() { l.lose(nil); unlock() }, nil
}

// A run whose lock is lost while it links stops, records no decisions, and
// says why.
func TestLostLockStopsTheRun(t *testing.T) {
	h := newHarness(t)
	for i := range 6 {
		email := fmt.Sprintf("c%d@example.com", i)
		h.client(blestatest.Client{Email: email})
		h.user(email, "", "")
	}
	ls := &losingStore{Store: h.sqlStore()}
	h.engine.Store = ls
	h.engine.Concurrency = 1
	h.fake.SetHooks(ticagatest.Hooks{BeforeAssign: func(ticagatest.Assignment) int {
		ls.lose(ticagasync.ErrLockLost)
		return 0
	}})

	rep, err := h.run(ticagasync.RunOptions{})

	if !errors.Is(err, ticagasync.ErrLockLost) || rep.Outcome != ticagasync.OutcomeFailed {
		t.Fatalf("run = %v, %v; want failed with ErrLockLost", rep.Outcome, err)
	}
	if n := h.fake.Calls("customers/assign"); n > 1 {
		t.Fatalf("%d assigns after the lock was lost at the first", n)
	}
	if n := h.count("ticaga_sync_decisions"); n != 0 {
		t.Fatalf("a run that lost its lock recorded %d decisions", n)
	}
	runs, _ := h.sqlStore().RecentRuns(t.Context(), 1)
	if len(runs) != 1 || !strings.Contains(runs[0].Error, "lock was lost") || strings.Count(runs[0].Error, "lock was lost") != 1 {
		t.Fatalf("run record = %+v", runs)
	}
}
