package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// clientIDs is the repeatable --client flag.
type clientIDs []int64

func (c *clientIDs) String() string { return fmt.Sprint(*c) }

func (c *clientIDs) Set(s string) error {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%q is not a billing client id", s)
	}
	*c = append(*c, id)
	return nil
}

type syncFlags struct {
	config  string
	dryRun  bool
	full    bool
	clients clientIDs
	output  string
	wait    time.Duration
}

func (f *syncFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.dryRun, "dry-run", false, "plan only: write nothing and call no write endpoint")
	fs.BoolVar(&f.full, "full", false, "rescan the whole Ticaga directory and revalidate every pairing")
	fs.Var(&f.clients, "client", "limit the run to this billing client `ID` (repeatable)")
	fs.StringVar(&f.output, "output", "text", "report format: text or json")
	fs.DurationVar(&f.wait, "wait", 0, "wait up to `DURATION` for a run lock held elsewhere (default: exit 3 at once)")
}

func cmdSync(ctx context.Context, args []string, env Env) int {
	var f syncFlags
	fs := newFlags("sync", env, &f.config)
	f.register(fs)
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if f.output != "text" && f.output != "json" {
		fmt.Fprintf(env.Stderr, "ticaga-sync sync: --output must be text or json, got %q\n", f.output)
		return exitUsage
	}
	cfg, code := loadConfig(ctx, f.config, env)
	if code >= 0 {
		return code
	}
	log := newLogger(cfg, env.Stderr)
	a, err := openApp(ctx, cfg, log)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: %s\n", oneLine(err))
		return exitFailed
	}
	defer a.Close()
	if !f.dryRun {
		if err := a.store.Migrate(ctx); err != nil {
			fmt.Fprintf(env.Stderr, "ticaga-sync: migrate the store: %s\n", oneLine(err))
			return exitFailed
		}
	}
	rep, err := a.engine.Run(ctx, ticagasync.RunOptions{
		DryRun: f.dryRun, Full: f.full, Clients: f.clients, LockWait: f.wait,
	})
	return finishRun(env, f.output, rep, err)
}

// finishRun prints the report and returns the exit code of a run.
func finishRun(env Env, output string, rep *ticagasync.Report, err error) int {
	if errors.Is(err, ticagasync.ErrLocked) {
		fmt.Fprintf(env.Stderr, "ticaga-sync: %s; another run is in progress (use --wait to queue behind it)\n", oneLine(err))
		return exitLocked
	}
	if rep == nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: %s\n", oneLine(err))
		return exitFailed
	}
	if output == "json" {
		if werr := writeJSONReport(env.Stdout, rep); werr != nil {
			fmt.Fprintf(env.Stderr, "ticaga-sync: write report: %v\n", werr)
			return exitFailed
		}
	} else {
		writeTextReport(env.Stdout, rep)
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: run failed: %s\n", explain(err))
		return exitFailed
	}
	if rep.Counts.Failed > 0 {
		return exitFailed
	}
	return exitOK
}

// explain turns an engine error into a line that names what to fix.
func explain(err error) string {
	switch {
	case errors.Is(err, ticagasync.ErrUnauthorized):
		return oneLine(err) + " (Ticaga rejected the API token: check TICAGA_API_TOKEN / TICAGA_API_TOKEN_FILE and TICAGA_API_EMAIL)"
	default:
		return oneLine(err)
	}
}
