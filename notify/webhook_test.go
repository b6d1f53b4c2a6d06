package notify

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

func TestWebhookPayload(t *testing.T) {
	h := newHook(t)
	n, _ := newNotifier(t, Config{WebhookURL: h.srv.URL + "/hook", UserAgent: "ticaga-sync/test"})
	nm := noMatch(3)
	nm.TicagaID = 9
	rep := report(7, nm, conflict(5, "billing@acme.example"), linked(1, ticagasync.ActionLink),
		linked(2, ticagasync.ActionAlreadyLinked))
	if err := n.AfterRun(t.Context(), "blesta", rep); err != nil {
		t.Fatal(err)
	}
	got := h.takeOne(t)
	if got.method != http.MethodPost || got.contentType != "application/json" || got.userAgent != "ticaga-sync/test" {
		t.Errorf("request: %s, Content-Type %q, User-Agent %q", got.method, got.contentType, got.userAgent)
	}
	var keys []string
	for k := range got.raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	want := []string{"counts", "dry_run", "event", "finished_at", "more", "new", "open", "outcome",
		"resolved", "run_id", "source", "started_at", "unreadable"}
	if !slices.Equal(keys, want) {
		t.Errorf("payload keys %v, want %v", keys, want)
	}
	p := got.payload
	if p.Source != "blesta" || p.Event != KindChanged || p.RunID != 7 || p.Outcome != ticagasync.OutcomeCompleted ||
		p.DryRun || !p.StartedAt.Equal(t0) || p.Open != 2 || p.Resolved != 0 || p.More != 0 {
		t.Errorf("payload %+v", p)
	}
	if p.Counts != rep.Counts || p.Counts.Linked != 1 {
		t.Errorf("counts %+v, want %+v", p.Counts, rep.Counts)
	}
	// Conflicts first; ticaga_id null when there is no Ticaga user.
	if ids := billingIDs(p); !slices.Equal(ids, []int64{5, 3}) {
		t.Fatalf("new %v, want [5 3]", ids)
	}
	c := p.New[0]
	if c.Email != "billing@acme.example" || c.TicagaID != nil || c.Action != ticagasync.ActionConflict ||
		c.Reason != ticagasync.ReasonDuplicateBillingEmail || c.Detail == "" {
		t.Errorf("new[0] %+v", c)
	}
	if p.New[1].TicagaID == nil || *p.New[1].TicagaID != 9 {
		t.Errorf("new[1].ticaga_id %v, want 9", p.New[1].TicagaID)
	}
	if !strings.Contains(string(got.raw["new"]), `"ticaga_id":null`) {
		t.Errorf("new %s: want a null ticaga_id", got.raw["new"])
	}
}

func TestWebhookNotifiesChangesOnly(t *testing.T) {
	h := newHook(t)
	n, _ := newNotifier(t, Config{WebhookURL: h.srv.URL})
	ctx := t.Context()
	a, b, c := conflict(1, "a@x.example"), conflict(2, "b@x.example"), noMatch(3)
	steps := []struct {
		name         string
		rep          *ticagasync.Report
		wantNew      []int64 // nil: no request
		wantResolved int
	}{
		{"first run with conflicts", report(1, a, b, linked(9, ticagasync.ActionAlreadyLinked)), []int64{1, 2}, 0},
		{"same conflicts", report(2, a, b, linked(9, ticagasync.ActionAlreadyLinked)), nil, 0},
		{"links alone", report(3, a, b, linked(8, ticagasync.ActionLink)), nil, 0},
		{"one new", report(4, a, b, c), []int64{3}, 0},
		{"one resolved", report(5, a, c), []int64{}, 1},
		{"reason changed", report(6, a, withReason(c, ticagasync.ReasonTicagaEmailDiff)), []int64{3}, 1},
		{"everything resolved", report(7), []int64{}, 2},
		{"nothing open", report(8, linked(8, ticagasync.ActionAlreadyLinked)), nil, 0},
	}
	for _, s := range steps {
		if err := n.AfterRun(ctx, "blesta", s.rep); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got := h.take()
		if s.wantNew == nil {
			if len(got) != 0 {
				t.Errorf("%s: %d requests, want none: %+v", s.name, len(got), got[0].payload)
			}
			continue
		}
		if len(got) != 1 {
			t.Fatalf("%s: %d requests, want 1", s.name, len(got))
		}
		p := got[0].payload
		if ids := billingIDs(p); !slices.Equal(ids, s.wantNew) && len(ids)+len(s.wantNew) > 0 {
			t.Errorf("%s: new %v, want %v", s.name, ids, s.wantNew)
		}
		if p.Resolved != s.wantResolved || p.Event != KindChanged || p.RunID != s.rep.RunID {
			t.Errorf("%s: resolved %d event %s run %d, want %d changed %d", s.name, p.Resolved, p.Event, p.RunID,
				s.wantResolved, s.rep.RunID)
		}
	}
}

