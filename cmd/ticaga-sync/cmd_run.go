package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ticaga/ticaga-sync/metrics"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// cmdRun is the daemon: for each source, a run at start and then on its
// SYNC_SCHEDULE, one at a time, until ctx is cancelled (SIGTERM/SIGINT).
// Sources run independently: one failing never stops another. A run in
// progress at the stop gets SYNC_SHUTDOWN_TIMEOUT to finish before it is
// abandoned; the exit code is 0 either way, since the next start repairs
// anything left half-done.
func cmdRun(ctx context.Context, args []string, env Env) int {
	var configFile string
	fs := newFlags("run", env, &configFile)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	srcs, code := loadSources(ctx, configFile, env)
	if code >= 0 {
		return code
	}
	for _, s := range srcs {
		if _, err := ticagasync.ParseSchedule(s.Config.SyncSchedule); err != nil {
			fmt.Fprintf(env.Stderr, "ticaga-sync: configuration: SYNC_SCHEDULE: %v\n", err)
			return exitUsage
		}
	}
	cfg := logConfig(srcs)
	log := newLogger(cfg, env.Stderr)
	reg := metrics.NewRegistry()
	m := metrics.New(reg)
	m.SetBuildInfo(version, commit)
	health := metrics.NewHealth(time.Now)
	a, err := openApp(ctx, srcs, log, m)
	if err != nil {
		log.Error().Msg(oneLine(err))
		return exitFailed
	}
	defer a.Close()
	if err := migrateAll(ctx, a); err != nil {
		log.Error().Err(err).Msg("migrate the store")
		return exitFailed
	}

	// Metrics and health on HTTP_ADDR, bound before anything runs so a
	// taken port fails the start at once.
	if cfg.HTTPAddr != "" {
		ln, err := metrics.Listen(cfg.HTTPAddr)
		if err != nil {
			log.Error().Msg("HTTP_ADDR: " + err.Error())
			return exitFailed
		}
		srvDone := make(chan error, 1)
		go func() { srvDone <- metrics.Serve(ctx, ln, metrics.Handler(health, reg), log) }()
		defer func() {
			if err := <-srvDone; err != nil {
				log.Error().Err(err).Msg("metrics listener")
			}
		}()
		log.Info().Str("addr", ln.Addr().String()).Msg("serving /metrics, /healthz and /readyz")
	}

	if cfg.ControlSocket != "" {
		done, err := serveControl(ctx, cfg.ControlSocket, a, log)
		if err != nil {
			log.Warn().Err(err).Msg("no control socket: one-off syncs will run in their own process")
		} else {
			defer func() { <-done }()
			log.Info().Str("socket", cfg.ControlSocket).Msg("control socket listening")
		}
	}

	sd := newSystemd(env.Getenv)
	stopWatchdog := make(chan struct{})
	defer close(stopWatchdog)
	go sd.keepAlive(stopWatchdog)

	var scheds []*ticagasync.Scheduler
	var runnable []*source
	for _, s := range a.sources {
		if s.problem != nil {
			log.Error().Str("source", s.name).Str("problem", oneLine(s.problem)).Msg("source skipped")
			continue
		}
		scheds = append(scheds, newSourceScheduler(s, sd, m, health))
		runnable = append(runnable, s)
	}
	if len(scheds) == 0 {
		log.Error().Msg("no source can run; see ticaga-sync check")
		return exitFailed
	}
	log.Info().Str("version", version).Int("sources", len(scheds)).Msg("ticaga-sync daemon started")

	if env.Trigger != nil {
		go forwardTriggers(ctx, env, scheds, a)
	}
	var wg sync.WaitGroup
	for i, sched := range scheds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sched.Loop(ctx, runnable[i].cfg.SyncShutdownTimeout)
		}()
	}
	wg.Wait()
	sd.notify("STOPPING=1")
	log.Info().Msg("ticaga-sync daemon stopped")
	return exitOK
}

// newSourceScheduler schedules one source's runs.
func newSourceScheduler(s *source, sd *systemd, m *metrics.Metrics, health *metrics.Health) *ticagasync.Scheduler {
	schedule, _ := ticagasync.ParseSchedule(s.cfg.SyncSchedule) // validated by cmdRun
	s.engine.Observer = metrics.Multi(readyObserver{sd: sd}, m.Observer(s.name), health.Observer(s.name))
	health.Watch(s.name, metrics.ScheduleInterval(schedule, time.Now()))
	log := s.engine.Log
	return ticagasync.NewScheduler(schedule, func(runCtx context.Context) {
		// A run that finds the lock held (a one-off sync, or another host)
		// is skipped: the next tick tries again.
		_, err := s.run(runCtx, s.engine, ticagasync.RunOptions{}, 0)
		if errors.Is(err, ticagasync.ErrLocked) {
			log.Warn().Err(err).Msg("run skipped: another run holds the lock")
		}
		// A first run that failed its preflight still leaves a running
		// daemon that retries on schedule: ready, with the reason shown.
		if err != nil {
			sd.markReady("last run of " + s.name + " failed: " + oneLine(err))
		}
	}, log)
}

// forwardTriggers starts a run of every source on SIGUSR1.
func forwardTriggers(ctx context.Context, env Env, scheds []*ticagasync.Scheduler, a *app) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-env.Trigger:
			for _, s := range scheds {
				if !s.Trigger() {
					a.log.Info().Msg("a triggered run is already pending")
				}
			}
		}
	}
}
