// Command ticaga-sync links billing customers to their Ticaga accounts.
//
// Run `ticaga-sync help` for the commands. Exit codes: 0 completed (no_match
// and conflicts are not failures), 1 failed or completed with failed
// clients, 2 usage or configuration error, 3 run lock held elsewhere.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/ticaga/ticaga-sync/internal/gctune"
)

func main() {
	gctune.Apply(os.LookupEnv)
	// Signals are handled here only, so the program itself runs in tests.
	// The first SIGINT/SIGTERM cancels ctx (a clean stop); stop() then
	// restores the default handlers, so a second signal kills at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	// A closed stdout (`ticaga-sync sync | head -1`) must not kill the
	// program mid-run: with SIGPIPE notified, a write to it fails with
	// EPIPE instead, and the run, its record and --report complete.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	trigger, reload := make(chan os.Signal, 1), make(chan os.Signal, 1)
	signal.Notify(trigger, syscall.SIGUSR1)
	signal.Notify(reload, syscall.SIGHUP)
	os.Exit(Main(ctx, os.Args[1:], Env{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Trigger: trigger, Reload: reload, Getenv: os.LookupEnv}))
}