// withReason returns d with another reason.
func withReason(d ticagasync.Decision, r ticagasync.Reason) ticagasync.Decision {
	d.Reason = r
	return d
}

func TestWebhookFailureOnceThenRecovered(t *testing.T) {
	h := newHook(t)
	n, _ := newNotifier(t, Config{WebhookURL: h.srv.URL})
	ctx := t.Context()
	a := conflict(1, "a@x.example")
	must := func(rep *ticagasync.Report) {
		t.Helper()
		if err := n.AfterRun(ctx, "blesta", rep); err != nil {
			t.Fatal(err)
		}
	}
	must(report(1, a))
	h.takeOne(t)

	dbDown := errors.New("preflight: billing database: dial tcp 10.0.0.5:3306: connection refused")
	must(failedReport(2, dbDown))
	p := h.takeOne(t).payload
	if p.Event != KindFailed || p.Outcome != ticagasync.OutcomeFailed || p.Error != dbDown.Error() || len(p.New) != 0 {
		t.Errorf("failed payload %+v", p)
	}
	must(failedReport(3, dbDown))
	if got := h.take(); len(got) != 0 {
		t.Errorf("the same failure again: %d requests, want none", len(got))
	}
	other := errors.New("preflight: ticaga: unauthorized")
	must(failedReport(4, other))
	if p := h.takeOne(t).payload; p.Error != other.Error() {
		t.Errorf("another failure: error %q", p.Error)
	}

	// Recovery is news even with the same open decisions; a failed run
	// did not count a as resolved.
	must(report(5, a))
	p = h.takeOne(t).payload
	if p.Event != KindRecovered || len(p.New) != 0 || p.Resolved != 0 || p.Error != "" || p.Open != 1 {
		t.Errorf("recovered payload %+v", p)
	}
	must(report(6, a))
	if got := h.take(); len(got) != 0 {
		t.Errorf("after recovery: %d requests, want none", len(got))
	}
	// An outcome of failed without an error still counts as a failure.
	r := report(7, a)
	r.Outcome = ticagasync.OutcomeFailed
	must(r)
	if p := h.takeOne(t).payload; p.Event != KindFailed || p.Error != "run failed" {
		t.Errorf("failed outcome payload %+v", p)
	}
}

func TestWebhookSilentRuns(t *testing.T) {
	h := newHook(t)
	n, _ := newNotifier(t, Config{WebhookURL: h.srv.URL})
	dry := report(1, conflict(1, "a@x.example"))
	dry.DryRun = true
	stopped := failedReport(2, fmt.Errorf("read billing contacts: %w", context.Canceled))
	untried := report(3, conflict(1, "a@x.example"), ticagasync.Decision{Contact: ticagasync.Contact{BillingID: "2"},
		Action: ticagasync.ActionFailed, Reason: ticagasync.ReasonCancelled})
	untried.Outcome = ticagasync.OutcomePartial
	for _, rep := range []*ticagasync.Report{dry, stopped, untried, nil} {
		if err := n.AfterRun(t.Context(), "blesta", rep); err != nil {
			t.Fatal(err)
		}
	}
	if got := h.take(); len(got) != 0 {
		t.Errorf("%d requests, want none", len(got))
	}
	// The dry run taught nothing: the real run reports the conflict.
	if err := n.AfterRun(t.Context(), "blesta", report(4, conflict(1, "a@x.example"))); err != nil {
		t.Fatal(err)
	}
	if p := h.takeOne(t).payload; !slices.Equal(billingIDs(p), []int64{1}) {
		t.Errorf("new %v, want [1]", billingIDs(p))
	}
}

func TestWebhookCapsTheList(t *testing.T) {
	h := newHook(t)
	n, _ := newNotifier(t, Config{WebhookURL: h.srv.URL})
	var ds []ticagasync.Decision
	for i := range 150 {
		ds = append(ds, conflict(int64(i+1), fmt.Sprintf("c%d@x.example", i)))
	}
	if err := n.AfterRun(t.Context(), "blesta", report(1, ds...)); err != nil {
		t.Fatal(err)
	}
	p := h.takeOne(t).payload
	if len(p.New) != MaxListed || p.More != 50 || p.Open != 150 || p.New[0].BillingID != "1" {
		t.Errorf("new %d more %d open %d", len(p.New), p.More, p.Open)
	}
}

