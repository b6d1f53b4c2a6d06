package sync_test

import (
	"strings"
	"testing"
	"time"

	"github.com/ticaga/ticaga-sync/billing/blesta/blestatest"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// An excluded customer is never linked or created, even with a matching
// Ticaga user and provisioning on; one already linked becomes excluded but
// stays linked; include lets the next run link it.
func TestExcludedCustomerIsNeverLinked(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		linked := h.client(blestatest.Client{Email: "linked@example.com"})
		match := h.client(blestatest.Client{Email: "match@example.com"})
		nobody := h.client(blestatest.Client{Email: "nobody@example.com"})
		uLinked := h.user("linked@example.com", "", "")
		uMatch := h.user("match@example.com", "", "")

		// linked gets linked first.
		if rep := h.mustRun(ticagasync.RunOptions{Clients: []ticagasync.BillingID{ticagasync.BillingIDOf(linked)}}); decisionFor(rep, linked).Action != ticagasync.ActionLink {
			t.Fatalf("first run: %+v", decisionFor(rep, linked))
		}
		at := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
		for _, id := range []int64{linked, match, nobody} {
			if err := h.store.Exclude(ctx, ticagasync.Exclusion{Source: "blesta", BillingID: ticagasync.BillingIDOf(id), Reason: "VIP, handled by hand", By: "alice", At: at}); err != nil {
				t.Fatal(err)
			}
		}
		h.engine.Provision = ticagasync.Provisioning{Enabled: true, Max: 10}
		rep := h.mustRun(ticagasync.RunOptions{})

		for _, id := range []int64{linked, match, nobody} {
			d := decisionFor(rep, id)
			if d.Action != ticagasync.ActionExcluded || d.Reason != ticagasync.ReasonOperatorExcluded {
				t.Errorf("client %d: %s %s, want excluded", id, d.Action, d.Reason)
			}
			if d.Exclusion == nil || d.Exclusion.By != "alice" || !d.Exclusion.At.Equal(at) || d.Exclusion.Reason != "VIP, handled by hand" {
				t.Errorf("client %d: exclusion %+v", id, d.Exclusion)
			}
			if !strings.Contains(d.Detail, "alice") || !strings.Contains(d.Detail, "2026-03-04T05:06:07Z") || !strings.Contains(d.Detail, "VIP") {
				t.Errorf("client %d: detail %q lacks who, when or why", id, d.Detail)
			}
		}
		if rep.Counts.Excluded != 3 || rep.Counts.Linked != 0 || rep.Counts.Created != 0 {
			t.Fatalf("counts %+v", rep.Counts)
		}
		if n := h.fake.Calls("customers/assign"); n != 1 {
			t.Fatalf("customers/assign called %d times, want 1 (the first run's link only)", n)
		}
		if n := h.fake.Calls("register"); n != 0 {
			t.Fatalf("register called %d times for excluded customers", n)
		}
		if p := h.pairings(); p[uLinked] != linked || p[uMatch] != 0 {
			t.Fatalf("pairings %v: the linked customer must stay linked, the excluded one unlinked", p)
		}
		// Excluded customers are no open decisions.
		if ds, err := h.store.SourceDecisions(ctx, "blesta"); err != nil || len(ds) != 0 {
			t.Fatalf("open decisions %+v (%v)", ds, err)
		}

		ok, err := h.store.Include(ctx, "blesta", ticagasync.BillingIDOf(match))
		if err != nil || !ok {
			t.Fatalf("include: %v %v", ok, err)
		}
		if ok, err := h.store.Include(ctx, "blesta", ticagasync.BillingIDOf(match)); err != nil || ok {
			t.Fatalf("second include reports %v %v, want false", ok, err)
		}
		rep = h.mustRun(ticagasync.RunOptions{})
		if d := decisionFor(rep, match); d.Action != ticagasync.ActionLink || d.TicagaID != uMatch {
			t.Fatalf("after include: %+v", d)
		}
		if d := decisionFor(rep, nobody); d.Action != ticagasync.ActionExcluded {
			t.Fatalf("still excluded: %+v", d)
		}
	})
}

// Exclusions are per source, and Exclude replaces the reason, who and when.
func TestExclusionsArePerSourceAndReplaced(t *testing.T) {
	eachStore(t, func(t *testing.T, h *harness) {
		ctx := t.Context()
		at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
		must := func(x ticagasync.Exclusion) {
			t.Helper()
			if err := h.store.Exclude(ctx, x); err != nil {
				t.Fatal(err)
			}
		}
		must(ticagasync.Exclusion{Source: "blesta", BillingID: "7", Reason: "first", By: "alice", At: at})
		must(ticagasync.Exclusion{Source: "blesta", BillingID: "7", Reason: "", By: "bob", At: at.Add(time.Hour)})
		must(ticagasync.Exclusion{Source: "whmcs", BillingID: "3", Reason: "other", By: "carol", At: at})
		if err := h.store.Exclude(ctx, ticagasync.Exclusion{Source: "blesta"}); err == nil {
			t.Fatal("an exclusion without a billing id was accepted")
		}
		xs, err := h.store.Exclusions(ctx, "blesta")
		if err != nil {
			t.Fatal(err)
		}
		want := ticagasync.Exclusion{Source: "blesta", BillingID: "7", By: "bob", At: at.Add(time.Hour)}
		if len(xs) != 1 || xs[0] != want {
			t.Fatalf("exclusions %+v, want %+v", xs, want)
		}
	})
}

// A dry run needs no migrated store: without the run history it still
// plans, and records nothing.
func TestDryRunWithoutRunHistory(t *testing.T) {
	h := newHarness(t)
	seedWorld(h)
	if _, err := h.db.ExecContext(t.Context(), "DROP TABLE ticaga_sync_runs"); err != nil {
		t.Fatal(err)
	}
	rep, err := h.run(ticagasync.RunOptions{DryRun: true})
	if err != nil || rep.RunID != 0 || rep.Counts.Linked != 3 || rep.Kind != ticagasync.KindDryRun {
		t.Fatalf("dry run without ticaga_sync_runs: %+v, %v", rep, err)
	}
	if _, err := h.run(ticagasync.RunOptions{}); err == nil || !strings.Contains(err.Error(), "record run start") {
		t.Fatalf("a real run without ticaga_sync_runs: %v", err)
	}
}
