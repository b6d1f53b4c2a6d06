package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/ticaga/ticaga-sync/daemon"
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

// billingID is a flag holding one billing customer id: a positive number
// (Blesta, WHMCS, ...) or a string id (TicketSource's "cst-...").
type billingID ticagasync.BillingID

func (b *billingID) String() string { return string(*b) }

func (b *billingID) Set(s string) error {
	id, err := parseClient(s)
	*b = billingID(id)
	return err
}

// billingIDList is a repeatable flag of billing customer ids.
type billingIDList []ticagasync.BillingID

func (c *billingIDList) String() string { return fmt.Sprint(*c) }

func (c *billingIDList) Set(s string) error {
	id, err := parseClient(s)
	if err != nil {
		return err
	}
	*c = append(*c, id)
	return nil
}

// parseClient reads a --client value: a positive number, or a prefixed id
// such as TicketSource's "cst-dQyWKER4Orw5glVX".
func parseClient(s string) (ticagasync.BillingID, error) {
	id, err := ticagasync.ParseBillingID(s)
	n, numeric := id.Int()
	if err != nil || (numeric && n <= 0) || (!numeric && !prefixedID.MatchString(string(id))) {
		return "", fmt.Errorf("%q is not a billing client id", s)
	}
	return id, nil
}

// prefixedID is the shape of a string customer id: TicketSource's
// "cst-[a-zA-Z0-9]+".
var prefixedID = regexp.MustCompile(`^[a-z]+-[A-Za-z0-9]+$`)

// nameList is a repeatable flag of names.
type nameList []string

func (n *nameList) String() string     { return strings.Join(*n, ",") }
func (n *nameList) Set(s string) error { *n = append(*n, s); return nil }

type syncFlags struct {
	config    string
	dryRun    bool
	full      bool
	clients   billingIDList
	companies idList
	sources   nameList
	output    string
	report    string
	wait      time.Duration
}

func (f *syncFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&f.dryRun, "dry-run", false, "plan only: write nothing but the run record, call no write endpoint")
	fs.BoolVar(&f.full, "full", false, "rescan the whole Ticaga directory and revalidate every pairing")
	fs.Var(&f.clients, "client", "limit the run to this billing client `ID` (a number, or a TicketSource id cst-...; repeatable)")
	fs.Var(&f.companies, "company", "limit the run to this billing company `ID` (repeatable)")
	fs.Var(&f.sources, "source", "limit the run to the source `NAME` (repeatable; see check)")
	fs.StringVar(&f.output, "output", "text", "report format: text or json")
	fs.StringVar(&f.report, "report", "", "also write every decision to `FILE` (.csv or .json), for a spreadsheet")
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
	if f.report != "" {
		if err := checkReportPath(f.report); err != nil {
			fmt.Fprintf(env.Stderr, "ticaga-sync sync: %v\n", err)
			return exitUsage
		}
	}
	d, code := loadDaemon(ctx, f.config, env)
	if code >= 0 {
		return code
	}
	// With a daemon running, the daemon does the run: a one-off never
	// races its schedule.
	if sock := d.ControlSocket; sock != "" {
		outs, err := daemon.SyncViaDaemon(ctx, sock, daemon.SyncRequest{DryRun: f.dryRun, Full: f.full, Clients: f.clients,
			Companies: f.companies, Sources: f.sources, Wait: f.wait})
		switch {
		case err == nil && len(outs) == 0:
			fmt.Fprintln(env.Stderr, "ticaga-sync: no source of the running daemon matches --source/--company")
			return exitUsage
		case err == nil:
			if slices.ContainsFunc(outs, func(o daemon.Outcome) bool { return !o.NotSelected && o.Report != nil && o.Code != daemon.ExitLocked }) {
				fmt.Fprintf(env.Stderr, "ticaga-sync: the running daemon did the run (%s)\n", sock)
			}
			written := writeReport(env, f.report, outs) // before stdout, which may be closed
			return worse(printOutcomes(env, f.output, outs), written)
		case !errors.Is(err, daemon.ErrNoDaemon):
			fmt.Fprintf(env.Stderr, "ticaga-sync: %s; running here instead\n", oneLine(err))
		}
	}
	// Running here calls Ticaga: now the token is needed.
	if d, code = loadConfig(ctx, f.config, env, true, false); code >= 0 {
		return code
	}
	// On a terminal, a progress bar, with log lines printed above it.
	tty := newTerminal(env.Stderr)
	log := daemon.NewLogger(d, env.Stderr)
	if tty != nil {
		log = tty.logger(d)
	}
	return withDaemonLog(ctx, d, env, log, func(a *daemon.App) int {
		srcs := a.Select(f.sources, f.companies)
		if len(srcs) == 0 {
			fmt.Fprintln(env.Stderr, "ticaga-sync: no source matches --source/--company (ticaga-sync check lists them)")
			return exitUsage
		}
		if !f.dryRun {
			if err := a.Migrate(ctx); err != nil {
				fmt.Fprintf(env.Stderr, "ticaga-sync: migrate the store: %s\n", oneLine(err))
				return exitFailed
			}
		}
		opt := ticagasync.RunOptions{DryRun: f.dryRun, Full: f.full, Clients: f.clients, LockWait: f.wait}
		var outs []daemon.Outcome
		for _, s := range srcs {
			if bar := newProgressBar(tty, s.Name()); bar != nil {
				s.Observe(bar)
			}
			outs = append(outs, s.Sync(ctx, f.companies, opt))
		}
		// The report file first: stdout may be a pipe closed early.
		written := writeReport(env, f.report, outs)
		return worse(printOutcomes(env, f.output, outs), written)
	})
}

