package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"time"

	"github.com/rs/zerolog"

	"github.com/ticaga/ticaga-sync/configs"
)

// cmdCheck checks every precondition of a run and prints each result; the
// exit code is 1 when any fails (2 when the configuration itself is wrong).
func cmdCheck(ctx context.Context, args []string, env Env) int {
	var configFile string
	fs := newFlags("check", env, &configFile)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	cfg, code := loadConfig(ctx, configFile, env)
	if code >= 0 {
		fmt.Fprintln(env.Stdout, "FAIL  configuration (see the message above)")
		return code
	}
	ok := checkLine(env.Stdout, "configuration", nil)
	printSettings(env.Stdout, cfg)

	a, err := openApp(ctx, cfg, zerolog.Nop())
	if err != nil {
		checkLine(env.Stdout, "open databases and Ticaga client", err)
		return exitFailed
	}
	defer a.Close()

	step := func(name string, f func(ctx context.Context) error) {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		ok = checkLine(env.Stdout, name, f(cctx)) && ok
	}
	step("billing database reachable (BILLING_DSN)", func(ctx context.Context) error {
		db, err := a.billing.DB()
		if err != nil {
			return err
		}
		return db.PingContext(ctx)
	})
	step(fmt.Sprintf("billing tables readable (%s)", cfg.BillingSystem), a.source.Check)
	if cur, latest, err := a.store.SchemaVersion(ctx); err == nil && cur < latest {
		// Nothing to write to yet: the daemon creates its tables on start.
		fmt.Fprintf(env.Stdout, "note  store (%s) not migrated yet (schema %d of %d): `ticaga-sync migrate` or the daemon's start creates the tables\n",
			storeVar(cfg), cur, latest)
		step("store reachable ("+storeVar(cfg)+")", a.store.Ping)
	} else {
		step("store reachable and writable ("+storeVar(cfg)+")", a.store.CheckWritable)
	}
	step("Ticaga reachable and API token accepted (TICAGA_URL, TICAGA_API_TOKEN)", a.ticaga.Ping)
	if !ok {
		fmt.Fprintln(env.Stdout, "\nsome checks failed")
		return exitFailed
	}
	fmt.Fprintln(env.Stdout, "\nall checks passed")
	return exitOK
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
