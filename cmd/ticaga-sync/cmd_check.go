package main

import (
	"context"
	"fmt"
	"io"

	"github.com/ticaga/ticaga-sync/configs"
	"github.com/ticaga/ticaga-sync/daemon"
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
	d, code := loadDaemonWithToken(ctx, configFile, env)
	if code >= 0 {
		fmt.Fprintln(env.Stdout, "FAIL  configuration (see the message above)")
		return code
	}
	checkLine(env.Stdout, "configuration", nil)
	return withDaemon(ctx, d, env, true, func(a *daemon.App) int {
		ok := true
		for _, s := range a.Sources() {
			cfg := s.Config()
			fmt.Fprintf(env.Stdout, "\nsource %s (%s, companies %s):\n", s.Name(), cfg.BillingSystem, cfg.EffectiveCompanyIDs())
			printSettings(env.Stdout, cfg)
			ok = s.Check(ctx, func(r daemon.CheckResult) {
				if r.Note != "" {
					fmt.Fprintf(env.Stdout, "note  %s\n", r.Note)
					return
				}
				if r.Skipped != "" {
					fmt.Fprintf(env.Stdout, "skip  %s: %s\n", r.Name, r.Skipped)
					return
				}
				checkLine(env.Stdout, r.Name, r.Err)
			}) && ok
		}
		if len(d.Sources) == 0 || !ok {
			fmt.Fprintln(env.Stdout, "\nsome checks failed")
			return exitFailed
		}
		fmt.Fprintln(env.Stdout, "\nall checks passed")
		return exitOK
	})
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
	printSettingsMap(w, "        ", cfg.Redacted())
}
