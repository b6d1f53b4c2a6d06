package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// cmdUnlink removes a customer's ticaga_billing row and, with
// --clear-remote, the billing id in Ticaga (customers/assign with
// billing_id 0). It asks for confirmation unless --yes, holds the source's
// run lock while it works, and clears Ticaga only when Ticaga still carries
// this customer's id. Unless the customer's email changes, the next run may
// link it again: unlink repairs a wrong link, it does not exclude anyone.
func cmdUnlink(ctx context.Context, args []string, env Env) int {
	var configFile, sourceName string
	var client int64
	var clearRemote, yes bool
	fs := newFlags("unlink", env, &configFile)
	fs.Int64Var(&client, "client", 0, "the billing client `ID` to unlink (required)")
	fs.StringVar(&sourceName, "source", "", "the source `NAME`, when there are several")
	fs.BoolVar(&clearRemote, "clear-remote", false, "also clear the billing id in Ticaga")
	fs.BoolVar(&yes, "yes", false, "do not ask for confirmation")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if client <= 0 {
		fmt.Fprintln(env.Stderr, "ticaga-sync unlink: --client ID is required")
		return exitUsage
	}
	return withApp(ctx, configFile, env, true, func(a *app) int {
		var names []string
		if sourceName != "" {
			names = []string{sourceName}
		}
		srcs := a.selected(names, nil)
		if len(srcs) != 1 {
			fmt.Fprintf(env.Stderr, "ticaga-sync unlink: %d sources match; name one with --source (see ticaga-sync check)\n", len(srcs))
			return exitUsage
		}
		s := srcs[0]
		if s.problem != nil {
			fmt.Fprintf(env.Stderr, "ticaga-sync: source %s cannot run: %s\n", s.name, oneLine(s.problem))
			return exitFailed
		}
		return unlink(ctx, env, s, client, clearRemote, yes)
	})
}

func unlink(ctx context.Context, env Env, s *source, client int64, clearRemote, yes bool) int {
	system := s.engine.System
	p, found, err := s.store.PairingByBilling(ctx, system, client)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: %s\n", oneLine(err))
		return exitFailed
	}
	if !found {
		fmt.Fprintf(env.Stderr, "ticaga-sync: ticaga_billing has no row for %s client %d\n", system, client)
		return exitFailed
	}
	what := fmt.Sprintf("remove the ticaga_billing row pairing %s client %d with Ticaga user %d (%s)", system, client, p.TicagaUserID, p.Email)
	if clearRemote {
		what += fmt.Sprintf(", and clear the billing id of Ticaga user %d at %s", p.TicagaUserID, s.engine.Target)
	}
	if !yes {
		if env.Stdin == nil || !isTerminal(env.Stdin) && !env.AssumeTerminal {
			fmt.Fprintf(env.Stderr, "ticaga-sync unlink: would %s; not a terminal, so pass --yes to confirm\n", what)
			return exitUsage
		}
		fmt.Fprintf(env.Stdout, "This will %s.\nType yes to continue: ", what)
		answer, _ := bufio.NewReader(env.Stdin).ReadString('\n')
		if strings.TrimSpace(answer) != "yes" {
			fmt.Fprintln(env.Stdout, "nothing changed")
			return exitFailed
		}
	}

	ctx, unlock, err := s.store.Lock(ctx, s.name, 0)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: %s; a run is in progress, try again after it\n", oneLine(err))
		return exitLocked
	}
	defer unlock()
	// What was confirmed must still be what is there.
	if now, ok, err := s.store.PairingOf(ctx, p.TicagaUserID); err != nil || !ok || now != p {
		fmt.Fprintf(env.Stderr, "ticaga-sync: the row of Ticaga user %d changed while you confirmed; nothing changed, run unlink again\n", p.TicagaUserID)
		return exitFailed
	}

	if clearRemote {
		u, err := s.ticaga.LookupUser(ctx, p.TicagaUserID)
		switch {
		case errors.Is(err, ticagasync.ErrNotFound):
			fmt.Fprintf(env.Stdout, "Ticaga user %d no longer exists; nothing to clear there\n", p.TicagaUserID)
		case err != nil:
			fmt.Fprintf(env.Stderr, "ticaga-sync: read Ticaga user %d: %s; nothing changed\n", p.TicagaUserID, oneLine(err))
			return exitFailed
		case !u.CarriesBilling(client, system):
			fmt.Fprintf(env.Stderr, "ticaga-sync: Ticaga user %d carries billing id %q of %q, not %s client %d; not clearing it, nothing changed\n",
				p.TicagaUserID, u.BillingID, u.BillingSystem, system, client)
			return exitFailed
		default:
			if err := s.ticaga.ClearBilling(ctx, p.TicagaUserID, system); err != nil {
				fmt.Fprintf(env.Stderr, "ticaga-sync: clear the billing id in Ticaga: %s; nothing changed\n", oneLine(err))
				return exitFailed
			}
			u.BillingID = "0"
			if err := s.store.SaveDirectoryUsers(ctx, s.engine.Target, []ticagasync.TicagaUser{u}); err != nil {
				fmt.Fprintf(env.Stderr, "ticaga-sync: update the directory cache: %s\n", oneLine(err))
			}
			fmt.Fprintf(env.Stdout, "cleared the billing id of Ticaga user %d\n", p.TicagaUserID)
		}
	}
	deleted, err := s.store.DeletePairingOf(ctx, p)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: %s\n", oneLine(err))
		return exitFailed
	}
	if !deleted {
		fmt.Fprintf(env.Stderr, "ticaga-sync: the row of Ticaga user %d changed meanwhile; it was left as it is\n", p.TicagaUserID)
		return exitFailed
	}
	fmt.Fprintf(env.Stdout, "removed the ticaga_billing row of Ticaga user %d (%s client %s)\n", p.TicagaUserID, system, strconv.FormatInt(client, 10))
	return exitOK
}
