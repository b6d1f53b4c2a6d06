package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/ticaga/ticaga-sync/configs"
	"github.com/ticaga/ticaga-sync/metrics"
	"github.com/ticaga/ticaga-sync/notify"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// cmdRun is the daemon: for each source, a run at start and then on its
// SYNC_SCHEDULE, one at a time, until ctx is cancelled (SIGTERM/SIGINT).
// Sources run independently: one failing never stops another. A run in
// progress at the stop gets SYNC_SHUTDOWN_TIMEOUT to finish before it is
// abandoned; the exit code is 0 either way, since the next start repairs
// anything left half-done. SIGHUP reloads the configuration (an invalid one
// is reported and the running one kept); SIGUSR1 starts a run now.
func cmdRun(ctx context.Context, args []string, env Env) int {
	var configFile string
	fs := newFlags("run", env, &configFile)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	srcs, code := loadRunSources(ctx, configFile, env)
	if code >= 0 {
		return code
	}
	cfg := logConfig(srcs)
	d := &daemonState{log: newLogger(cfg, env.Stderr), reg: metrics.NewRegistry(), health: metrics.NewHealth(time.Now), sd: newSystemd(env.Getenv)}
	d.notifier = newNotifier(cfg, d.log)
	d.health.MaxMissedRuns = cfg.HealthMaxMissedRuns
	d.metrics = metrics.New(d.reg)
	d.metrics.SetBuildInfo(version, commit)
	log := d.log

	// Metrics and health on HTTP_ADDR, bound before anything runs so a
	// taken port fails the start at once. Kept across reloads.
	if cfg.HTTPAddr != "" {
		ln, err := metrics.Listen(cfg.HTTPAddr)
		if err != nil {
			log.Error().Msg("HTTP_ADDR: " + err.Error())
			return exitFailed
		}
		srvDone := make(chan error, 1)
		go func() { srvDone <- metrics.Serve(ctx, ln, metrics.Handler(d.health, d.reg), log) }()
		defer func() {
			if err := <-srvDone; err != nil {
				log.Error().Err(err).Msg("metrics listener")
			}
		}()
		log.Info().Str("addr", ln.Addr().String()).Msg("serving /metrics, /healthz and /readyz")
	}
	stopWatchdog := make(chan struct{})
	defer close(stopWatchdog)
	go d.sd.keepAlive(stopWatchdog)

	log.Info().Str("version", version).Msg("ticaga-sync daemon started")
	for {
		gen, err := d.start(ctx, srcs, env)
		if err != nil {
			log.Error().Msg(oneLine(err))
			return exitFailed
		}
		if d.started {
			d.sd.notify("READY=1") // reloaded; the first READY waits for a preflight
		}
		d.started = true
		reloaded := false
		for !reloaded {
			select {
			case <-ctx.Done():
				gen.stop()
				d.sd.notify("STOPPING=1")
				log.Info().Msg("ticaga-sync daemon stopped")
				return exitOK
			case <-env.Reload:
				next, code := loadRunSources(ctx, configFile, Env{Stderr: logWriter{log}, Getenv: env.Getenv})
				if code >= 0 {
					log.Error().Msg("reload: the new configuration is invalid (see above); keeping the running one")
					continue
				}
				log.Info().Msg("reload: configuration read; restarting the sources")
				d.sd.notify("RELOADING=1")
				gen.stop()
				srcs, reloaded = next, true
			}
		}
	}
}

// newNotifier builds the run reports' notifier from the settings.
func newNotifier(cfg configs.Config, log zerolog.Logger) *notify.Notifier {
	actions := make([]ticagasync.Action, len(cfg.NotifyActions))
	for i, a := range cfg.NotifyActions {
		actions[i] = ticagasync.Action(a)
	}
	return notify.New(notify.Config{
		WebhookURL: cfg.NotifyWebhookURL.Reveal(),
		UserAgent:  "ticaga-sync/" + version,
		Actions:    actions,
		SMTP: notify.SMTPConfig{Addr: cfg.SMTPAddr, Username: cfg.SMTPUsername, Password: notify.Secret(cfg.SMTPPassword.Reveal()),
			From: cfg.SMTPFrom, To: cfg.SMTPTo, TLS: notify.TLSMode(cfg.SMTPTLS)},
	}, log.With().Str("component", "notify").Logger())
}

