package sync

import (
	"context"
	"fmt"
	"iter"
	"strings"
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
	// Kind is how the run was started (scheduled, one-off, dry run); empty
	// for runs recorded before the history kept it.
	Kind     RunKind
	Counts   Counts
	APICalls int
	Error    string
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
	// open is read once, as it is written.
	ReplaceDecisions(ctx context.Context, source string, runID int64, open iter.Seq[Decision], scope []BillingID, now time.Time) error
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
	ExclusionStore
}

// RunKind is how a run was started; the run history keeps it.
type RunKind string

// The kinds of run.
const (
	// KindScheduled: the daemon's schedule (or a SIGUSR1 trigger).
	KindScheduled RunKind = "scheduled"
	// KindOneOff: ticaga-sync sync, in its own process or carried out by
	// the daemon.
	KindOneOff RunKind = "one-off"
	// KindDryRun: a one-off dry run (sync --dry-run).
	KindDryRun RunKind = "dry-run"
)

// LockHolder is who holds a run lock, as far as the store knows.
type LockHolder struct {
	Host string
	PID  int
	// RunID is the run in progress under the lock (0: none recorded, such
	// as an unlink).
	RunID int64
	Since time.Time
}

// LockedError is the error of a run lock held by someone else. It is
// ErrLocked (errors.Is).
type LockedError struct {
	// Name is the lock's (the source's) name.
	Name string
	// Holder is who holds it; nil when unknown.
	Holder *LockHolder
}

func (e *LockedError) Error() string {
	h := e.Holder
	if h == nil {
		return fmt.Sprintf("the run lock of %s is held by another process (which one is not recorded)", e.Name)
	}
	s := fmt.Sprintf("the run lock of %s is held", e.Name)
	if h.RunID != 0 {
		s += fmt.Sprintf(" by run %d", h.RunID)
	}
	if h.Host != "" {
		s += fmt.Sprintf(" on host %s, process %d,", h.Host, h.PID)
	}
	if !h.Since.IsZero() {
		s += " since " + h.Since.Local().Format("2006-01-02 15:04:05 MST")
	}
	return strings.TrimSuffix(s, ",")
}

// Is makes a LockedError ErrLocked.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }
