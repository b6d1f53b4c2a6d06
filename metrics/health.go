package metrics

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// DefaultMaxMissedRuns is Health.MaxMissedRuns when it is not set.
const DefaultMaxMissedRuns = 3

// Health decides whether the daemon is ready (/readyz), from what the
// engine's observers report for each watched source. A source is ready
// when:
//
//   - a run has passed its preflight (Ticaga accepted the token and the
//     billing database answered); this is also when the daemon tells systemd
//     READY=1, so both see the daemon ready at the same moment. A first run
//     still going after its preflight counts as ready. (A daemon whose first
//     run fails also tells systemd READY=1, so that it is not restarted in a
//     loop; /readyz then answers 503 with the failure);
//   - the last finished run did not fail before passing its preflight (one
//     that did makes the source not ready until a later run passes it);
//   - its last successful run (outcome completed or partial) finished less
//     than MaxMissedRuns schedule intervals ago; before a first success the
//     age is counted from the first preflight that passed.
//
// With no source watched, Health is not ready. Its methods are safe for
// concurrent use.
type Health struct {
	// MaxMissedRuns is how many schedule intervals a source may go without
	// a successful run before it is not ready (default 3, the
	// DefaultMaxMissedRuns, when 0 or less). Set it before use.
	MaxMissedRuns int

	now     func() time.Time
	mu      sync.Mutex
	sources map[string]*sourceHealth
}

// sourceHealth is what Health knows of one source.
type sourceHealth struct {
	interval       time.Duration // schedule interval; 0: no age limit
	firstPreflight time.Time     // when a preflight first passed
	lastSuccess    time.Time     // when the last successful run finished
	passedThisRun  bool          // the run in progress has passed its preflight
	preflightErr   string        // why the last finished run failed before its preflight
	lastErr        string        // why the last finished run failed, if it did
}

// NewHealth returns a Health reading the time from now (time.Now when nil).
func NewHealth(now func() time.Time) *Health {
	if now == nil {
		now = time.Now
	}
	return &Health{MaxMissedRuns: DefaultMaxMissedRuns, now: now, sources: make(map[string]*sourceHealth)}
}

// Watch makes source part of readiness, with runs expected every interval
// (0: never too old). Call it before the first run of source; see
// ScheduleInterval for a cron schedule's interval.
func (h *Health) Watch(source string, interval time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.source(source).interval = interval
}

// Forget removes source from readiness (a source dropped by a reload).
func (h *Health) Forget(source string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.sources, source)
}

// source returns the state of name, adding it; h.mu must be held.
func (h *Health) source(name string) *sourceHealth {
	s := h.sources[name]
	if s == nil {
		s = &sourceHealth{}
		h.sources[name] = s
	}
	return s
}

// Observer returns the engine observer that feeds h for source; pass the
// engine's Name. A source reported without Watch is watched with no age
// limit.
func (h *Health) Observer(source string) ticagasync.Observer {
	return &healthObserver{h: h, source: source}
}

// healthObserver is the ticagasync.Observer of one source for a Health.
type healthObserver struct {
	h      *Health
	source string
}

// LockHeld implements ticagasync.Observer: taking the lock starts a run.
func (o *healthObserver) LockHeld(_ string, held bool) {
	if !held {
		return
	}
	o.h.mu.Lock()
	defer o.h.mu.Unlock()
	o.h.source(o.source).passedThisRun = false
}

// Progress implements ticagasync.Observer: it notes a passed preflight.
func (o *healthObserver) Progress(stage ticagasync.Stage, done, total int) {
	if stage != ticagasync.StagePreflight || total <= 0 || done < total {
		return
	}
	now := o.h.now()
	o.h.mu.Lock()
	defer o.h.mu.Unlock()
	s := o.h.source(o.source)
	s.passedThisRun = true
	s.preflightErr = ""
	if s.firstPreflight.IsZero() {
		s.firstPreflight = now
	}
}

// RunFinished implements ticagasync.Observer.
func (o *healthObserver) RunFinished(r *ticagasync.Report) {
	if r == nil {
		return
	}
	now := o.h.now()
	o.h.mu.Lock()
	defer o.h.mu.Unlock()
	s := o.h.source(o.source)
	s.lastErr = ""
	if r.Err != nil {
		s.lastErr = oneLine(r.Err.Error())
		if !s.passedThisRun {
			s.preflightErr = s.lastErr
		}
	}
	if succeeded(r) {
		s.lastSuccess = now
	}
	s.passedThisRun = false
}

// Ready reports whether every watched source is ready and, when not, why:
// one reason per source that is not, sorted by source.
func (h *Health) Ready() (ok bool, reasons []string) {
	now := h.now()
	missed := h.MaxMissedRuns
	if missed <= 0 {
		missed = DefaultMaxMissedRuns
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.sources) == 0 {
		return false, []string{"no source is watched"}
	}
	for _, name := range slices.Sorted(maps.Keys(h.sources)) {
		if reason := h.sources[name].notReady(now, missed); reason != "" {
			reasons = append(reasons, fmt.Sprintf("source %s: %s", name, reason))
		}
	}
	return len(reasons) == 0, reasons
}

// notReady says why s is not ready at now, or "" when it is.
func (s *sourceHealth) notReady(now time.Time, missed int) string {
	switch {
	case s.preflightErr != "":
		return "last run failed its preflight: " + s.preflightErr
	case s.firstPreflight.IsZero():
		return "no run has passed its preflight yet"
	case s.interval <= 0:
		return ""
	}
	allowed := time.Duration(missed) * s.interval
	since, what := s.lastSuccess, "last successful run finished"
	if since.IsZero() {
		since, what = s.firstPreflight, "no successful run since the first preflight passed"
	}
	age := now.Sub(since)
	if age <= allowed {
		return ""
	}
	reason := fmt.Sprintf("%s %s ago (at %s), more than %d × %s", what, age.Round(time.Second),
		since.UTC().Format(time.RFC3339), missed, s.interval)
	if s.lastErr != "" {
		reason += "; last run failed: " + s.lastErr
	}
	return reason
}

// ScheduleInterval returns the longest gap between consecutive times of
// schedule (a cron.Schedule) among its next 64 after from: "@every 15m"
// gives 15m, "0 9 * * 1-5" the 72h from Friday to Monday. It returns 0 when
// the schedule has fewer than two more times.
func ScheduleInterval(schedule interface{ Next(time.Time) time.Time }, from time.Time) time.Duration {
	var longest time.Duration
	prev := schedule.Next(from)
	for range 64 {
		if prev.IsZero() {
			break
		}
		next := schedule.Next(prev)
		if next.IsZero() {
			break
		}
		longest = max(longest, next.Sub(prev))
		prev = next
	}
	return longest
}

// oneLine flattens an error's text to one line of at most 300 bytes, for a
// reason line of /readyz.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	for i := range s { // rune boundaries
		if i >= 300 {
			return s[:i] + "..."
		}
	}
	return s
}
