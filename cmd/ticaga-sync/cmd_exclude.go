package main

import (
	"context"
	"errors"
	"fmt"
	"os/user"
	"strings"
	"time"

	"github.com/ticaga/ticaga-sync/daemon"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// cmdExclude keeps one customer out of syncing: recorded in the store with
// the reason, who and when; every later run decides `excluded` for it.
func cmdExclude(ctx context.Context, args []string, env Env) int {
	return exclusionCommand(ctx, "exclude", args, env)
}

// cmdInclude removes an exclusion: the next run decides about the customer
// again.
func cmdInclude(ctx context.Context, args []string, env Env) int {
	return exclusionCommand(ctx, "include", args, env)
}

func exclusionCommand(ctx context.Context, name string, args []string, env Env) int {
	var configFile, sourceName, reason string
	var client billingID
	fs := newFlags(name, env, &configFile)
	fs.Var(&client, "client", "the billing client `ID` (a number, or a TicketSource id cst-...; required)")
	fs.StringVar(&sourceName, "source", "", "the source `NAME`, when there are several")
	if name == "exclude" {
		fs.StringVar(&reason, "reason", "", "why, in a few words (shown by status and explain)")
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if client == "" {
		fmt.Fprintf(env.Stderr, "ticaga-sync %s: --client ID is required\n", name)
		return exitUsage
	}
	return withApp(ctx, configFile, env, true, func(a *daemon.App) int {
		s, code := oneSource(env, a, name, sourceName)
		if code >= 0 {
			return code
		}
		if err := s.Store().Migrate(ctx); err != nil {
			fmt.Fprintf(env.Stderr, "ticaga-sync: migrate the store: %s\n", oneLine(err))
			return exitFailed
		}
		id := ticagasync.BillingID(client)
		if name == "include" {
			ok, err := s.Store().Include(ctx, s.Name(), id)
			switch {
			case err != nil:
				fmt.Fprintf(env.Stderr, "ticaga-sync: %s\n", oneLine(err))
				return exitFailed
			case !ok:
				fmt.Fprintf(env.Stdout, "client %s of source %s was not excluded; nothing changed\n", id, s.Name())
				return exitOK
			}
			fmt.Fprintf(env.Stdout, "client %s of source %s is included again: the next run decides about it\n", id, s.Name())
			return exitOK
		}
		x := ticagasync.Exclusion{Source: s.Name(), BillingID: id, Reason: strings.TrimSpace(reason), By: operator(env), At: time.Now()}
		if err := s.Store().Exclude(ctx, x); err != nil {
			fmt.Fprintf(env.Stderr, "ticaga-sync: %s\n", oneLine(err))
			return exitFailed
		}
		x.At = x.At.UTC().Truncate(time.Millisecond)
		fmt.Fprintf(env.Stdout, "client %s of source %s is %s; runs no longer link or create it\n", id, s.Name(), x)
		p, err := s.Engine().PairingOfClient(ctx, id)
		switch {
		case err == nil:
			fmt.Fprintf(env.Stdout, "it is still linked to Ticaga user %d: `ticaga-sync unlink --client %s --source %s` removes that link\n",
				p.TicagaUserID, id, s.Name())
		case !errors.Is(err, ticagasync.ErrNoPairing):
			fmt.Fprintf(env.Stderr, "ticaga-sync: could not tell whether it is linked: %s\n", oneLine(err))
		}
		return exitOK
	})
}

// oneSource returns the source named name, or the only one; on a problem
// it prints it and returns an exit code.
func oneSource(env Env, a *daemon.App, cmd, name string) (*daemon.Source, int) {
	var names []string
	if name != "" {
		names = []string{name}
	}
	srcs := a.Select(names, nil)
	if len(srcs) != 1 {
		fmt.Fprintf(env.Stderr, "ticaga-sync %s: %d sources match; name one with --source (see ticaga-sync check)\n", cmd, len(srcs))
		return nil, exitUsage
	}
	s := srcs[0]
	if s.Problem() != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: source %s cannot run: %s\n", s.Name(), oneLine(s.Problem()))
		return nil, exitFailed
	}
	return s, -1
}

// operator names the person at the command: the user who ran sudo, else
// the OS user.
func operator(env Env) string {
	if env.Getenv != nil {
		if u, ok := env.Getenv("SUDO_USER"); ok && strings.TrimSpace(u) != "" {
			return strings.TrimSpace(u)
		}
	}
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	if env.Getenv != nil {
		if u, ok := env.Getenv("USER"); ok && u != "" {
			return u
		}
	}
	return "unknown"
}
