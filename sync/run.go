package sync

import (
	"context"
	"time"
)

// Outcome is how a run ended.
type Outcome string

// The outcomes.
const (
	OutcomeRunning   Outcome = "running"
	OutcomeCompleted Outcome = "completed" // every decision carried out (conflicts are not failures)
	OutcomePartial   Outcome = "partial"   // completed, but some links failed
	OutcomeFailed    Outcome = "failed"    // aborted: nothing after the failing step was done
	// OutcomeAbandoned closes a run whose process ended without recording
	// its end (kill -9, a crash, a power cut). The next run of its source
	// sets it when it takes the run lock, which proves that process gone.
	OutcomeAbandoned Outcome = "abandoned"
)

// RunRecord is one row of the run history.
type RunRecord struct {
	ID         int64
	Source     string
	StartedAt  time.Time
	FinishedAt time.Time
	Outcome    Outcome
	DryRun     bool
	Counts     Counts
	APICalls   int
	Error      string
}

// DecisionRecord is the last decision kept for a customer that is not
// linked: what it was, since when, and which run last recorded a change to
// it (LastSeen, RunID); a run that finds it unchanged writes nothing.
type DecisionRecord struct {
	Source    string
	BillingID BillingID
	Email     string
	Action    Action
	Reason    Reason
	TicagaID  int64
	Detail    string
	Since     time.Time
	LastSeen  time.Time
	RunID     int64
}

// RunStore keeps the run history and the open decisions.
type RunStore interface {
	// StartRun records a run as running and returns its id.
	StartRun(ctx context.Context, r RunRecord) (int64, error)
	// FinishRun records the end of run r.ID.
	FinishRun(ctx context.Context, r RunRecord) error
	// ReplaceDecisions makes the open decisions of source exactly the given
	// ones (customers not linked), keeping Since for a customer whose action
	// and reason did not change and writing nothing for an unchanged one;
	// decisions of customers outside scope (when scope is not empty) are
	// left as they are.
	ReplaceDecisions(ctx context.Context, source string, runID int64, open []Decision, scope []BillingID, now time.Time) error
	// AbandonRuns closes every run of source still recorded as running as
	// OutcomeAbandoned, finished at now, and returns their ids. Only the
	// holder of the source's run lock calls it: no live run can be running.
	AbandonRuns(ctx context.Context, source string, now time.Time) ([]int64, error)
	// SourceDecisions returns the open decisions recorded for source.
	SourceDecisions(ctx context.Context, source string) ([]DecisionRecord, error)
	// DecisionFor returns the open decision recorded for customer
	// billingID of source; ok is false when none is.
	DecisionFor(ctx context.Context, source string, billingID BillingID) (d DecisionRecord, ok bool, err error)
}

// Locker gives the run lock: one run at a time for a source across every host
// that shares the store.
type Locker interface {
	// Lock takes the named lock, waiting up to wait (0: not at all). It
	// returns an error wrapping ErrLocked when the lock stays held by someone
	// else. The returned context is ctx, also cancelled (with cause
	// ErrLockLost) if the lock is lost while held: work guarded by the lock
	// runs under it. The returned function releases the lock.
	Lock(ctx context.Context, name string, wait time.Duration) (held context.Context, unlock func(), err error)
}

// Store is what the engine keeps and reads, and nothing more: the store
// package implements it on MySQL (with more for the command line: run
// history, statistics), synctest in memory for the engine's rule tests.
type Store interface {
	Locker
	Directory
	PairingStore
	RunStore
}
