// Package daemon is ticaga-sync's running program: the sources wired from a
// configs.Daemon (billing database pools and stores shared by DSN, one
// engine per source, the Blesta plugin's settings expanded into one source
// per company), their schedulers, reloads, readiness and notifications, the
// control socket that one-off commands reach it by, and systemd's notify
// protocol.
//
// The command line (cmd/ticaga-sync) parses flags, calls Load, Open or Run
// and prints; the demo (cmd/ticaga-sync-demo) wires its source with Open,
// exactly as production does.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"gorm.io/gorm"

	"github.com/ticaga/ticaga-sync/billing"
	"github.com/ticaga/ticaga-sync/billing/blesta"
	"github.com/ticaga/ticaga-sync/billing/ticketsource"
	"github.com/ticaga/ticaga-sync/configs"
	"github.com/ticaga/ticaga-sync/metrics"
	"github.com/ticaga/ticaga-sync/store"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
	"github.com/ticaga/ticaga-sync/ticaga"
)

// Source is one wired source: a billing database (or one company of it)
// and its Ticaga, with its own engine, lock, directory and report.
type Source struct {
	name    string
	cfg     configs.Config
	billing *gorm.DB
	store   *store.Store
	ticaga  *ticaga.Client
	engine  *ticagasync.Engine
	// problem is why the source cannot run (an incomplete plugin settings
	// row, an unreachable store); check reports it and runs skip it.
	problem error
	// slot holds one token while a run of this source is in progress in
	// this process: the scheduler and control-socket requests share it.
	slot chan struct{}
	// tokenFrom names the setting that gives the Ticaga token.
	tokenFrom string
	// busySince is when the run in progress started (UnixNano; 0: none).
	busySince atomic.Int64
}

// Name identifies the source in locks, run history, reports and metrics;
// a company of the Blesta plugin's settings is "name:company-ID".
func (s *Source) Name() string { return s.name }

// Config is the source's configuration (for a company of the plugin's
// settings, with that company's Ticaga and token).
func (s *Source) Config() configs.Config { return s.cfg }

// Problem is why the source cannot run, or nil. A source with a problem
// may lack its engine, store, Ticaga client or billing database.
func (s *Source) Problem() error { return s.problem }

// Engine is the source's engine (nil when Problem says why not).
func (s *Source) Engine() *ticagasync.Engine { return s.engine }

// Store is the source's store, shared with every source of the same
// STORE_DSN (nil when Problem says why not).
func (s *Source) Store() *store.Store { return s.store }

// Ticaga is the source's Ticaga client (nil when Problem says why not).
func (s *Source) Ticaga() *ticaga.Client { return s.ticaga }

// Billing is the source's billing database, shared with every source of
// the same BILLING_DSN (nil when Problem says why not).
func (s *Source) Billing() *gorm.DB { return s.billing }

// Observe makes o the observer of the source's runs (metrics, a progress
// bar). Call it before the source runs: it is not safe during a run.
func (s *Source) Observe(o ticagasync.Observer) {
	if s.engine != nil {
		s.engine = s.engine.WithObserver(o)
	}
}

// busy is the error of a run refused because this process is already
// running the source: this process holds it, since its run started.
func (s *Source) busy() error {
	host, _ := os.Hostname()
	h := &ticagasync.LockHolder{Host: host, PID: os.Getpid()}
	if t := s.busySince.Load(); t != 0 {
		h.Since = time.Unix(0, t)
	}
	return &ticagasync.LockedError{Name: s.name, Holder: h}
}

