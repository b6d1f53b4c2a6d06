package metrics

import (
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// outcomes are the run outcomes whose counters exist from the start, so
// that rate() and increase() see the first run of each.
var outcomes = []ticagasync.Outcome{ticagasync.OutcomeCompleted, ticagasync.OutcomePartial, ticagasync.OutcomeFailed}

// Observer returns the engine observer that feeds the series of one
// source; pass the engine's Name. It creates the source's run counters,
// its lock gauges and its failures in a row (at 0) at once.
//
// What a finished run sets: runs_total, run_duration_seconds and
// last_run_timestamp_seconds always; last_success_timestamp_seconds (and
// consecutive_failed_runs back to 0) when the outcome is completed or
// partial, consecutive_failed_runs up by one when it failed (the run went through; per-customer
// failures show as decisions{action="failed"}); decisions and
// decisions_total when the run got as far as planning (a run that failed
// before it keeps the previous run's decisions gauge); directory_users when
// the directory refresh finished. Dry runs change nothing but lock_held: they
// do not sync.
func (m *Metrics) Observer(source string) ticagasync.Observer {
	for _, o := range outcomes {
		m.runs.WithLabelValues(source, string(o))
	}
	m.lockHeld.WithLabelValues(source)
	m.lockSince.WithLabelValues(source)
	m.failedInARow.WithLabelValues(source)
	for _, state := range []string{"pending", "unreadable"} {
		m.unknownUsers.WithLabelValues(source, state)
	}
	return &sourceObserver{m: m, source: source}
}

// sourceObserver is the ticagasync.Observer of one source.
type sourceObserver struct {
	m      *Metrics
	source string
}

// Progress implements ticagasync.Observer; progress has no series.
func (o *sourceObserver) Progress(ticagasync.Stage, int, int) {}

// LockHeld implements ticagasync.Observer.
func (o *sourceObserver) LockHeld(_ string, held bool) {
	v, since := 0.0, 0.0
	if held {
		v, since = 1, unixSeconds(time.Now())
	}
	o.m.lockHeld.WithLabelValues(o.source).Set(v)
	o.m.lockSince.WithLabelValues(o.source).Set(since)
}

// RunFinished implements ticagasync.Observer.
func (o *sourceObserver) RunFinished(r *ticagasync.Report) {
	if r == nil || r.DryRun {
		return
	}
	m, src := o.m, o.source
	m.runs.WithLabelValues(src, string(r.Outcome)).Inc()
	finished := r.FinishedAt
	if finished.IsZero() {
		finished = time.Now()
	}
	if !r.StartedAt.IsZero() && !finished.Before(r.StartedAt) {
		m.runDuration.WithLabelValues(src).Observe(finished.Sub(r.StartedAt).Seconds())
	}
	m.lastRun.WithLabelValues(src).Set(unixSeconds(finished))
	switch {
	case succeeded(r):
		m.lastSuccess.WithLabelValues(src).Set(unixSeconds(finished))
		m.failedInARow.WithLabelValues(src).Set(0)
	case r.Outcome == ticagasync.OutcomeFailed:
		m.failedInARow.WithLabelValues(src).Inc()
	}
	// Directory.Size is only set once the refresh has finished; a failed
	// run with a size of 0 did not get that far.
	if r.Outcome != ticagasync.OutcomeFailed || r.Directory.Size > 0 {
		m.directoryUsers.WithLabelValues(src).Set(float64(r.Directory.Size))
	}
	// Unknown users are counted when the refresh got as far as knowing
	// them, also in a run that failed because of them.
	if d := r.Directory; r.Outcome != ticagasync.OutcomeFailed || d.Size > 0 || len(d.Unknown)+len(d.Unreadable) > 0 {
		m.unknownUsers.WithLabelValues(src, "pending").Set(float64(len(d.Unknown)))
		m.unknownUsers.WithLabelValues(src, "unreadable").Set(float64(len(d.Unreadable)))
	}
	// A run that planned has its decisions, even when it failed later; a
	// run that failed before planning has none and says nothing about the
	// customers.
	if r.Outcome != ticagasync.OutcomeFailed || r.NumDecisions() > 0 {
		counts := make(map[decisionKey]int)
		for d := range r.All() {
			counts[keyOf(d)]++
		}
		m.decisions.replace(src, counts)
		for k, n := range counts {
			m.decisionsTotal.WithLabelValues(src, k.action, k.reason).Add(float64(n))
		}
	}
}

// succeeded reports whether r is a run that went through: completed, or
// partial (some links failed and are retried next run).
func succeeded(r *ticagasync.Report) bool {
	return !r.DryRun && (r.Outcome == ticagasync.OutcomeCompleted || r.Outcome == ticagasync.OutcomePartial)
}

// Multi returns an observer that passes every call to each of observers in
// turn; nil entries are skipped. Each must not block, as the engine
// requires of any observer.
func Multi(observers ...ticagasync.Observer) ticagasync.Observer {
	var m multiObserver
	for _, o := range observers {
		if o != nil {
			m = append(m, o)
		}
	}
	return m
}

// multiObserver fans calls out to several observers.
type multiObserver []ticagasync.Observer

// Progress implements ticagasync.Observer.
func (m multiObserver) Progress(stage ticagasync.Stage, done, total int) {
	for _, o := range m {
		o.Progress(stage, done, total)
	}
}

// LockHeld implements ticagasync.Observer.
func (m multiObserver) LockHeld(source string, held bool) {
	for _, o := range m {
		o.LockHeld(source, held)
	}
}

// RunFinished implements ticagasync.Observer.
func (m multiObserver) RunFinished(r *ticagasync.Report) {
	for _, o := range m {
		o.RunFinished(r)
	}
}
