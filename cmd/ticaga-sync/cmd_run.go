package main

import (
	"context"
	"errors"
	"fmt"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// cmdRun is the daemon: a run at start and then on SYNC_SCHEDULE, one at a
// time, until ctx is cancelled (SIGTERM/SIGINT). The run in progress then
// gets SYNC_SHUTDOWN_TIMEOUT to finish before it is abandoned; the exit code
// is 0 either way, since the next start repairs anything left half-done.
func cmdRun(ctx context.Context, args []string, env Env) int {
	var configFile string
	fs := newFlags("run", env, &configFile)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	cfg, code := loadConfig(ctx, configFile, env)
	if code >= 0 {
		return code
	}
	schedule, err := ticagasync.ParseSchedule(cfg.SyncSchedule)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: configuration: SYNC_SCHEDULE: %v\n", err)
		return exitUsage
	}
	log := newLogger(cfg, env.Stderr)
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		log.Error().Msg(oneLine(err))
		return exitFailed
	}
	defer a.Close()
	if err := a.store.Migrate(ctx); err != nil {
		log.Error().Err(err).Msg("migrate the store")
		return exitFailed
	}

	sd := newSystemd(env.Getenv)
	a.engine.Observer = readyObserver{sd: sd}
	stopWatchdog := make(chan struct{})
	defer close(stopWatchdog)
	go sd.keepAlive(stopWatchdog)

	log.Info().Str("version", version).Str("source", a.engine.Name).Str("schedule", cfg.SyncSchedule).
		Str("ticaga", cfg.TicagaURL).Msg("ticaga-sync daemon started")
	sched := ticagasync.NewScheduler(schedule, func(runCtx context.Context) {
		// A run that finds the lock held (a one-off sync, or another host)
		// is skipped: the next tick tries again.
		_, err := a.engine.Run(runCtx, ticagasync.RunOptions{})
		if errors.Is(err, ticagasync.ErrLocked) {
			log.Warn().Err(err).Msg("run skipped: another run holds the lock")
		}
		// A first run that failed its preflight still leaves a running
		// daemon that retries on schedule: ready, with the reason shown.
		if err != nil {
			sd.markReady("last run failed: " + oneLine(err))
		}
	}, log)
	if env.Trigger != nil {
		go func() {
			for {
				select {
				case <-ctx.Done():
					return
				case <-env.Trigger:
					if !sched.Trigger() {
						log.Info().Msg("a triggered run is already pending")
					}
				}
			}
		}()
	}
	sched.Loop(ctx, cfg.SyncShutdownTimeout)
	sd.notify("STOPPING=1")
	log.Info().Msg("ticaga-sync daemon stopped")
	return exitOK
}
