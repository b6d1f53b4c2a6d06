package daemon

import (
	"context"
	"errors"
	"fmt"
	"strings"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// Outcome is one source's result of a one-off run: its report (when the run
// started), the line to show (when there is one) and its exit code.
type Outcome struct {
	Source string
	Report *ticagasync.Report
	Msg    string
	Code   int
	// NotSelected is set when the run was not started because the source
	// selects none of the clients asked for (Msg says why; Code is
	// ExitUsage).
	NotSelected bool
}

// Sync carries out a one-off run of the source, limited to those of
// companies it covers when given; one source failing never stops the
// others. It waits up to opt.LockWait for a run of the source in progress
// in this process (the scheduler's), and as long for the run lock. A source
// with a Problem is skipped with ExitFailed; a held lock is ExitLocked; a
// run that failed, or left a customer failed, is ExitFailed.
func (s *Source) Sync(ctx context.Context, companies []int64, opt ticagasync.RunOptions) Outcome {
	o := Outcome{Source: s.name}
	if s.problem != nil {
		o.Msg, o.Code = fmt.Sprintf("source %s skipped: %s", s.name, OneLine(s.problem)), ExitFailed
		return o
	}
	engine, err := s.engineFor(companies)
	if err != nil {
		o.Msg, o.Code = fmt.Sprintf("source %s: %s", s.name, OneLine(err)), ExitFailed
		return o
	}
	if len(opt.Clients) > 0 {
		// A client the source does not select would cost a whole run (the
		// preflight, the directory) to decide nothing: say why instead.
		selected, why, err := selectedClients(ctx, engine, opt.Clients)
		if err != nil {
			o.Msg, o.Code = fmt.Sprintf("source %s: %s", s.name, OneLine(err)), ExitFailed
			return o
		}
		if len(why) > 0 {
			o.Msg = fmt.Sprintf("source %s: %s", s.name, strings.Join(why, "; "))
		}
		if len(selected) == 0 {
			o.Code, o.NotSelected = ExitUsage, true
			return o
		}
		opt.Clients = selected
	}
	o.Report, err = s.run(ctx, engine, opt, opt.LockWait)
	switch {
	case errors.Is(err, ticagasync.ErrLocked):
		o.Msg, o.Code = joinLines(o.Msg, fmt.Sprintf("source %s: %s; use --wait DURATION to queue behind it", s.name, OneLine(err))), ExitLocked
	case o.Report == nil:
		o.Msg, o.Code = fmt.Sprintf("source %s: %s", s.name, OneLine(err)), ExitFailed
	case err != nil:
		o.Msg, o.Code = joinLines(o.Msg, fmt.Sprintf("source %s: run failed: %s", s.name, explain(err))), ExitFailed
	case o.Report.Counts.Failed > 0:
		o.Code = ExitFailed
	}
	return o
}

// joinLines joins two messages, either of which may be empty.
func joinLines(a, b string) string {
	if a == "" {
		return b
	}
	return a + "\n" + b
}

// selectedClients returns those of clients the engine's source selects and
// could link, and a sentence for each of the others saying why not: not
// selected, or a row that cannot be used (no primary contact).
func selectedClients(ctx context.Context, e *ticagasync.Engine, clients []ticagasync.BillingID) ([]ticagasync.BillingID, []string, error) {
	var selected []ticagasync.BillingID
	var why []string
	for _, id := range clients {
		l, ok, err := e.LookupClient(ctx, id)
		switch {
		case err != nil:
			return nil, nil, err
		case l.Selected() && l.Contact.Problem != "":
			// Selected, but never linkable until its row is fixed.
			why = append(why, fmt.Sprintf("client %s cannot be linked: %s (correct it in the billing system)", id, l.Contact.Problem))
		case !ok || l.Selected():
			selected = append(selected, id)
		default:
			why = append(why, NotSelectedLine(id, l))
		}
	}
	return selected, why, nil
}

// NotSelectedLine says in a sentence why client id is not selected.
func NotSelectedLine(id ticagasync.BillingID, l ticagasync.ClientLookup) string {
	if !l.Found {
		return fmt.Sprintf("client %s: %s", id, l.Reason())
	}
	return fmt.Sprintf("client %s is not selected: %s", id, l.Reason())
}

// explain turns an engine error into a line. A rejected token already
// names the setting to fix (the source's Ticaga says it).
func explain(err error) string {
	return OneLine(err)
}
