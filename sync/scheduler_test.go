package sync

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestSchedulerRunsAtStartAndOnSchedule(t *testing.T) {
	sched := every(50 * time.Millisecond) // cron's @every rounds up to 1s
	var runs, inFlight, overlap atomic.Int32
	s := NewScheduler(sched, func(ctx context.Context) {
		if inFlight.Add(1) > 1 {
			overlap.Add(1)
		}
		runs.Add(1)
		time.Sleep(80 * time.Millisecond) // longer than the interval
		inFlight.Add(-1)
	}, zerolog.Nop())
	ctx, cancel := context.WithTimeout(t.Context(), 400*time.Millisecond)
	defer cancel()
	s.Loop(ctx, time.Second)
	if n := runs.Load(); n < 2 || n > 6 {
		t.Fatalf("got %d runs in 400ms at @every 50ms with 80ms runs; want 2..6", n)
	}
	if overlap.Load() != 0 {
		t.Fatal("two runs overlapped")
	}
}

func TestSchedulerTrigger(t *testing.T) {
	sched, _ := ParseSchedule("@every 1h")
	var runs atomic.Int32
	s := NewScheduler(sched, func(context.Context) { runs.Add(1) }, zerolog.Nop())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { s.Loop(ctx, time.Second); close(done) }()
	waitFor(t, func() bool { return runs.Load() == 1 })
	s.Trigger()
	waitFor(t, func() bool { return runs.Load() == 2 })
	cancel()
	<-done
}

func TestSchedulerStopGivesGraceThenCancels(t *testing.T) {
	sched, _ := ParseSchedule("@every 1h")
	started := make(chan struct{})
	var sawCancel atomic.Bool
	s := NewScheduler(sched, func(ctx context.Context) {
		close(started)
		<-ctx.Done() // a run that would never finish by itself
		sawCancel.Store(true)
	}, zerolog.Nop())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { s.Loop(ctx, 100*time.Millisecond); close(done) }()
	<-started
	begin := time.Now()
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Loop did not return after the grace period")
	}
	if took := time.Since(begin); took < 100*time.Millisecond {
		t.Fatalf("run cancelled after %v, before its grace of 100ms", took)
	}
	if !sawCancel.Load() {
		t.Fatal("the run's context was not cancelled")
	}
}

func TestSchedulerStopLetsAQuickRunFinish(t *testing.T) {
	sched, _ := ParseSchedule("@every 1h")
	started := make(chan struct{})
	var cancelled atomic.Bool
	s := NewScheduler(sched, func(ctx context.Context) {
		close(started)
		time.Sleep(50 * time.Millisecond)
		cancelled.Store(ctx.Err() != nil)
	}, zerolog.Nop())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { s.Loop(ctx, 5*time.Second); close(done) }()
	<-started
	cancel()
	<-done
	if cancelled.Load() {
		t.Fatal("a run that finishes within the grace period saw its context cancelled")
	}
}

func TestParseScheduleRejectsNonsense(t *testing.T) {
	for _, s := range []string{"every 5m", "@every", "* * *", "61 * * * *"} {
		if _, err := ParseSchedule(s); err == nil {
			t.Errorf("ParseSchedule(%q) accepted it", s)
		}
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// every is a cron.Schedule with sub-second intervals for tests.
type every time.Duration

func (e every) Next(t time.Time) time.Time { return t.Add(time.Duration(e)) }
