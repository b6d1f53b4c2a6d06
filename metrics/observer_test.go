package metrics

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

// decisions makes n decisions of each given action/reason pair.
func decisions(n int, action ticagasync.Action, reason ticagasync.Reason) []ticagasync.Decision {
	ds := make([]ticagasync.Decision, n)
	for i := range ds {
		ds[i] = ticagasync.Decision{Action: action, Reason: reason}
	}
	return ds
}

// report is a finished run of source "blesta" that took took and planned ds.
func report(outcome ticagasync.Outcome, start time.Time, took time.Duration, size int, ds ...[]ticagasync.Decision) *ticagasync.Report {
	r := &ticagasync.Report{Source: "blesta", StartedAt: start, FinishedAt: start.Add(took), Outcome: outcome,
		Directory: ticagasync.DirectoryReport{Size: size}}
	for _, d := range ds {
		r.Decisions = append(r.Decisions, d...)
	}
	r.Counts = ticagasync.Tally(r.Decisions)
	if outcome == ticagasync.OutcomeFailed {
		r.Err = errors.New("preflight: ticaga: ticaga: connection: HTTP 401: unauthorized")
	}
	return r
}

// drive makes the engine's calls for one run: the lock, the preflight when
// passed, the end.
func drive(o ticagasync.Observer, passedPreflight bool, r *ticagasync.Report) {
	o.LockHeld(r.Source, true)
	if passedPreflight {
		o.Progress(ticagasync.StagePreflight, 1, 1)
	}
	o.RunFinished(r)
	o.LockHeld(r.Source, false)
}

// compare checks the exposition text of the named series of g.
func compare(t *testing.T, g prometheus.Gatherer, want string, names ...string) {
	t.Helper()
	if err := testutil.GatherAndCompare(g, strings.NewReader(want), names...); err != nil {
		t.Error(err)
	}
}

func TestObserverRuns(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	o := m.Observer("blesta")

	// Completed, partial with failed links, failed preflight.
	drive(o, true, report(ticagasync.OutcomeCompleted, t0, 90*time.Second, 120,
		decisions(3, ticagasync.ActionLink, ""), decisions(5, ticagasync.ActionAlreadyLinked, ""),
		decisions(2, ticagasync.ActionConflict, ticagasync.ReasonDuplicateBillingEmail)))
	drive(o, true, report(ticagasync.OutcomePartial, t0.Add(15*time.Minute), 30*time.Second, 121,
		decisions(7, ticagasync.ActionAlreadyLinked, ""),
		decisions(2, ticagasync.ActionFailed, ticagasync.ReasonTicagaUnknown)))
	drive(o, false, report(ticagasync.OutcomeFailed, t0.Add(30*time.Minute), time.Second, 0))

	compare(t, reg, `
# HELP ticaga_sync_runs_total Sync runs finished, by outcome (completed, partial, failed). Dry runs are not counted.
# TYPE ticaga_sync_runs_total counter
ticaga_sync_runs_total{outcome="completed",source="blesta"} 1
ticaga_sync_runs_total{outcome="failed",source="blesta"} 1
ticaga_sync_runs_total{outcome="partial",source="blesta"} 1
`, "ticaga_sync_runs_total")
	// The failed run planned nothing: the partial run's decisions stay.
	compare(t, reg, `
# HELP ticaga_sync_decisions Decisions of the last run that planned, by action and reason (reason "none" when it has none).
# TYPE ticaga_sync_decisions gauge
ticaga_sync_decisions{action="already_linked",reason="none",source="blesta"} 7
ticaga_sync_decisions{action="failed",reason="ticaga_answer_unknown",source="blesta"} 2
`, "ticaga_sync_decisions")
	compare(t, reg, `
# HELP ticaga_sync_decisions_total Decisions made by sync runs, by action and reason (reason "none" when it has none).
# TYPE ticaga_sync_decisions_total counter
ticaga_sync_decisions_total{action="already_linked",reason="none",source="blesta"} 12
ticaga_sync_decisions_total{action="conflict",reason="duplicate_billing_email",source="blesta"} 2
ticaga_sync_decisions_total{action="failed",reason="ticaga_answer_unknown",source="blesta"} 2
ticaga_sync_decisions_total{action="link",reason="none",source="blesta"} 3
`, "ticaga_sync_decisions_total")

	partialEnd := t0.Add(15*time.Minute + 30*time.Second)
	failedEnd := t0.Add(30*time.Minute + time.Second)
	for name, c := range map[string]struct {
		got, want float64
	}{
		"last_success":    {testutil.ToFloat64(m.lastSuccess), float64(partialEnd.Unix())},
		"last_run":        {testutil.ToFloat64(m.lastRun), float64(failedEnd.Unix())},
		"directory_users": {testutil.ToFloat64(m.directoryUsers), 121}, // kept over the failed run
		"lock_held":       {testutil.ToFloat64(m.lockHeld), 0},
	} {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", name, c.got, c.want)
		}
	}
	compare(t, reg, `
# HELP ticaga_sync_run_duration_seconds How long sync runs took, from the lock taken to the run recorded.
# TYPE ticaga_sync_run_duration_seconds histogram
ticaga_sync_run_duration_seconds_bucket{source="blesta",le="1"} 1
ticaga_sync_run_duration_seconds_bucket{source="blesta",le="5"} 1
ticaga_sync_run_duration_seconds_bucket{source="blesta",le="15"} 1
ticaga_sync_run_duration_seconds_bucket{source="blesta",le="30"} 2
ticaga_sync_run_duration_seconds_bucket{source="blesta",le="60"} 2
ticaga_sync_run_duration_seconds_bucket{source="blesta",le="120"} 3
ticaga_sync_run_duration_seconds_bucket{source="blesta",le="300"} 3
ticaga_sync_run_duration_seconds_bucket{source="blesta",le="600"} 3
ticaga_sync_run_duration_seconds_bucket{source="blesta",le="1200"} 3
ticaga_sync_run_duration_seconds_bucket{source="blesta",le="1800"} 3
ticaga_sync_run_duration_seconds_bucket{source="blesta",le="3600"} 3
ticaga_sync_run_duration_seconds_bucket{source="blesta",le="7200"} 3
ticaga_sync_run_duration_seconds_bucket{source="blesta",le="14400"} 3
ticaga_sync_run_duration_seconds_bucket{source="blesta",le="+Inf"} 3
ticaga_sync_run_duration_seconds_sum{source="blesta"} 121
ticaga_sync_run_duration_seconds_count{source="blesta"} 3
`, "ticaga_sync_run_duration_seconds")
}

