package daemon

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	"github.com/ticaga/ticaga-sync/configs"
	"github.com/ticaga/ticaga-sync/metrics"
	"github.com/ticaga/ticaga-sync/notify"
	"github.com/ticaga/ticaga-sync/statuspage"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// RunOptions are what Run needs besides the configuration.
type RunOptions struct {
	// Log is the daemon's logger (see NewLogger).
	Log zerolog.Logger
	// Version and Commit are ticaga-sync's build, logged at start, served
	// as ticaga_sync_build_info and sent in User-Agent headers.
	Version, Commit string
	// Getenv looks up systemd's NOTIFY_SOCKET, WATCHDOG_USEC and
	// WATCHDOG_PID; nil means none is set.
	Getenv func(string) (string, bool)
	// Trigger starts a run of every source now (SIGUSR1); nil: never.
	Trigger <-chan os.Signal
	// Reload reloads the configuration with Load (SIGHUP); nil: never.
	Reload <-chan os.Signal
	// Load reads the configuration again on Reload. On error each line is
	// logged and the running configuration kept.
	Load func(context.Context) (configs.Daemon, error)
}

// Run is the daemon: for each source of d, a run at start and then on its
// SYNC_SCHEDULE, one at a time, until ctx is cancelled (SIGTERM/SIGINT).
// Sources run independently: one failing never stops another. A run in
// progress at the stop gets SYNC_SHUTDOWN_TIMEOUT to finish before it is
// abandoned; Run then returns nil, since the next start repairs anything
// left half-done. A value on opt.Reload reloads the configuration (an
// invalid one is logged and the running one kept); one on opt.Trigger
// starts a run now.
//
// The daemon-wide settings of d (HTTP_ADDR, notifications, readiness) are
// kept across reloads; the control socket and shutdown grace of each
// reloaded configuration apply to its sources. Run serves /metrics,
// /healthz and /readyz on HTTP_ADDR, the control socket on
// CONTROL_SOCKET, and speaks systemd's notify protocol. It returns an error,
// already logged, when the daemon cannot start or go on (HTTP_ADDR taken,
// no source can run, the store cannot be migrated).
func Run(ctx context.Context, d configs.Daemon, opt RunOptions) error {
	getenv := opt.Getenv
	if getenv == nil {
		getenv = func(string) (string, bool) { return "", false }
	}
	st := &daemonState{log: opt.Log, version: opt.Version, reg: metrics.NewRegistry(), health: metrics.NewHealth(time.Now), sd: newSystemd(getenv)}
	st.notifier = newNotifier(d, Options{Version: opt.Version}.userAgent(), st.log)
	st.health.MaxMissedRuns = d.HealthMaxMissedRuns
	st.metrics = metrics.New(st.reg)
	st.metrics.SetBuildInfo(opt.Version, opt.Commit)
	log := st.log

	// Metrics and health on HTTP_ADDR, bound before anything runs so a
	// taken port fails the start at once. Kept across reloads.
	if d.HTTPAddr != "" {
		ln, err := metrics.Listen(d.HTTPAddr)
		if err != nil {
			log.Error().Msg("HTTP_ADDR: " + err.Error())
			return err
		}
		srvDone := make(chan error, 1)
		go func() { srvDone <- metrics.Serve(ctx, ln, st.httpHandler(), log) }()
		defer func() {
			if err := <-srvDone; err != nil {
				log.Error().Err(err).Msg("metrics listener")
			}
		}()
		log.Info().Str("addr", ln.Addr().String()).Msg("serving the status page (/), /metrics, /healthz and /readyz")
	}
	stopWatchdog := make(chan struct{})
	defer close(stopWatchdog)
	go st.sd.keepAlive(stopWatchdog)

	log.Info().Str("version", opt.Version).Msg("ticaga-sync daemon started")
	for {
		gen, err := st.start(ctx, d, opt.Trigger)
		if err != nil {
			log.Error().Msg(OneLine(err))
			return err
		}
		if st.started {
			st.sd.notify("READY=1") // reloaded; the first READY waits for a preflight
		}
		st.started = true
		reloaded := false
		for !reloaded {
			select {
			case <-ctx.Done():
				gen.stop()
				st.sd.notify("STOPPING=1")
				log.Info().Msg("ticaga-sync daemon stopped")
				return nil
			case <-opt.Reload:
				if opt.Load == nil {
					continue
				}
				next, err := opt.Load(ctx)
				if err != nil {
					for _, line := range ConfigErrorLines(err) {
						log.Error().Msg(line)
					}
					log.Error().Msg("reload: the new configuration is invalid (see above); keeping the running one")
					continue
				}
				log.Info().Msg("reload: configuration read; restarting the sources")
				st.sd.notify("RELOADING=1")
				gen.stop()
				d, reloaded = next, true
			}
		}
	}
}