// loadRunSources loads the settings and checks every schedule.
func loadRunSources(ctx context.Context, configFile string, env Env) ([]configs.Source, int) {
	srcs, code := loadSources(ctx, configFile, env)
	if code >= 0 {
		return nil, code
	}
	for _, s := range srcs {
		if _, err := ticagasync.ParseSchedule(s.Config.SyncSchedule); err != nil {
			fmt.Fprintf(env.Stderr, "ticaga-sync: configuration: source %s: SYNC_SCHEDULE: %v\n", s.Name, err)
			return nil, exitUsage
		}
	}
	return srcs, -1
}

// daemonState is what the daemon keeps across reloads.
type daemonState struct {
	log     zerolog.Logger
	reg     *prometheus.Registry
	metrics *metrics.Metrics
	health  *metrics.Health
	sd      *systemd
	// notifier reports changed decisions and failed runs; its memory of
	// what was sent lives across reloads.
	notifier *notify.Notifier
	savedMu  sync.Mutex
	saved    map[string]string // each source's report state as last kept
	started  bool              // a generation has run: later ones are reloads
}

// generation is the daemon wired from one configuration: its app, its
// schedulers and its control socket.
type generation struct {
	cancel context.CancelFunc
	wait   func()
}

func (g *generation) stop() { g.cancel(); g.wait() }

// start wires srcs and starts one scheduler per source that can run.
func (d *daemonState) start(ctx context.Context, srcs []configs.Source, env Env) (*generation, error) {
	log := d.log
	a, err := openApp(ctx, srcs, log, d.metrics)
	if err != nil {
		return nil, err
	}
	if err := migrateAll(ctx, a); err != nil {
		a.Close()
		return nil, fmt.Errorf("migrate the store: %w", err)
	}
	genCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var scheds []*ticagasync.Scheduler
	var names []string
	for _, s := range a.sources {
		if s.problem != nil {
			log.Error().Str("source", s.name).Str("problem", oneLine(s.problem)).Msg("source skipped")
			continue
		}
		d.restoreNotifyState(ctx, s)
		sched := d.newSourceScheduler(s)
		scheds, names = append(scheds, sched), append(names, s.name)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sched.Loop(genCtx, s.cfg.SyncShutdownTimeout)
		}()
	}
	if len(scheds) == 0 {
		cancel()
		a.Close()
		return nil, errors.New("no source can run; see ticaga-sync check")
	}
	log.Info().Strs("sources", names).Msg("sources started")

	var controlDone <-chan struct{}
	if sock := srcs[0].Config.ControlSocket; sock != "" {
		controlDone, err = serveControl(genCtx, sock, a, log, srcs[0].Config.SyncShutdownTimeout)
		if err != nil {
			log.Warn().Err(err).Msg("no control socket: one-off syncs will run in their own process")
		} else {
			log.Info().Str("socket", sock).Msg("control socket listening")
		}
	}
	triggersDone := make(chan struct{})
	go func() {
		defer close(triggersDone)
		forwardTriggers(genCtx, env, scheds, log)
	}()
	return &generation{cancel: cancel, wait: func() {
		wg.Wait()
		<-triggersDone
		if controlDone != nil {
			<-controlDone
		}
		for _, n := range names {
			d.health.Forget(n)
		}
		a.Close()
	}}, nil
}

