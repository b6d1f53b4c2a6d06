package store

import (
	"reflect"
	"slices"
	"testing"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

func TestStatusReaderBeforeMigrateIsEmpty(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	ctx := t.Context()
	if runs, err := s.SourceRuns(ctx, "blesta", 5); err != nil || len(runs) != 0 {
		t.Errorf("SourceRuns = %v, %v", runs, err)
	}
	if f, err := s.DirectoryFreshness(ctx, "https://t"); err != nil || f != (ticagasync.DirectoryFreshness{}) {
		t.Errorf("DirectoryFreshness = %+v, %v", f, err)
	}
	if us, n, err := s.UnknownUsers(ctx, "https://t", 0, 5); err != nil || n != 0 || len(us) != 0 {
		t.Errorf("UnknownUsers = %v, %d, %v", us, n, err)
	}
	if gs, err := s.DecisionGroups(ctx, "blesta", 5); err != nil || len(gs) != 0 {
		t.Errorf("DecisionGroups = %v, %v", gs, err)
	}
}

func TestSourceRunsNewestFirstOfOneSource(t *testing.T) {
	t.Parallel()
	s, _ := migrated(t)
	ctx := t.Context()
	for i := range 5 {
		for _, src := range []string{"blesta", "whmcs"} {
			id, err := s.StartRun(ctx, ticagasync.RunRecord{Source: src, StartedAt: at(i)})
			if err != nil {
				t.Fatal(err)
			}
			err = s.FinishRun(ctx, ticagasync.RunRecord{ID: id, Source: src, FinishedAt: at(i).Add(time.Second),
				Outcome: ticagasync.OutcomeCompleted, Counts: ticagasync.Counts{Contacts: 10 + i}})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	runs, err := s.SourceRuns(ctx, "whmcs", 3)
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for _, r := range runs {
		if r.Source != "whmcs" {
			t.Errorf("run %d of %s", r.ID, r.Source)
		}
		got = append(got, r.Counts.Contacts)
	}
	if !reflect.DeepEqual(got, []int{14, 13, 12}) {
		t.Errorf("contacts of the 3 newest whmcs runs = %v, want [14 13 12]", got)
	}
	if !runs[0].FinishedAt.Equal(at(4).Add(time.Second)) || !runs[0].StartedAt.Equal(at(4)) {
		t.Errorf("newest run: started %v finished %v", runs[0].StartedAt, runs[0].FinishedAt)
	}
}

func TestDirectoryFreshnessAndUnknownUsers(t *testing.T) {
	t.Parallel()
	s, _ := migrated(t)
	ctx := t.Context()
	const target = "https://ticaga.example"
	users := []ticagasync.TicagaUser{
		{ID: 3, Email: "a@example.com", FetchedAt: at(5)},
		{ID: 9, Email: "b@example.com", FetchedAt: at(1)},
		{ID: 4, Email: "c@example.com", FetchedAt: at(7)},
	}
	var unknown []ticagasync.UnknownUser
	for i := range 6 {
		unknown = append(unknown, ticagasync.UnknownUser{ID: int64(20 + i), FirstAt: at(0), LastAt: at(2), Runs: i, LastError: "HTTP 500"})
	}
	scan := &ticagasync.ScanPosition{Next: 30, Full: true, StartedAt: at(3), SavedAt: at(8)}
	if err := s.SaveDirectory(ctx, target, ticagasync.DirectoryCheckpoint{Save: users, Unknown: unknown, Scan: scan}); err != nil {
		t.Fatal(err)
	}
	// Another Ticaga in the same store does not count.
	if err := s.SaveDirectoryUsers(ctx, "https://other.example", []ticagasync.TicagaUser{{ID: 99, FetchedAt: at(0)}}); err != nil {
		t.Fatal(err)
	}
	f, err := s.DirectoryFreshness(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	if f.Users != 3 || f.MaxID != 9 || !f.Oldest.Equal(at(1)) || !f.Newest.Equal(at(7)) || f.Scan == nil ||
		f.Scan.Next != 30 || !f.Scan.Full || !f.Scan.SavedAt.Equal(at(8)) {
		t.Errorf("DirectoryFreshness = %+v (scan %+v)", f, f.Scan)
	}

	// Unreadable after 3 runs: ids 23, 24, 25; the first two of them.
	got, total, err := s.UnknownUsers(ctx, target, 3, 2)
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || len(got) != 2 || got[0].ID != 23 || got[1].ID != 24 || got[0].Runs != 3 || got[0].LastError != "HTTP 500" {
		t.Errorf("UnknownUsers(3, 2) = %+v, %d", got, total)
	}
	if _, total, _ := s.UnknownUsers(ctx, target, 0, 1); total != 6 {
		t.Errorf("UnknownUsers(0) total = %d, want 6", total)
	}

	// A finished scan leaves no position.
	if err := s.SaveDirectory(ctx, target, ticagasync.DirectoryCheckpoint{ScanDone: true}); err != nil {
		t.Fatal(err)
	}
	if f, _ := s.DirectoryFreshness(ctx, target); f.Scan != nil {
		t.Errorf("scan after ScanDone: %+v", f.Scan)
	}
}

func TestDecisionGroupsCappedAndOrdered(t *testing.T) {
	t.Parallel()
	s, _ := migrated(t)
	ctx := t.Context()
	var open []ticagasync.Decision
	for i := range 7 {
		open = append(open, decision(int64(100-i), ticagasync.ActionNoMatch, ticagasync.ReasonNoTicagaUser, 0))
	}
	open = append(open,
		decision(5, ticagasync.ActionConflict, ticagasync.ReasonDuplicateTicagaEmail, 8),
		decision(6, ticagasync.ActionConflict, ticagasync.ReasonClientPairedElsewhere, 9),
		decision(7, ticagasync.ActionInvalidEmail, ticagasync.ReasonMalformedEmail, 0))
	if err := s.ReplaceDecisions(ctx, "blesta", 1, slices.Values(open), nil, at(0)); err != nil {
		t.Fatal(err)
	}
	if err := s.ReplaceDecisions(ctx, "whmcs", 1, slices.Values([]ticagasync.Decision{decision(1, ticagasync.ActionFailed, ticagasync.ReasonTicagaUnknown, 3)}), nil, at(0)); err != nil {
		t.Fatal(err)
	}
	groups, err := s.DecisionGroups(ctx, "blesta", 3)
	if err != nil {
		t.Fatal(err)
	}
	type summary struct {
		action ticagasync.Action
		reason ticagasync.Reason
		total  int
		ids    []ticagasync.BillingID
	}
	var got []summary
	for _, g := range groups {
		sm := summary{g.Action, g.Reason, g.Total, nil}
		for _, d := range g.Decisions {
			sm.ids = append(sm.ids, d.BillingID)
		}
		got = append(got, sm)
	}
	want := []summary{
		{ticagasync.ActionConflict, ticagasync.ReasonClientPairedElsewhere, 1, []ticagasync.BillingID{"6"}},
		{ticagasync.ActionConflict, ticagasync.ReasonDuplicateTicagaEmail, 1, []ticagasync.BillingID{"5"}},
		{ticagasync.ActionInvalidEmail, ticagasync.ReasonMalformedEmail, 1, []ticagasync.BillingID{"7"}},
		{ticagasync.ActionNoMatch, ticagasync.ReasonNoTicagaUser, 7, []ticagasync.BillingID{"94", "95", "96"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("DecisionGroups:\n got %+v\nwant %+v", got, want)
	}
	d := groups[1].Decisions[0]
	if d.Email != "c5@example.com" || d.TicagaID != 8 || d.Detail != "customer 5: duplicate_ticaga_email" || d.Source != "blesta" {
		t.Errorf("decision facts: %+v", d)
	}
}
