package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ticaga/ticaga-sync/billing"
	"github.com/ticaga/ticaga-sync/configs"
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
	Stdout, Stderr io.Writer
	// Trigger delivers SIGUSR1: start a run now.
	Trigger <-chan os.Signal
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

// loadConfig reads the settings; on error it prints one line and returns
// the exit code 2.
func loadConfig(ctx context.Context, file string, env Env) (configs.Config, int) {
	cfg, err := configs.LoadFile(ctx, file, env.Getenv)
	if err == nil {
		// Status words are each billing system's own; configs knows none.
		if serr := billing.ValidateStatuses(cfg.BillingSystem, cfg.BillingStatuses); serr != nil {
			err = &configs.Error{Var: "BILLING_STATUSES", Msg: serr.Error()}
		}
	}
	if err != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: configuration: %s\n", oneLine(err))
		return cfg, exitUsage
	}
	return cfg, -1
}

func oneLine(err error) string {
	return strings.ReplaceAll(err.Error(), "\n", "; ")
}