// newNotifier builds the run reports' notifier from the daemon-wide
// settings.
func newNotifier(d configs.Daemon, userAgent string, log zerolog.Logger) *notify.Notifier {
	actions := make([]ticagasync.Action, len(d.NotifyActions))
	for i, a := range d.NotifyActions {
		actions[i] = ticagasync.Action(a)
	}
	return notify.New(notify.Config{
		WebhookURL: d.NotifyWebhookURL.Reveal(),
		UserAgent:  userAgent,
		Actions:    actions,
		SMTP: notify.SMTPConfig{Addr: d.SMTPAddr, Username: d.SMTPUsername, Password: notify.Secret(d.SMTPPassword.Reveal()),
			From: d.SMTPFrom, To: d.SMTPTo, TLS: notify.TLSMode(d.SMTPTLS)},
	}, log.With().Str("component", "notify").Logger())
}

// daemonState is what the daemon keeps across reloads.
type daemonState struct {
	log     zerolog.Logger
	version string
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
	// page holds the status page's view of the running generation's
	// sources (nil between generations).
	page atomic.Pointer[[]statuspage.Source]
}

// generation is the daemon wired from one configuration: its app, its
// schedulers and its control socket.
type generation struct {
	cancel context.CancelFunc
	wait   func()
}

func (g *generation) stop() { g.cancel(); g.wait() }

// start wires d's sources and starts one scheduler per source that can run.
func (st *daemonState) start(ctx context.Context, d configs.Daemon, trigger <-chan os.Signal) (*generation, error) {
	log := st.log
	a, err := Open(ctx, d, Options{Log: log, Version: st.version, Metrics: st.metrics})
	if err != nil {
		return nil, err
	}
	if err := a.Migrate(ctx); err != nil {
		a.Close()
		return nil, fmt.Errorf("migrate the store: %w", err)
	}
	genCtx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var scheds []*ticagasync.Scheduler
	var names, specs []string
	for _, s := range a.sources {
		if s.problem != nil {
			log.Error().Str("source", s.name).Str("problem", OneLine(s.problem)).Msg("source skipped")
			continue
		}
		st.restoreNotifyState(ctx, s)
		sched := st.newSourceScheduler(s)
		scheds, names, specs = append(scheds, sched), append(names, s.name), append(specs, s.cfg.SyncSchedule)
		wg.Add(1)
		go func() {
			defer wg.Done()
			sched.Loop(genCtx, d.SyncShutdownTimeout)
		}()
	}
	if len(scheds) == 0 {
		cancel()
		a.Close()
		return nil, errors.New("no source can run; see ticaga-sync check")
	}
	log.Info().Strs("sources", names).Msg("sources started")
	st.showOnPage(a)

	var controlDone <-chan struct{}
	if sock := d.ControlSocket; sock != "" {
		status := daemonStatus(st.version, names, specs, scheds)
		controlDone, err = serveControl(genCtx, sock, a, log, d.SyncShutdownTimeout, status)
		if err != nil {
			log.Warn().Err(err).Msg("no control socket: one-off syncs will run in their own process")
		} else {
			log.Info().Str("socket", sock).Msg("control socket listening")
		}
	}
	triggersDone := make(chan struct{})
	go func() {
		defer close(triggersDone)
		forwardTriggers(genCtx, trigger, scheds, log)
	}()
	return &generation{cancel: cancel, wait: func() {
		wg.Wait()
		<-triggersDone
		if controlDone != nil {
			<-controlDone
		}
		for _, n := range names {
			st.health.Forget(n)
		}
		st.page.Store(nil)
		a.Close()
	}}, nil
}

