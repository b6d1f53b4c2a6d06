package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// idList is a repeatable flag of positive ids.
type idList []int64

func (c *idList) String() string { return fmt.Sprint(*c) }

func (c *idList) Set(s string) error {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return fmt.Errorf("%q is not an id", s)
	}
	*c = append(*c, id)
	return nil
}

// nameList is a repeatable flag of names.
type nameList []string

func (n *nameList) String() string     { return strings.Join(*n, ",") }
func (n *nameList) Set(s string) error { *n = append(*n, s); return nil }

type syncFlags struct {
	config    string
	dryRun    bool
	full      bool
	clients   idList
	companies idList
	sources   nameList
	output    string
	wait      time.Duration
}

func (f *syncFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.dryRun, "dry-run", false, "plan only: write nothing and call no write endpoint")
	fs.BoolVar(&f.full, "full", false, "rescan the whole Ticaga directory and revalidate every pairing")
	fs.Var(&f.clients, "client", "limit the run to this billing client `ID` (repeatable)")
	fs.Var(&f.companies, "company", "limit the run to this billing company `ID` (repeatable)")
	fs.Var(&f.sources, "source", "limit the run to the source `NAME` (repeatable; see check)")
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
	return withApp(ctx, f.config, env, false, func(a *app) int {
		srcs := a.selected(f.sources, f.companies)
		if len(srcs) == 0 {
			fmt.Fprintln(env.Stderr, "ticaga-sync: no source matches --source/--company (ticaga-sync check lists them)")
			return exitUsage
		}
		if !f.dryRun {
			if err := migrateAll(ctx, a); err != nil {
				fmt.Fprintf(env.Stderr, "ticaga-sync: migrate the store: %s\n", oneLine(err))
				return exitFailed
			}
		}
		opt := ticagasync.RunOptions{DryRun: f.dryRun, Full: f.full, Clients: f.clients, LockWait: f.wait}
		var reports []*ticagasync.Report
		code := exitOK
		for _, s := range srcs {
			rep, c := syncSource(ctx, env, s, f.companies, opt)
			code = worse(code, c)
			if rep != nil {
				reports = append(reports, rep)
				if f.output == "text" {
					if len(reports) > 1 {
						fmt.Fprintln(env.Stdout)
					}
					writeTextReport(env.Stdout, rep)
				}
			}
		}
		if f.output == "json" {
			if err := writeJSONReports(env.Stdout, reports); err != nil {
				fmt.Fprintf(env.Stderr, "ticaga-sync: write report: %v\n", err)
				return exitFailed
			}
		}
		return code
	})
}

// syncSource runs one source and returns its report and exit code. One
// source failing never stops the others.
func syncSource(ctx context.Context, env Env, s *source, companies []int64, opt ticagasync.RunOptions) (*ticagasync.Report, int) {
	if s.problem != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: source %s skipped: %s\n", s.name, oneLine(s.problem))
		return nil, exitFailed
	}
	engine, err := s.engineFor(companies)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: source %s: %s\n", s.name, oneLine(err))
		return nil, exitFailed
	}
	rep, err := engine.Run(ctx, opt)
	switch {
	case errors.Is(err, ticagasync.ErrLocked):
		fmt.Fprintf(env.Stderr, "ticaga-sync: source %s: %s; another run is in progress (use --wait to queue behind it)\n", s.name, oneLine(err))
		return nil, exitLocked
	case rep == nil:
		fmt.Fprintf(env.Stderr, "ticaga-sync: source %s: %s\n", s.name, oneLine(err))
		return nil, exitFailed
	case err != nil:
		fmt.Fprintf(env.Stderr, "ticaga-sync: source %s: run failed: %s\n", s.name, explain(err))
		return rep, exitFailed
	case rep.Counts.Failed > 0:
		return rep, exitFailed
	}
	return rep, exitOK
}

// worse returns the exit code that matters more: a failure over a held
// lock over success.
func worse(a, b int) int {
	rank := map[int]int{exitOK: 0, exitLocked: 1, exitFailed: 2, exitUsage: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

// writeJSONReports prints one JSON object for one source, and
// {"sources": [...]} for several.
func writeJSONReports(w io.Writer, reps []*ticagasync.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if len(reps) == 1 {
		return enc.Encode(toJSONReport(reps[0]))
	}
	out := struct {
		Sources []jsonReport `json:"sources"`
	}{Sources: []jsonReport{}}
	for _, r := range reps {
		out.Sources = append(out.Sources, toJSONReport(r))
	}
	return enc.Encode(out)
}

// explain turns an engine error into a line that names what to fix.
func explain(err error) string {
	switch {
	case errors.Is(err, ticagasync.ErrUnauthorized):
		return oneLine(err) + " (Ticaga rejected the API token: check TICAGA_API_TOKEN / TICAGA_API_TOKEN_FILE, TICAGA_API_EMAIL, or the plugin's api_key)"
	default:
		return oneLine(err)
	}
}