// printOutcomes prints the reports and messages of a sync and returns its
// exit code.
func printOutcomes(env Env, output string, outs []daemon.Outcome) int {
	code := exitOK
	var reports []*ticagasync.Report
	// A source that selects none of the clients asked for matters only
	// when no source selects them: with several sources (companies), the
	// client belongs to one of them.
	ran := slices.ContainsFunc(outs, func(o daemon.Outcome) bool { return !o.NotSelected })
	for _, o := range outs {
		if !o.NotSelected || !ran {
			code = worse(code, o.Code)
		}
		if o.Msg != "" {
			fmt.Fprintf(env.Stderr, "ticaga-sync: %s\n", o.Msg)
		}
		if o.Report == nil {
			continue
		}
		reports = append(reports, o.Report)
		if output == "text" {
			if len(reports) > 1 {
				fmt.Fprintln(env.Stdout)
			}
			daemon.WriteTextReport(env.Stdout, o.Report)
		}
	}
	if output == "json" && len(reports) > 0 {
		// A reader that went away (| head) is no failure of the run.
		if err := writeJSONReports(env.Stdout, reports); err != nil && !errors.Is(err, syscall.EPIPE) {
			fmt.Fprintf(env.Stderr, "ticaga-sync: write report: %v\n", err)
			return exitFailed
		}
	}
	return code
}

// writeReport writes the --report file, if asked, and returns an exit code.
func writeReport(env Env, path string, outs []daemon.Outcome) int {
	if path == "" {
		return exitOK
	}
	var reps []*ticagasync.Report
	for _, o := range outs {
		if o.Report != nil {
			reps = append(reps, o.Report)
		}
	}
	if err := writeReportFile(path, reps); err != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: %v\n", err)
		return exitFailed
	}
	return exitOK
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
// {"sources": [...]} for several, one decision at a time.
func writeJSONReports(w io.Writer, reps []*ticagasync.Report) error {
	if len(reps) == 1 {
		if err := daemon.WriteJSONReport(w, reps[0], false, ""); err != nil {
			return err
		}
		_, err := io.WriteString(w, "\n")
		return err
	}
	if _, err := io.WriteString(w, "{\n  \"sources\": ["); err != nil {
		return err
	}
	for i, r := range reps {
		sep := "\n    "
		if i > 0 {
			sep = "," + sep
		}
		if _, err := io.WriteString(w, sep); err != nil {
			return err
		}
		if err := daemon.WriteJSONReport(w, r, false, "    "); err != nil {
			return err
		}
	}
	end := "\n  ]\n}\n"
	if len(reps) == 0 {
		end = "]\n}\n"
	}
	_, err := io.WriteString(w, end)
	return err
}