// run carries out one run of the source, waiting up to wait for a run in
// progress in this process to end (the store's lock then guards against
// other hosts).
func (s *Source) run(ctx context.Context, e *ticagasync.Engine, opt ticagasync.RunOptions, wait time.Duration) (*ticagasync.Report, error) {
	select {
	case s.slot <- struct{}{}:
	default:
		if wait <= 0 {
			return nil, s.busy()
		}
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case s.slot <- struct{}{}:
		case <-t.C:
			return nil, s.busy()
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	s.busySince.Store(time.Now().UnixNano())
	defer func() { s.busySince.Store(0); <-s.slot }()
	return e.Run(ctx, opt)
}

// companies returns the billing companies the source's reader covers; nil
// means all (as ClientExec, WHMCS and FOSSBilling read by default).
func (s *Source) companies() []int64 { return s.cfg.EffectiveCompanyIDs() }

// engineFor returns the source's engine, its reader limited to those of
// companies that the source covers, when given (sync --company). A source
// never reads a company it does not cover: with the plugin's settings each
// company has its own Ticaga.
func (s *Source) engineFor(companies []int64) (*ticagasync.Engine, error) {
	if len(companies) == 0 || billing.IsAPI(s.cfg.BillingSystem) {
		return s.engine, nil
	}
	if own := s.companies(); own != nil {
		companies = slices.DeleteFunc(slices.Clone(companies), func(id int64) bool { return !slices.Contains(own, id) })
		if len(companies) == 0 {
			return nil, fmt.Errorf("source %s covers none of the companies asked for", s.name)
		}
	}
	reader, err := billing.Open(s.cfg.BillingSystem, s.billing, billing.Options{CompanyIDs: companies, Statuses: s.cfg.BillingStatuses})
	if err != nil {
		return nil, err
	}
	return s.engine.WithSource(reader, companies), nil
}

// StoreVar names the setting the source's store comes from, for messages:
// STORE_DSN, or BILLING_DSN when the billing database is the store.
func (s *Source) StoreVar() string { return storeVar(s.cfg) }

func storeVar(cfg configs.Config) string {
	if cfg.StoreDSN != "" {
		return "STORE_DSN"
	}
	return "BILLING_DSN (used as the store)"
}

// Options are what Open needs besides the configuration.
type Options struct {
	// Log receives the wiring's warnings and each source's logs.
	Log zerolog.Logger
	// Version is ticaga-sync's version, sent in the User-Agent of Ticaga
	// requests; "" means "dev".
	Version string
	// Metrics, when set, counts each source's Ticaga requests and retries
	// (the daemon's).
	Metrics *metrics.Metrics
	// WithoutToken wires a source that has no Ticaga token (a command that
	// makes no Ticaga call was started without it) with a Ticaga client
	// whose every request fails, naming TICAGA_API_TOKEN, instead of
	// leaving the source unusable; a TicketSource source without its key
	// likewise, naming TICKETSOURCE_API_KEY.
	WithoutToken bool
}

// errNoToken is the failure of every Ticaga request of a source wired
// WithoutToken.
var errNoToken = errors.New("TICAGA_API_TOKEN: not set, and this command was started without it: no Ticaga call can be made")

// noTokenTransport fails every request (see Options.WithoutToken).
type noTokenTransport struct{}

func (noTokenTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, errNoToken }

// errNoKey is the error of every TicketSource call of a source whose
// command was started without TICKETSOURCE_API_KEY (see
// Options.WithoutToken).
var errNoKey = errors.New("TICKETSOURCE_API_KEY: not set, and this command was started without it: no TicketSource call can be made")

// noKeyTransport fails every TicketSource request (see Options.WithoutToken).
type noKeyTransport struct{}

func (noKeyTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, errNoKey }

func (o Options) userAgent() string {
	if o.Version == "" {
		return "ticaga-sync/dev"
	}
	return "ticaga-sync/" + o.Version
}

// App is the wired program: every source, sharing database pools and
// stores by DSN.
type App struct {
	opt     Options
	log     zerolog.Logger
	sources []*Source
	dbs     map[string]*gorm.DB
	stores  map[string]*store.Store
}

// Open wires every source of d. A source that cannot be wired is kept with
// its Problem, so one broken source never stops the others; the error is
// only for what stops everything (a malformed BILLING_DSN). Close releases
// the connections.
func Open(ctx context.Context, d configs.Daemon, opt Options) (*App, error) {
	a := &App{opt: opt, log: opt.Log, dbs: map[string]*gorm.DB{}, stores: map[string]*store.Store{}}
	for _, s := range d.Sources {
		cfg := s.Config
		var db *gorm.DB
		var err error
		if !billing.IsAPI(cfg.BillingSystem) {
			db, err = a.billingDB(cfg)
		}
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("source %s: BILLING_DSN: %w", s.Name, err)
		}
		st, err := a.storeFor(ctx, cfg)
		if err != nil {
			src := &Source{name: s.Name, cfg: cfg, problem: fmt.Errorf("%s: %w", storeVar(cfg), err), tokenFrom: tokenSetting(cfg, false, "")}
			if !cfg.FromPluginSettings() && cfg.TicagaAPIToken != "" {
				// The source cannot run, but check still checks its Ticaga
				// and token: every check runs whatever failed before.
				src.ticaga, _ = ticaga.New(a.ticagaConfig(s.Name, cfg))
			}
			a.sources = append(a.sources, src)
			continue
		}
		if !cfg.FromPluginSettings() {
			a.addSource(s.Name, cfg, db, st, tokenSetting(cfg, false, ""))
			continue
		}
		a.addPluginSources(ctx, s.Name, cfg, db, st)
	}
	a.warnSplitStores()
	return a, nil
}

// Sources returns every source, in the order of the configuration (a
// source of the plugin's settings expanded into its companies in place).
func (a *App) Sources() []*Source { return a.sources }