func TestWatchedActions(t *testing.T) {
	h := newHook(t)
	n, _ := newNotifier(t, Config{WebhookURL: h.srv.URL, Actions: []ticagasync.Action{ticagasync.ActionConflict}})
	if err := n.AfterRun(t.Context(), "blesta", report(1, noMatch(1), noMatch(2))); err != nil {
		t.Fatal(err)
	}
	if got := h.take(); len(got) != 0 {
		t.Errorf("no_match only: %d requests, want none", len(got))
	}
	if err := n.AfterRun(t.Context(), "blesta", report(2, noMatch(1), conflict(3, "c@x.example"))); err != nil {
		t.Fatal(err)
	}
	if p := h.takeOne(t).payload; !slices.Equal(billingIDs(p), []int64{3}) || p.Open != 1 {
		t.Errorf("new %v open %d, want [3] 1", billingIDs(p), p.Open)
	}
}

// Unreadable Ticaga users are in every message; a newly unreadable one is
// news on its own, and one answered again is resolved.
func TestWebhookUnreadableUsers(t *testing.T) {
	h := newHook(t)
	n, _ := newNotifier(t, Config{WebhookURL: h.srv.URL + "/hook"})
	withUnreadable := func(id int64, ids ...int64) *ticagasync.Report {
		rep := report(id, linked(1, ticagasync.ActionLink))
		for _, u := range ids {
			rep.Directory.Unreadable = append(rep.Directory.Unreadable,
				ticagasync.UnknownUser{ID: u, Runs: 3, LastError: fmt.Sprintf("ticaga: customers/get (id %d): HTTP 500", u)})
		}
		return rep
	}
	if err := n.AfterRun(t.Context(), "blesta", withUnreadable(1, 17)); err != nil {
		t.Fatal(err)
	}
	got := h.takeOne(t)
	if got.payload.Event != KindChanged || len(got.payload.Unreadable) != 1 || got.payload.Unreadable[0].ID != 17 ||
		!strings.Contains(got.payload.Unreadable[0].LastError, "HTTP 500") {
		t.Fatalf("first payload = %+v", got.payload)
	}
	// The same unreadable user again is not news.
	if err := n.AfterRun(t.Context(), "blesta", withUnreadable(2, 17)); err != nil {
		t.Fatal(err)
	}
	if got := h.take(); len(got) != 0 {
		t.Fatalf("an unchanged unreadable user was notified again: %+v", got)
	}
	// Another one is, and the message lists both.
	if err := n.AfterRun(t.Context(), "blesta", withUnreadable(3, 17, 42)); err != nil {
		t.Fatal(err)
	}
	if got := h.takeOne(t); len(got.payload.Unreadable) != 2 || got.payload.Resolved != 0 {
		t.Fatalf("third payload = %+v", got.payload)
	}
	// 17 answered again: resolved.
	if err := n.AfterRun(t.Context(), "blesta", withUnreadable(4, 42)); err != nil {
		t.Fatal(err)
	}
	if got := h.takeOne(t); len(got.payload.Unreadable) != 1 || got.payload.Resolved != 1 {
		t.Fatalf("fourth payload = %+v", got.payload)
	}
}

// A failed run's report lists the unreadable users too, and the same
// failure is not re-sent.
func TestWebhookFailedRunListsUnreadable(t *testing.T) {
	h := newHook(t)
	n, _ := newNotifier(t, Config{WebhookURL: h.srv.URL + "/hook"})
	for i := range 2 {
		rep := report(int64(i + 1))
		rep.Outcome, rep.Err = ticagasync.OutcomeFailed, errors.New("directory refresh: Ticaga's answer about 1 user(s) is unknown (id 9)")
		rep.Directory.Unreadable = []ticagasync.UnknownUser{{ID: 17, Runs: 3 + i, LastError: "HTTP 500"}}
		if err := n.AfterRun(t.Context(), "blesta", rep); err != nil {
			t.Fatal(err)
		}
	}
	got := h.take()
	if len(got) != 1 || got[0].payload.Event != KindFailed || len(got[0].payload.Unreadable) != 1 {
		t.Fatalf("got %d messages: %+v", len(got), got)
	}
}
