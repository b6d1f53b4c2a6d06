package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	gosync "sync"

	"github.com/rs/zerolog"
	"golang.org/x/term"

	"github.com/ticaga/ticaga-sync/configs"
	"github.com/ticaga/ticaga-sync/daemon"
	"github.com/ticaga/ticaga-sync/internal/mysqlx"
)

// Exit codes.
const (
	exitOK     = daemon.ExitOK
	exitFailed = daemon.ExitFailed
	exitUsage  = daemon.ExitUsage
	exitLocked = daemon.ExitLocked
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

	// flagSets, when set, collects the flag sets commands make (help, the
	// man page and completions read a command's flags from them).
	flagSets *[]*flag.FlagSet
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
		{"exclude", "keep one customer out of syncing (--client ID [--reason TEXT]); include undoes it", cmdExclude},
		{"include", "undo exclude: the next run decides about the customer again (--client ID)", cmdInclude},
		{"unlink", "remove a customer's pairing (--client ID; --clear-remote also clears Ticaga's billing id)", cmdUnlink},
		{"migrate", "create or upgrade the store's tables, then exit", cmdMigrate},
		{"config", "print the effective settings, daemon-wide and of each source, secrets redacted (--output json)", cmdConfig},
		{"version", "print version, commit and build date (also --version)", cmdVersion},
		{"help", "what a command does, its flags, settings and examples (help CMD, or CMD -h)", cmdHelp},
		{"completion", "print a bash or zsh completion script (completion bash|zsh)", cmdCompletion},
		{"man", "print the manual page (roff)", cmdMan},
	}
}

// Main runs the command line args and returns the exit code.
func Main(ctx context.Context, args []string, env Env) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
		usage(env.Stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	if args[0] == "--version" || args[0] == "-version" {
		return cmdVersion(ctx, args[1:], env)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, args[1:], env)
		}
	}
	if args[0] == "demo" {
		// The demo embeds a database server, so it is a program of its own.
		fmt.Fprintln(env.Stderr, "ticaga-sync: the demo is a program of its own; in the source tree run: go run ./cmd/ticaga-sync-demo")
		return exitUsage
	}
	fmt.Fprintf(env.Stderr, "ticaga-sync: unknown command %q (see ticaga-sync help)\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "ticaga-sync links billing customers to their Ticaga accounts.")
	fmt.Fprintln(w, "\nUsage: ticaga-sync COMMAND [--config FILE] [flags]")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nticaga-sync help CMD (or ticaga-sync CMD -h) tells more about a command.")
	fmt.Fprintf(w, "\n%s\n", wrap(configNote, 76, ""))
	fmt.Fprintln(w, "\nExit codes: 0 completed, 1 failed or some clients failed, 2 usage or configuration error, 3 lock held.")
}

// newFlags returns a flag set for a subcommand with the common --config flag.
func newFlags(name string, env Env, configFile *string) *flag.FlagSet {
	fs := flag.NewFlagSet("ticaga-sync "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.StringVar(configFile, "config", "", "the settings: an env `FILE`, or a .toml sources file (default "+DefaultConfigFile+" when it exists; environment variables override it)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "See ticaga-sync help %s for its flags, settings and examples.\n", name)
	}
	if env.flagSets != nil {
		*env.flagSets = append(*env.flagSets, fs)
	}
	helpOut.Store(fs, env.Stdout)
	return fs
}

// helpOut holds, for each flag set being parsed, where its help goes (the
// command's stdout).
var helpOut gosync.Map

// wantsHelp reports whether args ask for help (-h, -help, --help) before
// a "--".
func wantsHelp(args []string) bool {
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "-h", "-help", "--help":
			return true
		}
	}
	return false
}