// warnSplitStores warns when sources that link users of one Ticaga keep
// their pairings in different store databases: the lock that keeps them
// from assigning the same user at once, and the pairing checks, live in
// the store, so they cannot protect sources across stores.
func (a *App) warnSplitStores() {
	stores := map[string]map[string]bool{}
	for _, s := range a.sources {
		if s.problem != nil {
			continue
		}
		if stores[s.cfg.TicagaURL] == nil {
			stores[s.cfg.TicagaURL] = map[string]bool{}
		}
		stores[s.cfg.TicagaURL][s.cfg.StoreDSNOrBilling()] = true
	}
	for target, dsns := range stores {
		if len(dsns) > 1 {
			a.log.Warn().Str("ticaga", target).Int("stores", len(dsns)).
				Msg("sources linking users of this Ticaga keep pairings in different databases: give them one STORE_DSN, or they may assign the same Ticaga user at once")
		}
	}
}

// addPluginSources adds one source per Blesta company the Ticaga plugin is
// set up for (ticaga_settings), each with its own Ticaga.
func (a *App) addPluginSources(ctx context.Context, name string, cfg configs.Config, db *gorm.DB, st *store.Store) {
	settings, err := blesta.PluginSettings(ctx, db)
	if err != nil {
		a.sources = append(a.sources, &Source{name: name, cfg: cfg, problem: err})
		return
	}
	added := 0
	for _, ps := range settings {
		if cfg.CompanyIDsSet && cfg.CompanyIDs != nil && !slices.Contains(cfg.CompanyIDs, ps.CompanyID) {
			continue
		}
		sub := cfg
		sub.TicagaURL = ps.APIURL
		sub.TicagaAPIToken = configs.Secret(ps.APIKey)
		sub.CompanyIDs = configs.CompanyIDs{ps.CompanyID}
		subName := fmt.Sprintf("%s:company-%s", name, strings.TrimSpace(ps.RawCompanyID))
		added++
		if p := ps.Problem(); p != "" {
			a.sources = append(a.sources, &Source{name: subName, cfg: sub,
				problem: fmt.Errorf("the plugin's ticaga_settings row for company %q is incomplete: %s", ps.RawCompanyID, p)})
			continue
		}
		a.addSource(subName, sub, db, st, tokenSetting(sub, true, strings.TrimSpace(ps.RawCompanyID)))
	}
	if added == 0 {
		a.sources = append(a.sources, &Source{name: name, cfg: cfg,
			problem: errors.New("TICAGA_URL is not set and the plugin's ticaga_settings has no row for the selected companies")})
	}
}

func (a *App) addSource(name string, cfg configs.Config, db *gorm.DB, st *store.Store, tokenFrom string) {
	s := &Source{name: name, cfg: cfg, billing: db, store: st, slot: make(chan struct{}, 1), tokenFrom: tokenFrom}
	a.sources = append(a.sources, s)
	var reader ticagasync.ContactSource
	var err error
	if billing.IsAPI(cfg.BillingSystem) {
		reader, err = a.ticketSource(cfg)
	} else {
		reader, err = billing.Open(cfg.BillingSystem, db, billing.Options{CompanyIDs: cfg.CompanyIDs, CompanyIDsDefault: !cfg.CompanyIDsSet, Statuses: cfg.BillingStatuses})
	}
	if err != nil {
		s.problem = err
		return
	}
	tc := a.ticagaConfig(name, cfg)
	if a.opt.Metrics != nil {
		tc.Observer = a.opt.Metrics.TicagaHook(name)
	}
	if tc.Token == "" && a.opt.WithoutToken {
		tc.Token, tc.MaxRetries = "unset", -1
		tc.HTTPClient = &http.Client{Transport: noTokenTransport{}}
	}
	s.ticaga, err = ticaga.New(tc)
	if err != nil {
		// Name the setting to fix: the client refuses, say, a URL with a
		// user and password in it.
		setting := "TICAGA_URL"
		if cfg.FromPluginSettings() || strings.HasPrefix(tokenFrom, "the API key of the Ticaga plugin") {
			setting = "the Ticaga plugin's api_url (ticaga_settings)"
		}
		s.problem = fmt.Errorf("%s %s: %w", setting, configs.RedactURL(cfg.TicagaURL), err)
		return
	}
	if a.opt.Metrics != nil {
		client := s.ticaga
		a.opt.Metrics.CountRetries(name, func() int64 { return client.Stats().Retries })
	}
	s.engine, err = ticagasync.New(ticagasync.Engine{
		Name:            name,
		Target:          cfg.TicagaURL,
		System:          cfg.TicagaBillingSystemName,
		Companies:       cfg.EffectiveCompanyIDs(),
		Source:          reader,
		Ticaga:          namedAuth{Ticaga: s.ticaga, setting: tokenFrom},
		Store:           st,
		Concurrency:     cfg.SyncConcurrency,
		DirectoryGap:    cfg.TicagaDirectoryGap,
		Revalidate:      cfg.TicagaDirectoryRevalidate,
		MaxAge:          cfg.TicagaDirectoryMaxAge,
		UnreadableAfter: cfg.TicagaUnreadableAfter,
		Provision:       provisioning(cfg),
		Log:             a.log.With().Str("source", name).Logger(),
	})
	if err != nil {
		s.problem = err
	}
}