func TestObserverFreshSourceAndLock(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	o := m.Observer("whmcs")
	// Every outcome counter exists at 0 before the first run.
	if n := testutil.CollectAndCount(m.runs); n != 3 {
		t.Errorf("runs_total series = %d, want 3", n)
	}
	if n := testutil.CollectAndCount(m.lastSuccess); n != 0 {
		t.Errorf("last_success series = %d before a success, want 0", n)
	}
	o.LockHeld("whmcs", true)
	if v := testutil.ToFloat64(m.lockHeld); v != 1 {
		t.Errorf("lock_held = %v while held", v)
	}
	o.LockHeld("whmcs", false)
	if v := testutil.ToFloat64(m.lockHeld); v != 0 {
		t.Errorf("lock_held = %v after release", v)
	}
}

func TestStaleReasonsDisappear(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	blesta, other := m.Observer("blesta"), m.Observer("other")
	drive(blesta, true, report(ticagasync.OutcomeCompleted, t0, time.Second, 1,
		decisions(2, ticagasync.ActionNoMatch, ticagasync.ReasonNoTicagaUser),
		decisions(1, ticagasync.ActionConflict, ticagasync.ReasonTicagaOtherBillingID)))
	o := report(ticagasync.OutcomeCompleted, t0, time.Second, 1, decisions(4, ticagasync.ActionLink, ""))
	o.Source = "other"
	drive(other, true, o)
	// The conflict is resolved: the next run no longer has that reason.
	drive(blesta, true, report(ticagasync.OutcomeCompleted, t0.Add(time.Hour), time.Second, 1,
		decisions(1, ticagasync.ActionNoMatch, ticagasync.ReasonNoTicagaUser)))

	compare(t, reg, `
# HELP ticaga_sync_decisions Decisions of the last run that planned, by action and reason (reason "none" when it has none).
# TYPE ticaga_sync_decisions gauge
ticaga_sync_decisions{action="link",reason="none",source="other"} 4
ticaga_sync_decisions{action="no_match",reason="no_ticaga_user",source="blesta"} 1
`, "ticaga_sync_decisions")

	// A run with no customers left empties the source's gauge.
	drive(blesta, true, report(ticagasync.OutcomeCompleted, t0.Add(2*time.Hour), time.Second, 1))
	if n := testutil.CollectAndCount(m.decisions); n != 1 {
		t.Errorf("decisions series = %d after an empty run, want 1 (the other source's)", n)
	}
}

func TestObserverIgnoresDryRuns(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	r := report(ticagasync.OutcomeCompleted, t0, time.Second, 5, decisions(1, ticagasync.ActionLink, ""))
	r.DryRun = true
	drive(m.Observer("blesta"), true, r)
	if v := testutil.ToFloat64(m.runs.WithLabelValues("blesta", "completed")); v != 0 {
		t.Errorf("runs_total after a dry run = %v", v)
	}
	if n := testutil.CollectAndCount(m.decisions) + testutil.CollectAndCount(m.lastSuccess); n != 0 {
		t.Errorf("a dry run set %d series", n)
	}
}

func TestMultiAndBuildInfo(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	h := NewHealth(func() time.Time { return t0 })
	o := Multi(nil, m.Observer("blesta"), h.Observer("blesta"))
	drive(o, true, report(ticagasync.OutcomeCompleted, t0, time.Second, 1))
	if v := testutil.ToFloat64(m.runs.WithLabelValues("blesta", "completed")); v != 1 {
		t.Errorf("runs_total via Multi = %v", v)
	}
	if ok, reasons := h.Ready(); !ok {
		t.Errorf("health via Multi not ready: %v", reasons)
	}

	m.SetBuildInfo("0.1.0", "abc")
	m.SetBuildInfo("0.2.0", "def")
	compare(t, reg, `
# HELP ticaga_sync_build_info Always 1; its labels give the running version and commit.
# TYPE ticaga_sync_build_info gauge
ticaga_sync_build_info{commit="def",version="0.2.0"} 1
`, "ticaga_sync_build_info")
}

