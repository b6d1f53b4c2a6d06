package store

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

func decision(billingID int64, a ticagasync.Action, r ticagasync.Reason, ticagaID int64) ticagasync.Decision {
	return ticagasync.Decision{
		Contact: ticagasync.Contact{BillingID: ticagasync.BillingIDOf(billingID), Email: fmt.Sprintf("c%d@example.com", billingID)},
		Action:  a, Reason: r, TicagaID: ticagaID, Detail: fmt.Sprintf("customer %d: %s", billingID, r),
	}
}

func record(source string, d ticagasync.Decision, since, seen time.Time, run int64) ticagasync.DecisionRecord {
	return ticagasync.DecisionRecord{Source: source, BillingID: d.Contact.BillingID, Email: d.Contact.Email,
		Action: d.Action, Reason: d.Reason, TicagaID: d.TicagaID, Detail: d.Detail, Since: since, LastSeen: seen, RunID: run}
}

func TestReplaceDecisions(t *testing.T) {
	t.Parallel()
	s, _ := migrated(t)
	ctx := t.Context()
	replace := func(source string, run int64, open []ticagasync.Decision, scope []ticagasync.BillingID, now time.Time) {
		t.Helper()
		if err := s.ReplaceDecisions(ctx, source, run, slices.Values(open), scope, now); err != nil {
			t.Fatalf("ReplaceDecisions(run %d): %v", run, err)
		}
	}
	check := func(want ...ticagasync.DecisionRecord) {
		t.Helper()
		got, err := s.OpenDecisions(ctx)
		if err != nil {
			t.Fatalf("OpenDecisions: %v", err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("open decisions:\n got %+v\nwant %+v", got, want)
		}
	}
	a := decision(1, ticagasync.ActionNoMatch, ticagasync.ReasonNoTicagaUser, 0)
	b := decision(2, ticagasync.ActionConflict, ticagasync.ReasonDuplicateTicagaEmail, 8)
	c := decision(3, ticagasync.ActionFailed, ticagasync.ReasonTicagaUnknown, 9)
	w := decision(1, ticagasync.ActionInvalidEmail, ticagasync.ReasonMalformedEmail, 0)

	replace("blesta", 1, []ticagasync.Decision{a, b, c}, nil, at(0))
	replace("whmcs", 1, []ticagasync.Decision{w}, nil, at(0))
	check(record("blesta", a, at(0), at(0), 1), record("blesta", b, at(0), at(0), 1),
		record("blesta", c, at(0), at(0), 1), record("whmcs", w, at(0), at(0), 1))

	// Run 2: a unchanged (new detail), b changes reason, c resolved, d new.
	a.Detail = "still no Ticaga user"
	b2 := decision(2, ticagasync.ActionConflict, ticagasync.ReasonTicagaOtherBillingID, 0)
	d := decision(4, ticagasync.ActionNoMatch, ticagasync.ReasonNoTicagaUser, 0)
	replace("blesta", 2, []ticagasync.Decision{a, b2, d}, nil, at(10))
	check(record("blesta", a, at(0), at(10), 2), record("blesta", b2, at(10), at(10), 2),
		record("blesta", d, at(10), at(10), 2), record("whmcs", w, at(0), at(0), 1))

	// Run 3 (--client 1 --client 5): only customers 1 and 5 are touched; a
	// decision outside scope is ignored.
	e := decision(5, ticagasync.ActionConflict, ticagasync.ReasonDuplicateBillingEmail, 0)
	stray := decision(6, ticagasync.ActionNoMatch, ticagasync.ReasonNoTicagaUser, 0)
	replace("blesta", 3, []ticagasync.Decision{e, stray}, []ticagasync.BillingID{"1", "5"}, at(20))
	check(record("blesta", b2, at(10), at(10), 2), record("blesta", d, at(10), at(10), 2),
		record("blesta", e, at(20), at(20), 3), record("whmcs", w, at(0), at(0), 1))

	// An unchanged decision is not written again (last_seen and run_id stay
	// those of the run that recorded it); the others are resolved.
	replace("blesta", 4, []ticagasync.Decision{d}, nil, at(30))
	check(record("blesta", d, at(10), at(10), 2), record("whmcs", w, at(0), at(0), 1))
	replace("blesta", 5, nil, []ticagasync.BillingID{}, at(40))
	check(record("whmcs", w, at(0), at(0), 1))

	rec, ok, err := s.DecisionFor(ctx, "whmcs", "1")
	if err != nil || !ok || rec != record("whmcs", w, at(0), at(0), 1) {
		t.Errorf("DecisionFor = %+v, %v, %v", rec, ok, err)
	}
	if _, ok, err := s.DecisionFor(ctx, "blesta", "1"); ok || err != nil {
		t.Errorf("DecisionFor a resolved customer: ok=%v err=%v", ok, err)
	}
}

func TestReplaceDecisionsInBatches(t *testing.T) {
	t.Parallel()
	s, _ := migrated(t)
	ctx := t.Context()
	many := make([]ticagasync.Decision, 1300)
	for i := range many {
		many[i] = decision(int64(i+1), ticagasync.ActionNoMatch, ticagasync.ReasonNoTicagaUser, 0)
	}
	if err := s.ReplaceDecisions(ctx, "blesta", 1, slices.Values(many), nil, at(0)); err != nil {
		t.Fatal(err)
	}
	// Keep the even ones, change the reason of every fourth, repeat one.
	var next []ticagasync.Decision
	for i := 1; i < len(many); i += 2 {
		d := many[i]
		if (i+1)%4 == 0 {
			d.Action, d.Reason = ticagasync.ActionConflict, ticagasync.ReasonDuplicateBillingEmail
		}
		next = append(next, d)
	}
	next = append(next, next[0])
	if err := s.ReplaceDecisions(ctx, "blesta", 2, slices.Values(next), nil, at(5)); err != nil {
		t.Fatal(err)
	}
	got, err := s.OpenDecisions(ctx)
	if err != nil || len(got) != 650 {
		t.Fatalf("%d open decisions, err %v; want 650", len(got), err)
	}
	for _, r := range got {
		n, _ := r.BillingID.Int()
		changed := n%4 == 0
		if n%2 != 0 ||
			(changed && (!r.Since.Equal(at(5)) || r.RunID != 2 || r.Action != ticagasync.ActionConflict)) ||
			(!changed && (!r.Since.Equal(at(0)) || r.RunID != 1 || !r.LastSeen.Equal(at(0)))) {
			t.Fatalf("unexpected %+v", r)
		}
	}
}
