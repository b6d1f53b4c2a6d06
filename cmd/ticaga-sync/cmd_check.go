package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/ticaga/ticaga-sync/configs"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
	"github.com/ticaga/ticaga-sync/ticaga"
)

// cmdCheck checks every precondition of a run, source by source, and prints
// each result; the exit code is 1 when any fails (2 when the configuration
// itself is wrong). A source that cannot run (an incomplete plugin settings
// row) is reported and the others are still checked.
func cmdCheck(ctx context.Context, args []string, env Env) int {
	var configFile string
	fs := newFlags("check", env, &configFile)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	srcs, code := loadSources(ctx, configFile, env)
	if code >= 0 {
		fmt.Fprintln(env.Stdout, "FAIL  configuration (see the message above)")
		return code
	}
	checkLine(env.Stdout, "configuration", nil)
	return withApp(ctx, configFile, env, true, func(a *app) int {
		ok := true
		for _, s := range a.sources {
			fmt.Fprintf(env.Stdout, "\nsource %s (%s, companies %s):\n", s.name, s.cfg.BillingSystem, s.cfg.CompanyIDs)
			printSettings(env.Stdout, s.cfg)
			ok = checkSource(ctx, env.Stdout, s) && ok
		}
		if len(srcs) == 0 || !ok {
			fmt.Fprintln(env.Stdout, "\nsome checks failed")
			return exitFailed
		}
		fmt.Fprintln(env.Stdout, "\nall checks passed")
		return exitOK
	})
}

func checkSource(ctx context.Context, w io.Writer, s *source) bool {
	if s.problem != nil {
		return checkLine(w, "source can run", s.problem)
	}
	ok := true
	step := func(name string, f func(ctx context.Context) error) {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		ok = checkLine(w, name, f(cctx)) && ok
	}
	step("billing database reachable (BILLING_DSN)", func(ctx context.Context) error {
		db, err := s.billing.DB()
		if err != nil {
			return err
		}
		return db.PingContext(ctx)
	})
	step(fmt.Sprintf("billing tables readable (%s)", s.cfg.BillingSystem), s.engine.Source.Check)
	step("billing selection reads customers (BILLING_COMPANY_ID, BILLING_STATUSES)", func(ctx context.Context) error {
		return ticagasync.CheckSelection(ctx, s.engine.Source)
	})
	if cur, latest, err := s.store.SchemaVersion(ctx); err == nil && cur < latest {
		// Nothing to write to yet: the daemon creates its tables on start.
		fmt.Fprintf(w, "note  store (%s) not migrated yet (schema %d of %d): `ticaga-sync migrate` or the daemon's start creates the tables\n",
			storeVar(s.cfg), cur, latest)
		step("store reachable ("+storeVar(s.cfg)+")", s.store.Ping)
	} else {
		step("store reachable and writable ("+storeVar(s.cfg)+")", s.store.CheckWritable)
	}
	step("Ticaga reachable and API token accepted ("+s.cfg.TicagaURL+")", s.ticaga.Ping)
	if ok {
		var how string
		step("Ticaga answers a missing user as documented (customers/get)", func(ctx context.Context) (err error) {
			how, err = probeNotFound(ctx, s.ticaga)
			return err
		})
		if how != "" {
			fmt.Fprintf(w, "note  Ticaga says \"no such user\" with %s\n", how)
		}
	}
	return ok
}

// probeMissingID is a user id no Ticaga has: the largest signed 32-bit
// integer, valid for any id column.
const probeMissingID = 2147483647

// probeNotFound asks Ticaga for a user that does not exist and says how it
// answers: the status of its "no such user" body, which the API pages do
// not document. Any other answer is an error: every gap in the id space
// would stay unknown, and no run could complete.
func probeNotFound(ctx context.Context, c *ticaga.Client) (string, error) {
	_, err := c.Customer(ctx, probeMissingID)
	var ae *ticaga.APIError
	switch {
	case err == nil:
		return "", fmt.Errorf("customers/get/%d answered a user, so how this Ticaga says \"no such user\" is unknown", probeMissingID)
	case errors.Is(err, ticaga.ErrNotFound) && errors.As(err, &ae) && (ae.Status == 401 || ae.Status == 403):
		return fmt.Sprintf("HTTP %d and the documented body; such an answer counts only while the token is proven good "+
			"(runs make a connection call after it)", ae.Status), nil
	case errors.Is(err, ticaga.ErrNotFound) && errors.As(err, &ae):
		return fmt.Sprintf("HTTP %d and the documented body", ae.Status), nil
	}
	return "", fmt.Errorf("a missing user is not answered with the documented {\"error\": \"User not authenticated\"}, "+
		"so every gap in the id space stays unknown and no run can link: %w", err)
}

func checkLine(w io.Writer, name string, err error) bool {
	if err != nil {
		fmt.Fprintf(w, "FAIL  %s: %s\n", name, oneLine(err))
		return false
	}
	fmt.Fprintf(w, "ok    %s\n", name)
	return true
}

func printSettings(w io.Writer, cfg configs.Config) {
	settings := cfg.Redacted()
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		fmt.Fprintf(w, "        %s=%s\n", k, settings[k])
	}
}