// The unknown Ticaga users of a run's refresh, pending and unreadable; a
// run that failed before its refresh knew them leaves the gauge as it was.
func TestObserverUnknownUsers(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	o := m.Observer("blesta")
	pending := report(ticagasync.OutcomeFailed, t0, time.Second, 0)
	pending.Directory.Unknown = []ticagasync.UnknownUser{{ID: 17}, {ID: 18}}
	drive(o, false, pending)
	compare(t, reg, `
# HELP ticaga_sync_directory_unknown_users Ticaga users whose answer stayed unknown after the last run's refresh: state "pending" blocks links, "unreadable" (unknown for TICAGA_UNREADABLE_AFTER runs) no longer does.
# TYPE ticaga_sync_directory_unknown_users gauge
ticaga_sync_directory_unknown_users{source="blesta",state="pending"} 2
ticaga_sync_directory_unknown_users{source="blesta",state="unreadable"} 0
`, "ticaga_sync_directory_unknown_users")
	done := report(ticagasync.OutcomeCompleted, t0.Add(time.Minute), time.Second, 5)
	done.Directory.Unreadable = []ticagasync.UnknownUser{{ID: 17}}
	drive(o, true, done)
	drive(o, false, report(ticagasync.OutcomeFailed, t0.Add(2*time.Minute), time.Second, 0))
	compare(t, reg, `
# HELP ticaga_sync_directory_unknown_users Ticaga users whose answer stayed unknown after the last run's refresh: state "pending" blocks links, "unreadable" (unknown for TICAGA_UNREADABLE_AFTER runs) no longer does.
# TYPE ticaga_sync_directory_unknown_users gauge
ticaga_sync_directory_unknown_users{source="blesta",state="pending"} 0
ticaga_sync_directory_unknown_users{source="blesta",state="unreadable"} 1
`, "ticaga_sync_directory_unknown_users")
}

func TestObserverLockSinceAndFailuresInARow(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	o := m.Observer("blesta")
	if v := testutil.ToFloat64(m.lockSince); v != 0 {
		t.Errorf("lock_held_since before any lock = %v", v)
	}
	before := float64(time.Now().Unix())
	o.LockHeld("blesta", true)
	if v := testutil.ToFloat64(m.lockSince); v < before || v > float64(time.Now().Unix()+1) {
		t.Errorf("lock_held_since while held = %v, want about %v", v, before)
	}
	o.LockHeld("blesta", false)
	if v := testutil.ToFloat64(m.lockSince); v != 0 {
		t.Errorf("lock_held_since after release = %v", v)
	}

	inARow := func() float64 { return testutil.ToFloat64(m.failedInARow.WithLabelValues("blesta")) }
	for i := 1; i <= 3; i++ {
		drive(o, false, report(ticagasync.OutcomeFailed, t0.Add(time.Duration(i)*time.Minute), time.Second, 0))
		if v := inARow(); v != float64(i) {
			t.Errorf("after %d failed runs consecutive_failed_runs = %v", i, v)
		}
	}
	dry := report(ticagasync.OutcomeCompleted, t0.Add(time.Hour), time.Second, 1)
	dry.DryRun = true
	drive(o, true, dry)
	if v := inARow(); v != 3 {
		t.Errorf("a dry run changed consecutive_failed_runs to %v", v)
	}
	drive(o, true, report(ticagasync.OutcomePartial, t0.Add(2*time.Hour), time.Second, 1))
	if v := inARow(); v != 0 {
		t.Errorf("after a partial run consecutive_failed_runs = %v, want 0", v)
	}
	drive(o, false, report(ticagasync.OutcomeFailed, t0.Add(3*time.Hour), time.Second, 0))
	if v := inARow(); v != 1 {
		t.Errorf("after a new failure consecutive_failed_runs = %v, want 1", v)
	}
}

// Excluded customers are counted like any decision, with their reason.
func TestObserverCountsExcluded(t *testing.T) {
	reg := prometheus.NewRegistry()
	o := New(reg).Observer("blesta")
	drive(o, true, report(ticagasync.OutcomeCompleted, t0, time.Second, 10,
		decisions(2, ticagasync.ActionExcluded, ticagasync.ReasonOperatorExcluded), decisions(1, ticagasync.ActionLink, "")))
	compare(t, reg, `
# HELP ticaga_sync_decisions Decisions of the last run that planned, by action and reason (reason "none" when it has none).
# TYPE ticaga_sync_decisions gauge
ticaga_sync_decisions{action="excluded",reason="operator_excluded",source="blesta"} 2
ticaga_sync_decisions{action="link",reason="none",source="blesta"} 1
`, "ticaga_sync_decisions")
}