// newSourceScheduler schedules one source's runs.
func (st *daemonState) newSourceScheduler(s *Source) *ticagasync.Scheduler {
	schedule, _ := ticagasync.ParseSchedule(s.cfg.SyncSchedule) // checked by CheckSchedules
	s.Observe(metrics.Multi(readyObserver{sd: st.sd}, st.metrics.Observer(s.name), st.health.Observer(s.name)))
	st.health.Watch(s.name, metrics.ScheduleInterval(schedule, time.Now()))
	log := s.engine.Log
	return ticagasync.NewScheduler(schedule, func(runCtx context.Context) {
		// A run that finds the source busy (a one-off on the control
		// socket) or the lock held (another host) is skipped: the next
		// tick tries again.
		rep, err := s.run(runCtx, s.engine, ticagasync.RunOptions{Kind: ticagasync.KindScheduled}, 0)
		if errors.Is(err, ticagasync.ErrLocked) {
			log.Warn().Err(err).Msg("run skipped: another run holds the lock")
		}
		if rep != nil && st.notifier.Enabled() {
			nctx, cancel := context.WithTimeout(context.WithoutCancel(runCtx), time.Minute)
			_ = st.notifier.AfterRun(nctx, s.name, rep) // it logs each delivery and failure
			st.saveNotifyState(nctx, s)
			cancel()
		}
		// A first run that failed its preflight still leaves a running
		// daemon that retries on schedule: ready, with the reason shown.
		if err != nil {
			st.sd.markReady("last run of " + s.name + " failed: " + OneLine(err))
		}
	}, log)
}

// restoreNotifyState gives the notifier what the source's reports last told
// people, kept in the store, so a restarted daemon does not report the same
// open decisions again.
func (st *daemonState) restoreNotifyState(ctx context.Context, s *Source) {
	if !st.notifier.Enabled() {
		return
	}
	raw, ok, err := s.store.NotifyState(ctx, s.name)
	if err != nil || !ok {
		if err != nil {
			st.log.Warn().Err(err).Str("source", s.name).Msg("reports: could not read what was last reported")
		}
		return
	}
	st.remember(s.name, string(raw))
	var ns notify.State
	if err := json.Unmarshal(raw, &ns); err != nil {
		st.log.Warn().Err(err).Str("source", s.name).Msg("reports: ignoring an unreadable saved state")
		return
	}
	st.notifier.SetState(s.name, ns)
}

// saveNotifyState keeps the notifier's state of the source in the store
// when it changed: a run with nothing to report writes nothing.
func (st *daemonState) saveNotifyState(ctx context.Context, s *Source) {
	raw, err := json.Marshal(st.notifier.State(s.name))
	if err == nil && !st.remember(s.name, string(raw)) {
		return
	}
	if err == nil {
		err = s.store.SaveNotifyState(ctx, s.name, raw)
	}
	if err != nil {
		st.remember(s.name, "") // try again next run
		st.log.Warn().Err(err).Str("source", s.name).Msg("reports: could not keep what was reported")
	}
}

// remember records a source's kept report state and reports whether it
// differs from the one kept before.
func (st *daemonState) remember(source, state string) bool {
	st.savedMu.Lock()
	defer st.savedMu.Unlock()
	if st.saved == nil {
		st.saved = map[string]string{}
	}
	changed := st.saved[source] != state
	st.saved[source] = state
	return changed
}

// forwardTriggers starts a run of every source on each trigger until ctx
// ends.
func forwardTriggers(ctx context.Context, trigger <-chan os.Signal, scheds []*ticagasync.Scheduler, log zerolog.Logger) {
	if trigger == nil {
		return
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-trigger:
			for _, s := range scheds {
				if !s.Trigger() {
					log.Info().Msg("a triggered run is already pending")
				}
			}
		}
	}
}
