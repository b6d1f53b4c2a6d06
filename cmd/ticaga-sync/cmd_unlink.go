package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ticaga/ticaga-sync/configs"
	"github.com/ticaga/ticaga-sync/daemon"
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
	var client billingID
	var clearRemote, yes bool
	fs := newFlags("unlink", env, &configFile)
	fs.Var(&client, "client", "the billing client `ID` to unlink (a number, or a TicketSource id cst-...; required)")
	fs.StringVar(&sourceName, "source", "", "the source `NAME`, when there are several")
	fs.BoolVar(&clearRemote, "clear-remote", false, "also clear the billing id in Ticaga")
	fs.BoolVar(&yes, "yes", false, "do not ask for confirmation")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if client == "" {
		fmt.Fprintln(env.Stderr, "ticaga-sync unlink: --client ID is required")
		return exitUsage
	}
	// Only --clear-remote calls Ticaga, and needs the token.
	d, code := loadConfig(ctx, configFile, env, clearRemote, true)
	if code >= 0 {
		return code
	}
	return withDaemon(ctx, d, env, true, func(a *daemon.App) int {
		var names []string
		if sourceName != "" {
			names = []string{sourceName}
		}
		srcs := a.Select(names, nil)
		if len(srcs) != 1 {
			fmt.Fprintf(env.Stderr, "ticaga-sync unlink: %d sources match; name one with --source (see ticaga-sync check)\n", len(srcs))
			return exitUsage
		}
		s := srcs[0]
		if s.Problem() != nil {
			fmt.Fprintf(env.Stderr, "ticaga-sync: source %s cannot run: %s\n", s.Name(), oneLine(s.Problem()))
			return exitFailed
		}
		return unlink(ctx, env, s, ticagasync.BillingID(client), clearRemote, yes)
	})
}

func unlink(ctx context.Context, env Env, s *daemon.Source, client ticagasync.BillingID, clearRemote, yes bool) int {
	e := s.Engine()
	p, err := e.PairingOfClient(ctx, client)
	if err != nil {
		fmt.Fprintf(env.Stderr, "ticaga-sync: %s\n", oneLine(err))
		return exitFailed
	}
	what := fmt.Sprintf("remove the %s row pairing %s client %s with Ticaga user %d (%s)", pairingTable(client), e.System, client, p.TicagaUserID, p.Email)
	if clearRemote {
		what += fmt.Sprintf(", and clear the billing id of Ticaga user %d at %s", p.TicagaUserID, configs.RedactURL(e.Target))
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

	res, err := e.Unlink(ctx, p, clearRemote)
	if res.Gone {
		fmt.Fprintf(env.Stdout, "Ticaga user %d no longer exists; nothing to clear there\n", p.TicagaUserID)
	}
	if res.Cleared {
		fmt.Fprintf(env.Stdout, "cleared the billing id of Ticaga user %d\n", p.TicagaUserID)
	}
	switch {
	case errors.Is(err, ticagasync.ErrLocked):
		fmt.Fprintf(env.Stderr, "ticaga-sync: %s; try again after it\n", oneLine(err))
		return exitLocked
	case errors.Is(err, ticagasync.ErrChanged):
		fmt.Fprintf(env.Stderr, "ticaga-sync: %s while you confirmed; nothing changed, run unlink again\n", oneLine(err))
		return exitFailed
	case err != nil:
		fmt.Fprintf(env.Stderr, "ticaga-sync: %s; nothing changed\n", oneLine(err))
		return exitFailed
	}
	fmt.Fprintf(env.Stdout, "removed the %s row of Ticaga user %d (%s client %s)\n", pairingTable(client), p.TicagaUserID, e.System, client)
	return exitOK
}

// pairingTable names the table holding a customer's pairing: the plugin's
// ticaga_billing for numeric ids, the daemon's ticaga_sync_pairings for
// string ids (TicketSource).
func pairingTable(id ticagasync.BillingID) string {
	if id.Numeric() {
		return "ticaga_billing"
	}
	return "ticaga_sync_pairings"
}