// ticagaConfig is the configuration of source name's Ticaga client.
func (a *App) ticagaConfig(name string, cfg configs.Config) ticaga.Config {
	return ticaga.Config{
		BaseURL:    cfg.TicagaURL,
		Token:      ticaga.Secret(cfg.TicagaAPIToken.Reveal()),
		AdminEmail: cfg.TicagaAPIEmail,
		Timeout:    cfg.TicagaTimeout,
		RateLimit:  cfg.TicagaRateLimit,
		PaceWindow: cfg.TicagaRateLimitWindow,
		Logger:     a.log.With().Str("source", name).Logger(),
		UserAgent:  a.opt.userAgent(),
	}
}

// ticketSource is the TicketSource source of cfg (BILLING_SYSTEM=ticketsource).
func (a *App) ticketSource(cfg configs.Config) (*ticketsource.Source, error) {
	tc := ticketsource.Config{BaseURL: cfg.TicketSourceURL, Key: cfg.TicketSourceAPIKey.Reveal(),
		Timeout: cfg.TicketSourceTimeout, UserAgent: a.opt.userAgent()}
	if tc.Key == "" && a.opt.WithoutToken {
		// A command that needs no key (status, config, migrate): every
		// TicketSource call fails at once, naming the setting.
		tc.Key, tc.Retries, tc.Transport = "unset", -1, noKeyTransport{}
	}
	c, err := ticketsource.New(tc)
	if err != nil {
		return nil, err
	}
	return ticketsource.NewSource(c, cfg.TicketSourceWriteNotes), nil
}

// provisioning is the engine's Provisioning of cfg. Its statuses were
// checked when the configuration was loaded (Load).
func provisioning(cfg configs.Config) ticagasync.Provisioning {
	statuses, _ := billing.CanonicalStatuses(cfg.BillingSystem, cfg.SyncProvisionStatuses)
	return ticagasync.Provisioning{Enabled: cfg.SyncProvision, Max: cfg.SyncProvisionMax, Statuses: statuses}
}

func (a *App) billingDB(cfg configs.Config) (*gorm.DB, error) {
	dsn := cfg.BillingDSN.Reveal()
	if db, ok := a.dbs[dsn]; ok {
		return db, nil
	}
	db, err := billing.OpenDB(dsn)
	if err != nil {
		return nil, err
	}
	a.dbs[dsn] = db
	return db, nil
}

func (a *App) storeFor(ctx context.Context, cfg configs.Config) (*store.Store, error) {
	dsn := cfg.StoreDSNOrBilling()
	if st, ok := a.stores[dsn]; ok {
		return st, nil
	}
	st, err := store.Open(ctx, dsn, a.log)
	if err != nil {
		return nil, err
	}
	a.stores[dsn] = st
	return st, nil
}

// EachStore calls fn for every distinct store and joins the errors.
func (a *App) EachStore(fn func(*store.Store) error) error {
	var errs []error
	for _, st := range a.stores {
		errs = append(errs, fn(st))
	}
	return errors.Join(errs...)
}

// Migrate brings every store up to date.
func (a *App) Migrate(ctx context.Context) error {
	return a.EachStore(func(st *store.Store) error { return st.Migrate(ctx) })
}

// Select returns the sources named in names (all when empty) that cover
// at least one of companies (any when empty).
func (a *App) Select(names []string, companies []int64) []*Source {
	var out []*Source
	for _, s := range a.sources {
		if len(names) > 0 && !slices.Contains(names, s.name) {
			continue
		}
		if len(companies) > 0 && s.companies() != nil && !slices.ContainsFunc(companies, func(id int64) bool { return slices.Contains(s.companies(), id) }) {
			continue
		}
		out = append(out, s)
	}
	return out
}

// Close releases the database connections.
func (a *App) Close() error {
	var errs []error
	for _, st := range a.stores {
		errs = append(errs, st.Close())
	}
	for _, db := range a.dbs {
		if sqlDB, err := db.DB(); err == nil {
			errs = append(errs, sqlDB.Close())
		}
	}
	return errors.Join(errs...)
}