// newSourceScheduler schedules one source's runs.
func (d *daemonState) newSourceScheduler(s *source) *ticagasync.Scheduler {
	schedule, _ := ticagasync.ParseSchedule(s.cfg.SyncSchedule) // checked by loadRunSources
	s.engine = s.engine.WithObserver(metrics.Multi(readyObserver{sd: d.sd}, d.metrics.Observer(s.name), d.health.Observer(s.name)))
	d.health.Watch(s.name, metrics.ScheduleInterval(schedule, time.Now()))
	log := s.engine.Log
	return ticagasync.NewScheduler(schedule, func(runCtx context.Context) {
		// A run that finds the source busy (a one-off on the control
		// socket) or the lock held (another host) is skipped: the next
		// tick tries again.
		rep, err := s.run(runCtx, s.engine, ticagasync.RunOptions{}, 0)
		if errors.Is(err, ticagasync.ErrLocked) {
			log.Warn().Err(err).Msg("run skipped: another run holds the lock")
		}
		if rep != nil && d.notifier.Enabled() {
			nctx, cancel := context.WithTimeout(context.WithoutCancel(runCtx), time.Minute)
			_ = d.notifier.AfterRun(nctx, s.name, rep) // it logs each delivery and failure
			d.saveNotifyState(nctx, s)
			cancel()
		}
		// A first run that failed its preflight still leaves a running
		// daemon that retries on schedule: ready, with the reason shown.
		if err != nil {
			d.sd.markReady("last run of " + s.name + " failed: " + oneLine(err))
		}
	}, log)
}

// restoreNotifyState gives the notifier what the source's reports last told
// people, kept in the store, so a restarted daemon does not report the same
// open decisions again.
func (d *daemonState) restoreNotifyState(ctx context.Context, s *source) {
	if !d.notifier.Enabled() {
		return
	}
	raw, ok, err := s.store.NotifyState(ctx, s.name)
	if err != nil || !ok {
		if err != nil {
			d.log.Warn().Err(err).Str("source", s.name).Msg("reports: could not read what was last reported")
		}
		return
	}
	d.remember(s.name, string(raw))
	var st notify.State
	if err := json.Unmarshal(raw, &st); err != nil {
		d.log.Warn().Err(err).Str("source", s.name).Msg("reports: ignoring an unreadable saved state")
		return
	}
	d.notifier.SetState(s.name, st)
}

// saveNotifyState keeps the notifier's state of the source in the store
// when it changed: a run with nothing to report writes nothing.
func (d *daemonState) saveNotifyState(ctx context.Context, s *source) {
	raw, err := json.Marshal(d.notifier.State(s.name))
	if err == nil && !d.remember(s.name, string(raw)) {
		return
	}
	if err == nil {
		err = s.store.SaveNotifyState(ctx, s.name, raw)
	}
	if err != nil {
		d.remember(s.name, "") // try again next run
		d.log.Warn().Err(err).Str("source", s.name).Msg("reports: could not keep what was reported")
	}
}

// remember records a source's kept report state and reports whether it
// differs from the one kept before.
func (d *daemonState) remember(source, state string) bool {
	d.savedMu.Lock()
	defer d.savedMu.Unlock()
	if d.saved == nil {
		d.saved = map[string]string{}
	}
	changed := d.saved[source] != state
	d.saved[source] = state
	return changed
}

// forwardTriggers starts a run of every source on SIGUSR1 until ctx ends.
func forwardTriggers(ctx context.Context, env Env, scheds []*ticagasync.Scheduler, log zerolog.Logger) {
	if env.Trigger == nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-env.Trigger:
			for _, s := range scheds {
				if !s.Trigger() {
					log.Info().Msg("a triggered run is already pending")
				}
			}
		}
	}
}

// logWriter turns lines written to it into error log events (for the
// configuration messages of a reload).
type logWriter struct{ log zerolog.Logger }

func (w logWriter) Write(p []byte) (int, error) {
	w.log.Error().Msg(string(trimNewline(p)))
	return len(p), nil
}

func trimNewline(p []byte) []byte {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return p
}
