package store

import (
	"reflect"
	"strings"
	"testing"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

func TestRuns(t *testing.T) {
	t.Parallel()
	s, _ := migrated(t)
	ctx := t.Context()
	s.now = func() time.Time { return at(99) }

	var ids []int64
	kinds := []ticagasync.RunKind{ticagasync.KindScheduled, ticagasync.KindDryRun, ticagasync.KindOneOff}
	for i, src := range []string{"blesta", "whmcs", "blesta"} {
		id, err := s.StartRun(ctx, ticagasync.RunRecord{Source: src, StartedAt: at(i * 10), DryRun: i == 1, Kind: kinds[i], Outcome: ticagasync.OutcomeCompleted})
		if err != nil {
			t.Fatalf("StartRun: %v", err)
		}
		ids = append(ids, id)
	}
	done := ticagasync.RunRecord{
		ID: ids[0], Source: "blesta", StartedAt: at(0), FinishedAt: at(3), Outcome: ticagasync.OutcomePartial, Kind: ticagasync.KindScheduled,
		Counts:   ticagasync.Counts{Contacts: 12, Linked: 4, Created: 2, AlreadyLinked: 1, NoMatch: 2, Conflict: 1, InvalidEmail: 1, Failed: 1, Excluded: 3},
		APICalls: 17, Error: "1 link failed: ticaga answered 502",
	}
	if err := s.FinishRun(ctx, done); err != nil {
		t.Fatalf("FinishRun: %v", err)
	}
	if err := s.FinishRun(ctx, done); err != nil {
		t.Fatalf("FinishRun again with the same values: %v", err)
	}
	failed := ticagasync.RunRecord{ID: ids[1], Outcome: ticagasync.OutcomeFailed, Error: "unauthorized"}
	if err := s.FinishRun(ctx, failed); err != nil {
		t.Fatal(err)
	}

	runs, err := s.RecentRuns(ctx, 10)
	if err != nil {
		t.Fatalf("RecentRuns: %v", err)
	}
	want := []ticagasync.RunRecord{
		{ID: ids[2], Source: "blesta", StartedAt: at(20), Outcome: ticagasync.OutcomeRunning, Kind: ticagasync.KindOneOff},
		{ID: ids[1], Source: "whmcs", StartedAt: at(10), FinishedAt: at(99), Outcome: ticagasync.OutcomeFailed, DryRun: true, Kind: ticagasync.KindDryRun, Error: "unauthorized"},
		done,
	}
	if !reflect.DeepEqual(runs, want) {
		t.Errorf("RecentRuns:\n got %+v\nwant %+v", runs, want)
	}
	if runs, _ := s.RecentRuns(ctx, 1); len(runs) != 1 || runs[0].ID != ids[2] {
		t.Errorf("RecentRuns(1) = %+v", runs)
	}

	if err := s.FinishRun(ctx, ticagasync.RunRecord{ID: 12345, Outcome: ticagasync.OutcomeCompleted}); err == nil {
		t.Error("FinishRun of an unknown run succeeded")
	}
	if err := s.FinishRun(ctx, ticagasync.RunRecord{ID: ids[2]}); err == nil {
		t.Error("FinishRun without an outcome succeeded")
	}
	id, err := s.StartRun(ctx, ticagasync.RunRecord{Source: "blesta"})
	if err != nil {
		t.Fatal(err)
	}
	if runs, _ := s.RecentRuns(ctx, 1); runs[0].ID != id || !runs[0].StartedAt.Equal(at(99)) {
		t.Errorf("zero StartedAt stored as %v, want the clock's %v", runs[0].StartedAt, at(99))
	}
}

func TestAbandonRuns(t *testing.T) {
	t.Parallel()
	s, _ := migrated(t)
	ctx := t.Context()
	start := func(src string, i int) int64 {
		id, err := s.StartRun(ctx, ticagasync.RunRecord{Source: src, StartedAt: at(i)})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	ghost1, ghost2, other := start("blesta", 1), start("blesta", 2), start("whmcs", 3)
	finished := start("blesta", 4)
	if err := s.FinishRun(ctx, ticagasync.RunRecord{ID: finished, FinishedAt: at(5), Outcome: ticagasync.OutcomeCompleted}); err != nil {
		t.Fatal(err)
	}
	ids, err := s.AbandonRuns(ctx, "blesta", at(9))
	if err != nil || !reflect.DeepEqual(ids, []int64{ghost1, ghost2}) {
		t.Fatalf("AbandonRuns = %v, %v; want %v", ids, err, []int64{ghost1, ghost2})
	}
	runs, _ := s.RecentRuns(ctx, 10)
	for _, r := range runs {
		switch r.ID {
		case ghost1, ghost2:
			if r.Outcome != ticagasync.OutcomeAbandoned || !r.FinishedAt.Equal(at(9)) || r.Error == "" {
				t.Errorf("ghost run %+v not closed as abandoned", r)
			}
		case other:
			if r.Outcome != ticagasync.OutcomeRunning {
				t.Errorf("another source's run %+v was touched", r)
			}
		case finished:
			if r.Outcome != ticagasync.OutcomeCompleted {
				t.Errorf("finished run %+v was touched", r)
			}
		}
	}
	if ids, err := s.AbandonRuns(ctx, "blesta", at(10)); err != nil || len(ids) != 0 {
		t.Errorf("second AbandonRuns = %v, %v", ids, err)
	}
}

// A store migrated before step 8 has no exclusions; after it, exclusions
// are kept per source with who, when and why, in UTC.
func TestExclusions(t *testing.T) {
	t.Parallel()
	s, raw := migrated(t)
	ctx := t.Context()
	local := time.FixedZone("CEST", 2*3600)
	at := time.Date(2026, 5, 6, 9, 0, 0, 0, local)
	for _, x := range []ticagasync.Exclusion{
		{Source: "blesta", BillingID: "12", Reason: "reseller: accounts by hand", By: "alice", At: at},
		{Source: "blesta", BillingID: "3", By: "root", At: at},
		{Source: "whmcs", BillingID: "12", Reason: "other", By: "bob", At: at},
	} {
		if err := s.Exclude(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	xs, err := s.Exclusions(ctx, "blesta")
	if err != nil {
		t.Fatal(err)
	}
	want := []ticagasync.Exclusion{
		{Source: "blesta", BillingID: "3", By: "root", At: at.UTC()},
		{Source: "blesta", BillingID: "12", Reason: "reseller: accounts by hand", By: "alice", At: at.UTC()},
	}
	if !reflect.DeepEqual(xs, want) {
		t.Fatalf("Exclusions:\n got %+v\nwant %+v", xs, want)
	}
	if v := queryStrings(t, raw, "SELECT billing_id, excluded_at FROM ticaga_sync_exclusions WHERE source = 'blesta' AND billing_id = '12'"); !strings.HasPrefix(strings.Replace(v[0][1], "T", " ", 1), "2026-05-06 07:00:00") {
		t.Fatalf("stored %q, want the time in UTC", v)
	}
	all, err := s.AllExclusions(ctx)
	if err != nil || len(all) != 3 || all[2].Source != "whmcs" {
		t.Fatalf("AllExclusions = %+v, %v", all, err)
	}
	if ok, err := s.Include(ctx, "blesta", "12"); !ok || err != nil {
		t.Fatalf("Include = %v, %v", ok, err)
	}
	if ok, err := s.Include(ctx, "blesta", "12"); ok || err != nil {
		t.Fatalf("Include again = %v, %v", ok, err)
	}
	if _, err := raw.Exec("DROP TABLE ticaga_sync_exclusions"); err != nil {
		t.Fatal(err)
	}
	if xs, err := s.Exclusions(ctx, "blesta"); err != nil || len(xs) != 0 {
		t.Fatalf("before the migration: %+v, %v", xs, err)
	}
}
