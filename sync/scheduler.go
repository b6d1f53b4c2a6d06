package sync

import (
	"context"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"
)

// ParseSchedule parses a SYNC_SCHEDULE value: a standard five-field cron
// expression or a descriptor such as "@every 15m" or "@hourly".
func ParseSchedule(spec string) (cron.Schedule, error) {
	return cron.ParseStandard(spec)
}

// Scheduler runs a job once at start and then on a schedule, one run at a
// time: a tick that arrives while a run is going is skipped, not queued.
type Scheduler struct {
	Schedule cron.Schedule
	// Job is one run. Its ctx is cancelled when the grace period after a
	// stop has passed.
	Job func(ctx context.Context)
	Log zerolog.Logger
	Now func() time.Time

	trigger chan struct{}

	mu      sync.Mutex
	next    time.Time
	running bool
}

// Next returns when the next scheduled run starts and whether a run is in
// progress now (its next time is then zero until it ends).
func (s *Scheduler) Next() (next time.Time, running bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.next, s.running
}

func (s *Scheduler) setNext(next time.Time, running bool) {
	s.mu.Lock()
	s.next, s.running = next, running
	s.mu.Unlock()
}

// NewScheduler returns a scheduler for job on schedule.
func NewScheduler(schedule cron.Schedule, job func(ctx context.Context), log zerolog.Logger) *Scheduler {
	return &Scheduler{Schedule: schedule, Job: job, Log: log, Now: time.Now, trigger: make(chan struct{}, 1)}
}

// Trigger asks for a run now (SIGUSR1, ops control). It reports false when a
// triggered run is already pending.
func (s *Scheduler) Trigger() bool {
	select {
	case s.trigger <- struct{}{}:
		return true
	default:
		return false
	}
}

// Loop runs the job at once and then at each scheduled time until ctx is
// cancelled. A run in progress when ctx is cancelled gets grace to finish;
// after that its own context is cancelled and Loop waits for it to return.
func (s *Scheduler) Loop(ctx context.Context, grace time.Duration) {
	for {
		s.setNext(time.Time{}, true)
		s.runOnce(ctx, grace)
		next := s.Schedule.Next(s.Now())
		s.setNext(next, false)
		s.Log.Info().Time("next_run", next).Msg("waiting for the next scheduled run")
		timer := time.NewTimer(time.Until(next))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		case <-s.trigger:
			timer.Stop()
			s.Log.Info().Msg("run triggered")
		}
		if ctx.Err() != nil {
			return
		}
	}
}

func (s *Scheduler) runOnce(ctx context.Context, grace time.Duration) {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
		case <-ctx.Done():
			s.Log.Info().Str("grace", grace.String()).Msg("stopping: letting the current run finish")
			t := time.NewTimer(grace)
			defer t.Stop()
			select {
			case <-done:
			case <-t.C:
				s.Log.Warn().Msg("stopping: abandoning the current run; the next run repairs anything left half-done")
				cancel()
			}
		}
	}()
	s.Job(runCtx)
	close(done)
}
