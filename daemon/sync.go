package daemon

import (
	"context"
	"errors"
	"fmt"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// Outcome is one source's result of a one-off run: its report (when the run
// started), the line to show (when there is one) and its exit code.
type Outcome struct {
	Source string
	Report *ticagasync.Report
	Msg    string
	Code   int
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
	o.Report, err = s.run(ctx, engine, opt, opt.LockWait)
	switch {
	case errors.Is(err, ticagasync.ErrLocked):
		o.Msg, o.Code = fmt.Sprintf("source %s: %s; another run is in progress (use --wait to queue behind it)", s.name, OneLine(err)), ExitLocked
	case o.Report == nil:
		o.Msg, o.Code = fmt.Sprintf("source %s: %s", s.name, OneLine(err)), ExitFailed
	case err != nil:
		o.Msg, o.Code = fmt.Sprintf("source %s: run failed: %s", s.name, explain(err)), ExitFailed
	case o.Report.Counts.Failed > 0:
		o.Code = ExitFailed
	}
	return o
}

// explain turns an engine error into a line that names what to fix.
func explain(err error) string {
	switch {
	case errors.Is(err, ticagasync.ErrUnauthorized):
		return OneLine(err) + " (Ticaga rejected the API token: check TICAGA_API_TOKEN / TICAGA_API_TOKEN_FILE, TICAGA_API_EMAIL, or the plugin's api_key)"
	default:
		return OneLine(err)
	}
}
