package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/term"
	"gorm.io/gorm"

	"github.com/ticaga/ticaga-sync/billing"
	"github.com/ticaga/ticaga-sync/configs"
	"github.com/ticaga/ticaga-sync/store"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
	"github.com/ticaga/ticaga-sync/ticaga"
)

// app is the wired program: every adapter built from one Config.
type app struct {
	cfg     configs.Config
	log     zerolog.Logger
	billing *gorm.DB
	source  ticagasync.ContactSource
	store   *store.Store
	ticaga  *ticaga.Client
	engine  *ticagasync.Engine
}

// openApp connects to the billing database and the store and builds the
// Ticaga client and the engine. It does not talk to Ticaga yet.
func openApp(ctx context.Context, cfg configs.Config, log zerolog.Logger) (*app, error) {
	a := &app{cfg: cfg, log: log}
	var err error
	if a.billing, err = billing.OpenDB(string(cfg.BillingDSN)); err != nil {
		return nil, fmt.Errorf("BILLING_DSN: %w", err)
	}
	a.source, err = billing.Open(cfg.BillingSystem, a.billing, billing.Options{
		CompanyIDs: cfg.CompanyIDs, Statuses: cfg.BillingStatuses,
	})
	if err != nil {
		a.Close()
		return nil, err
	}
	if a.store, err = store.Open(ctx, cfg.StoreDSNOrBilling(), log); err != nil {
		a.Close()
		return nil, fmt.Errorf("%s: %w", storeVar(cfg), err)
	}
	a.ticaga, err = ticaga.New(ticaga.Config{
		BaseURL:    cfg.TicagaURL,
		Token:      ticaga.Secret(cfg.TicagaAPIToken.Reveal()),
		AdminEmail: cfg.TicagaAPIEmail,
		Timeout:    cfg.TicagaTimeout,
		RateLimit:  cfg.TicagaRateLimit,
		Logger:     log,
		UserAgent:  "ticaga-sync/" + version,
	})
	if err != nil {
		a.Close()
		return nil, fmt.Errorf("TICAGA_URL: %w", err)
	}
	a.engine = &ticagasync.Engine{
		Name:         sourceName(cfg),
		Target:       cfg.TicagaURL,
		System:       cfg.TicagaBillingSystemName,
		Source:       a.source,
		Ticaga:       a.ticaga,
		Store:        a.store,
		Concurrency:  cfg.SyncConcurrency,
		DirectoryGap: cfg.TicagaDirectoryGap,
		Revalidate:   cfg.TicagaDirectoryRevalidate,
		MaxAge:       cfg.TicagaDirectoryMaxAge,
		Log:          log,
	}
	return a, nil
}

// Close releases the database connections.
func (a *app) Close() error {
	var errs []error
	if a.store != nil {
		errs = append(errs, a.store.Close())
	}
	if a.billing != nil {
		if db, err := a.billing.DB(); err == nil {
			errs = append(errs, db.Close())
		}
	}
	return errors.Join(errs...)
}

// sourceName names the source in locks, run history and decisions.
func sourceName(cfg configs.Config) string {
	return cfg.BillingSystem
}

func storeVar(cfg configs.Config) string {
	if cfg.StoreDSN != "" {
		return "STORE_DSN"
	}
	return "BILLING_DSN (used as the store)"
}

// newLogger builds the zerolog logger the settings ask for.
func newLogger(cfg configs.Config, w io.Writer) zerolog.Logger {
	level, err := zerolog.ParseLevel(strings.ToLower(cfg.LogLevel))
	if err != nil || cfg.LogLevel == "" {
		level = zerolog.InfoLevel
	}
	isTerm := false
	if f, ok := w.(*os.File); ok {
		isTerm = term.IsTerminal(int(f.Fd()))
	}
	// Runs log from several goroutines; serialise writes for writers that
	// are not safe for concurrent use.
	var out io.Writer = zerolog.SyncWriter(w)
	if cfg.ConsoleLogs(isTerm) {
		out = zerolog.ConsoleWriter{Out: out, TimeFormat: time.TimeOnly, NoColor: !isTerm}
	}
	return zerolog.New(out).Level(level).With().Timestamp().Logger()
}