// parseFlags parses args, returning the exit code to stop with (or -1).
// -h prints the command's help on stdout and exits 0.
func parseFlags(fs *flag.FlagSet, args []string) int {
	out, _ := helpOut.LoadAndDelete(fs)
	if wantsHelp(args) {
		name := strings.TrimPrefix(fs.Name(), "ticaga-sync ")
		if c, ok := findCommand(name); ok && out != nil {
			printCommandHelp(out.(io.Writer), c, fs)
		}
		return exitOK
	}
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

// DefaultConfigFile is the configuration a command reads without
// --config, when it exists: the file the .deb installs. The environment
// variable ConfigFileVar overrides it (empty: no default file), so that
// tests and other layouts can move it.
const (
	DefaultConfigFile = "/etc/ticaga-sync/ticaga-sync.env"
	ConfigFileVar     = "TICAGA_SYNC_CONFIG"
)

// resolveConfigFile returns the file to read the settings from: file (--config)
// when given, else the default file (ConfigFileVar or DefaultConfigFile)
// when it exists, else "" (the environment alone). Reading the default is
// said on stderr when say is set. A default file that exists but cannot
// be read is still returned, so that the error names it.
func resolveConfigFile(file string, env Env, say bool) string {
	if file != "" {
		return file
	}
	def := DefaultConfigFile
	if env.Getenv != nil {
		if v, ok := env.Getenv(ConfigFileVar); ok {
			def = v
		}
	}
	if def == "" {
		return ""
	}
	if _, err := os.Stat(def); errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	if say {
		fmt.Fprintf(env.Stderr, "ticaga-sync: reading settings from %s (--config FILE to read another)\n", def)
	}
	return def
}

// loadDaemon reads the configuration (an env file, or a TOML sources
// file; without --config the default file, see resolveConfigFile) for a command
// that makes no Ticaga call: a missing or unreadable token is no problem.
// On error it prints one line per problem and returns the exit code 2.
func loadDaemon(ctx context.Context, file string, env Env) (configs.Daemon, int) {
	return loadConfig(ctx, file, env, false, true)
}

// loadDaemonWithToken is loadDaemon for a command that calls Ticaga: the
// token is required.
func loadDaemonWithToken(ctx context.Context, file string, env Env) (configs.Daemon, int) {
	return loadConfig(ctx, file, env, true, true)
}

func loadConfig(ctx context.Context, file string, env Env, token, say bool) (configs.Daemon, int) {
	d, err := daemon.Load(ctx, resolveConfigFile(file, env, say), env.Getenv)
	if !token {
		err = configs.WithoutTokenProblems(err)
	}
	if err != nil {
		printConfigError(env.Stderr, err)
		return d, exitUsage
	}
	return d, -1
}

// printConfigError prints a configuration error, one line per problem.
func printConfigError(w io.Writer, err error) {
	for _, line := range daemon.ConfigErrorLines(err) {
		fmt.Fprintln(w, line)
	}
}

func oneLine(err error) string { return daemon.OneLine(err) }

// withApp loads the settings, wires the sources and calls fn with them;
// quiet commands log nothing.
func withApp(ctx context.Context, configFile string, env Env, quiet bool, fn func(a *daemon.App) int) int {
	d, code := loadDaemon(ctx, configFile, env)
	if code >= 0 {
		return code
	}
	return withDaemon(ctx, d, env, quiet, fn)
}

// withDaemon is withApp with the settings already loaded.
func withDaemon(ctx context.Context, d configs.Daemon, env Env, quiet bool, fn func(a *daemon.App) int) int {
	log := zerolog.Nop()
	if !quiet {
		log = daemon.NewLogger(d, env.Stderr)
	}
	return withDaemonLog(ctx, d, env, log, fn)
}

// withDaemonLog is withDaemon with the logger given.
func withDaemonLog(ctx context.Context, d configs.Daemon, env Env, log zerolog.Logger, fn func(a *daemon.App) int) int {
	// The driver's own messages (a dropped connection) are warnings a
	// quiet command shows too, as log lines rather than raw "[mysql]" ones.
	mysqlx.SetLogger(daemon.NewLogger(d, env.Stderr))
	a, err := daemon.Open(ctx, d, daemon.Options{Log: log, Version: version, WithoutToken: true})
	if err != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: %s\n", oneLine(err))
		return exitFailed
	}
	defer a.Close()
	return fn(a)
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
