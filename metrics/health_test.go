package metrics

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// clock is a settable time source.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// wantReady checks h's verdict and that each reason contains its part.
func wantReady(t *testing.T, h *Health, want bool, reasonParts ...string) {
	t.Helper()
	ok, reasons := h.Ready()
	if ok != want {
		t.Fatalf("Ready() = %v %q, want %v", ok, reasons, want)
	}
	if len(reasons) != len(reasonParts) {
		t.Fatalf("reasons = %q, want %d", reasons, len(reasonParts))
	}
	for i, part := range reasonParts {
		if !strings.Contains(reasons[i], part) {
			t.Errorf("reason %q does not contain %q", reasons[i], part)
		}
	}
}

func TestHealthFirstRunAndAge(t *testing.T) {
	c := &clock{now: t0}
	h := NewHealth(c.Now)
	wantReady(t, h, false, "no source is watched")
	h.Watch("blesta", 15*time.Minute)
	o := h.Observer("blesta")
	wantReady(t, h, false, "source blesta: no run has passed its preflight yet")

	// Ready as soon as the first run's preflight passes, before it ends.
	o.LockHeld("blesta", true)
	wantReady(t, h, false, "no run has passed")
	o.Progress(ticagasync.StagePreflight, 1, 1)
	wantReady(t, h, true)
	c.Advance(10 * time.Minute)
	o.RunFinished(report(ticagasync.OutcomeCompleted, t0, 10*time.Minute, 1))
	o.LockHeld("blesta", false)
	wantReady(t, h, true)

	// Three intervals without a success are allowed, not more.
	c.Advance(45 * time.Minute)
	wantReady(t, h, true)
	c.Advance(time.Second)
	wantReady(t, h, false, "source blesta: last successful run finished 45m1s ago (at 2025-03-01T12:10:00Z), more than 3 × 15m0s")

	// A partial run went through: it counts as a success.
	drive(o, true, report(ticagasync.OutcomePartial, c.Now(), 0, 1))
	wantReady(t, h, true)

	// MaxMissedRuns is configurable.
	h.MaxMissedRuns = 1
	c.Advance(16 * time.Minute)
	wantReady(t, h, false, "more than 1 × 15m0s")
}

func TestHealthPreflight(t *testing.T) {
	c := &clock{now: t0}
	h := NewHealth(c.Now)
	h.Watch("blesta", 15*time.Minute)
	h.Watch("whmcs", 0)
	blesta, whmcs := h.Observer("blesta"), h.Observer("whmcs")
	drive(whmcs, true, report(ticagasync.OutcomeCompleted, t0, time.Second, 1))

	// A first run that fails its preflight: not ready, with the error.
	drive(blesta, false, report(ticagasync.OutcomeFailed, t0, time.Second, 0))
	wantReady(t, h, false, "source blesta: last run failed its preflight: preflight: ticaga: ticaga: connection: HTTP 401")

	// Recovery: ready again once a run passes its preflight.
	c.Advance(15 * time.Minute)
	drive(blesta, true, report(ticagasync.OutcomeCompleted, c.Now(), time.Second, 1))
	wantReady(t, h, true)

	// A later preflight failure makes it not ready again; a failure after
	// the preflight does not (until the success is too old).
	drive(blesta, true, report(ticagasync.OutcomeFailed, c.Now(), time.Second, 0))
	wantReady(t, h, true)
	drive(blesta, false, report(ticagasync.OutcomeFailed, c.Now(), time.Second, 0))
	drive(whmcs, false, report(ticagasync.OutcomeFailed, c.Now(), time.Second, 0))
	wantReady(t, h, false, "source blesta: last run failed its preflight", "source whmcs: last run failed its preflight")
	drive(whmcs, true, report(ticagasync.OutcomeCompleted, c.Now(), time.Second, 1))
	wantReady(t, h, false, "source blesta: last run failed its preflight")
}

func TestHealthNoSuccessAfterPreflight(t *testing.T) {
	c := &clock{now: t0}
	h := NewHealth(c.Now)
	h.Watch("blesta", time.Hour)
	o := h.Observer("blesta")
	// Runs pass their preflight but fail later (say, the store): ready
	// until three intervals after the first preflight, then not.
	for i := range 4 {
		r := report(ticagasync.OutcomeFailed, c.Now(), time.Second, 0)
		r.Err = errors.New("record decisions: connection refused")
		drive(o, true, r)
		if i < 3 {
			wantReady(t, h, true)
		}
		c.Advance(time.Hour)
	}
	wantReady(t, h, false, "source blesta: no successful run since the first preflight passed 4h0m0s ago "+
		"(at 2025-03-01T12:00:00Z), more than 3 × 1h0m0s; last run failed: record decisions: connection refused")
}

func TestScheduleInterval(t *testing.T) {
	for spec, want := range map[string]time.Duration{
		"@every 15m":  15 * time.Minute,
		"*/5 * * * *": 5 * time.Minute,
		"@hourly":     time.Hour,
		"0 9 * * 1-5": 72 * time.Hour, // Friday to Monday
	} {
		s, err := cron.ParseStandard(spec)
		if err != nil {
			t.Fatal(err)
		}
		if got := ScheduleInterval(s, t0); got != want {
			t.Errorf("ScheduleInterval(%q) = %v, want %v", spec, got, want)
		}
	}
}

func TestHealthForget(t *testing.T) {
	h := NewHealth(time.Now)
	h.Watch("gone", time.Minute)
	if ok, _ := h.Ready(); ok {
		t.Fatal("ready before any run")
	}
	h.Forget("gone")
	h.Watch("kept", time.Minute)
	h.Observer("kept").Progress(ticagasync.StagePreflight, 1, 1)
	if ok, reasons := h.Ready(); !ok {
		t.Fatalf("a forgotten source still counts: %v", reasons)
	}
}
