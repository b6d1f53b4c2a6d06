package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/rs/zerolog"
	"golang.org/x/term"

	"github.com/ticaga/ticaga-sync/billing"
	"github.com/ticaga/ticaga-sync/configs"
	"github.com/ticaga/ticaga-sync/store"
)

// Exit codes.
const (
	exitOK     = 0
	exitFailed = 1
	exitUsage  = 2
	exitLocked = 3
)

// Env is the program's outside world, injectable for tests.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	// AssumeTerminal treats Stdin as a terminal (tests of prompts).
	AssumeTerminal bool
	// Trigger delivers SIGUSR1: start a run now.
	Trigger <-chan os.Signal
	// Reload delivers SIGHUP: reload the configuration.
	Reload <-chan os.Signal
	// Getenv looks up an environment variable.
	Getenv func(string) (string, bool)
}

type command struct {
	name, summary string
	run           func(ctx context.Context, args []string, env Env) int
}

func commands() []command {
	return []command{
		{"run", "the daemon: sync at start and on SYNC_SCHEDULE until stopped", cmdRun},
		{"sync", "one run now, then exit (--dry-run, --full, --client ID, --output json, --wait 1m)", cmdSync},
		{"check", "check every precondition: config, billing database, store, Ticaga token", cmdCheck},
		{"status", "recent runs and the customers that are not linked, and why", cmdStatus},
		{"explain", "why one customer is or is not linked, with every fact behind it (--client ID or --email)", cmdExplain},
		{"unlink", "remove a customer's pairing (--client ID; --clear-remote also clears Ticaga's billing id)", cmdUnlink},
		{"migrate", "create or upgrade the store's tables, then exit", cmdMigrate},
		{"demo", "run the real engine against an embedded database and a fake Ticaga", cmdDemo},
		{"version", "print version, commit and build date", cmdVersion},
	}
}

// Main runs the command line args and returns the exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(env.Stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], env)
		}
	}
	fmt.Fprintf(env.Stderr, "ticaga-sync: unknown command %q (see ticaga-sync help)\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "ticaga-sync links billing customers to their Ticaga accounts.")
	fmt.Fprintln(w, "\nUsage: ticaga-sync COMMAND [--config FILE] [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nSettings come from the environment (see configs/ticaga-sync.env.example);")
	fmt.Fprintln(w, "--config FILE reads an env file first, real environment variables win.")
	fmt.Fprintln(w, "\nExit codes: 0 completed, 1 failed or some clients failed, 2 usage or configuration error, 3 lock held.")
}

// newFlags returns a flag set for a subcommand with the common --config flag.
func newFlags(name string, env Env, configFile *string) *flag.FlagSet {
	fs := flag.NewFlagSet("ticaga-sync "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.StringVar(configFile, "config", "", "env `FILE` with settings (environment variables override it)")
	return fs
}

// parseFlags parses args, returning the exit code to stop with (or -1).
func parseFlags(fs *flag.FlagSet, args []string) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "%s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return exitUsage
	}
	return -1
}

// provisionStatusesError checks SYNC_PROVISION_STATUSES: status words of
// the billing system, each among the statuses the source reads (a customer
// of another status is never read, so it could never get an account).
func provisionStatusesError(cfg configs.Config) error {
	want, err := billing.CanonicalStatuses(cfg.BillingSystem, cfg.SyncProvisionStatuses)
	if err != nil {
		return err
	}
	selected, _ := billing.CanonicalStatuses(cfg.BillingSystem, cfg.BillingStatuses)
	if selected == nil {
		selected = billing.DefaultStatuses(cfg.BillingSystem)
	}
	for _, w := range want {
		if !slices.ContainsFunc(selected, func(s string) bool { return strings.EqualFold(s, w) }) {
			return fmt.Errorf("status %q is not among the statuses the source reads (BILLING_STATUSES: %s)", w, strings.Join(selected, ","))
		}
	}
	return nil
}

// loadSources reads the settings of every source (an env file, or a TOML
// sources file); on error it prints one line per problem and returns the
// exit code 2.
func loadSources(ctx context.Context, file string, env Env) ([]configs.Source, int) {
	srcs, err := configs.LoadSources(ctx, file, env.Getenv)
	if err == nil {
		for _, s := range srcs {
			// Status words are each billing system's own; configs knows none.
			if serr := billing.ValidateStatuses(s.Config.BillingSystem, s.Config.BillingStatuses); serr != nil {
				err = errors.Join(err, &configs.Error{Var: "BILLING_STATUSES", Msg: serr.Error()})
			} else if perr := provisionStatusesError(s.Config); perr != nil {
				err = errors.Join(err, &configs.Error{Var: "SYNC_PROVISION_STATUSES", Msg: perr.Error()})
			}
		}
	}
	if err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintf(env.Stderr, "ticaga-sync: configuration: %s\n", line)
		}
		return srcs, exitUsage
	}
	return srcs, -1
}

// logConfig is the configuration whose logging settings apply: the first
// source's (logging is the same for every source in practice).
func logConfig(srcs []configs.Source) configs.Config {
	if len(srcs) == 0 {
		return configs.DefaultConfig()
	}
	return srcs[0].Config
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}

// withApp loads the settings, wires the app and calls fn with it; quiet
// commands log nothing.
func withApp(ctx context.Context, configFile string, env Env, quiet bool, fn func(a *app) int) int {
	srcs, code := loadSources(ctx, configFile, env)
	if code >= 0 {
		return code
	}
	return withSources(ctx, srcs, env, quiet, fn)
}

// withSources is withApp with the settings already loaded.
func withSources(ctx context.Context, srcs []configs.Source, env Env, quiet bool, fn func(a *app) int) int {
	log := zerolog.Nop()
	if !quiet {
		log = newLogger(logConfig(srcs), env.Stderr)
	}
	a, err := openApp(ctx, srcs, log, nil)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: %s\n", oneLine(err))
		return exitFailed
	}
	defer a.Close()
	return fn(a)
}

// migrateAll brings every store up to date.
func migrateAll(ctx context.Context, a *app) error {
	return a.eachStore(func(st *store.Store) error { return st.Migrate(ctx) })
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
