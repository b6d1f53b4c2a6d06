package store

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/ticaga/ticaga-sync/internal/testdb"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

func TestLockExcludes(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	ctx := t.Context()
	_, unlock, err := s.Lock(ctx, "run:blesta", 0)
	if err != nil {
		t.Fatalf("Lock: %v", err)
	}
	if held, err := s.LockHeld(ctx, "run:blesta"); !held || err != nil {
		t.Errorf("LockHeld = %v, %v while held", held, err)
	}
	_, _, err = s.Lock(ctx, "run:blesta", 0)
	if !errors.Is(err, ticagasync.ErrLocked) || !strings.Contains(err.Error(), "run:blesta") {
		t.Fatalf("second Lock = %v, want ErrLocked naming the lock", err)
	}
	// Another name is independent.
	_, other, err := s.Lock(ctx, "run:whmcs", 0)
	if err != nil {
		t.Fatalf("other lock: %v", err)
	}
	other()

	unlock()
	unlock() // harmless
	if held, err := s.LockHeld(ctx, "run:blesta"); held || err != nil {
		t.Errorf("LockHeld = %v, %v after unlock", held, err)
	}
	_, again, err := s.Lock(ctx, "run:blesta", 0)
	if err != nil {
		t.Fatalf("Lock after unlock: %v", err)
	}
	again()
}

func TestLockWaitsForRelease(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	ctx := t.Context()
	_, unlock, err := s.Lock(ctx, "run", 0)
	if err != nil {
		t.Fatal(err)
	}
	time.AfterFunc(1500*time.Millisecond, unlock)
	start := time.Now()
	_, second, err := s.Lock(ctx, "run", 10*time.Second)
	if err != nil {
		t.Fatalf("waiting Lock: %v", err)
	}
	defer second()
	if waited := time.Since(start); waited < time.Second || waited > 4*time.Second {
		t.Errorf("waited %v for a lock released after 1.5s", waited)
	}
}

func TestLockWaitTimesOut(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	_, unlock, err := s.Lock(t.Context(), "run", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	start := time.Now()
	_, _, err = s.Lock(t.Context(), "run", 1500*time.Millisecond)
	if !errors.Is(err, ticagasync.ErrLocked) {
		t.Fatalf("Lock = %v, want ErrLocked", err)
	}
	if waited := time.Since(start); waited < 1400*time.Millisecond || waited > 3*time.Second {
		t.Errorf("gave up after %v, want about 1.5s", waited)
	}
}

func TestLockWaitHonoursCancel(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	_, unlock, err := s.Lock(t.Context(), "run", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, _, err = s.Lock(ctx, "run", time.Minute)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Lock = %v, want context.Canceled", err)
	}
	if waited := time.Since(start); waited > time.Second {
		t.Errorf("returned %v after the cancel", waited-300*time.Millisecond)
	}
	// The holder still holds it, and the pool still works.
	if held, err := s.LockHeld(t.Context(), "run"); !held || err != nil {
		t.Errorf("LockHeld = %v, %v", held, err)
	}
}

func TestLockFreedWhenHolderConnectionCloses(t *testing.T) {
	t.Parallel()
	s, raw := openTest(t)
	ctx := t.Context()
	_, unlock, err := s.Lock(ctx, "run", 0)
	if err != nil {
		t.Fatal(err)
	}
	db, _ := s.database(ctx)
	var holder int64
	if err := raw.QueryRow("SELECT IS_USED_LOCK(?)", lockName(lockPrefix, db, "run")).Scan(&holder); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(fmt.Sprintf("KILL CONNECTION %d", holder)); err != nil {
		t.Fatal(err)
	}
	_, next, err := s.Lock(ctx, "run", 5*time.Second)
	if err != nil {
		t.Fatalf("Lock after the holder's connection closed: %v", err)
	}
	unlock() // the old holder's release must not free the new one
	if held, _ := s.LockHeld(ctx, "run"); !held {
		t.Error("the stale unlock freed the new holder's lock")
	}
	next()
}

func TestLockNamesPerDatabase(t *testing.T) {
	t.Parallel()
	s1, _ := openTest(t)
	s2, _ := openTest(t)
	_, u1, err := s1.Lock(t.Context(), "run", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer u1()
	_, u2, err := s2.Lock(t.Context(), "run", 0)
	if err != nil {
		t.Fatalf("a store on another database is blocked: %v", err)
	}
	u2()

	long := strings.Repeat("ü", 80)
	for _, n := range []string{long, long + "x", "run:" + strings.Repeat("a", 60)} {
		full := lockName(lockPrefix, "tst_0123456789ab", n)
		if len(full) > maxLockName || !strings.HasPrefix(full, lockPrefix) || !strings.Contains(full, "~") {
			t.Errorf("lockName(%q) = %q", n, full)
		}
	}
	if lockName(lockPrefix, "db", long) == lockName(lockPrefix, "db", long+"x") {
		t.Error("long names share a lock name")
	}
	if got := lockName(lockPrefix, "db", "run:blesta"); got != "ticaga-sync:db:run:blesta" {
		t.Errorf("short name = %q", got)
	}
	_, unlock, err := s1.Lock(t.Context(), long, 0)
	if err != nil {
		t.Fatalf("Lock with a long name: %v", err)
	}
	unlock()
}

func TestLockLostCancelsItsContext(t *testing.T) {
	t.Parallel()
	s, raw := openTest(t)
	s.keepAlive = 50 * time.Millisecond
	ctx := t.Context()
	held, unlock, err := s.Lock(ctx, "run", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if held.Err() != nil {
		t.Fatal("the held context is done while the lock is held")
	}
	db, _ := s.database(ctx)
	var holder int64
	if err := raw.QueryRow("SELECT IS_USED_LOCK(?)", lockName(lockPrefix, db, "run")).Scan(&holder); err != nil {
		t.Fatal(err)
	}
	if _, err := raw.Exec(fmt.Sprintf("KILL CONNECTION %d", holder)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("losing the lock did not cancel the work it guards")
	}
	if !errors.Is(context.Cause(held), ticagasync.ErrLockLost) {
		t.Fatalf("cause = %v, want ErrLockLost", context.Cause(held))
	}
	// Releasing it normally does not cancel anything with that cause.
	held2, unlock2, err := s.Lock(ctx, "run2", 0)
	if err != nil {
		t.Fatal(err)
	}
	unlock2()
	if errors.Is(context.Cause(held2), ticagasync.ErrLockLost) {
		t.Fatal("a released lock reads as lost")
	}
}

// Held locks never take connections from the store's bounded pool: many
// sources' run and target locks must not starve their own queries.
func TestManyLocksLeaveThePoolFree(t *testing.T) {
	t.Parallel()
	_, dsn := testdb.Open(t)
	s, err := Open(t.Context(), dsn, zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for i := range 2 * maxOpenConns {
		_, unlock, err := s.Lock(ctx, fmt.Sprintf("source-%d", i), 0)
		if err != nil {
			t.Fatalf("lock %d of %d: %v", i+1, 2*maxOpenConns, err)
		}
		defer unlock()
	}
	if err := s.UpsertPairing(ctx, ticagasync.Pairing{TicagaUserID: 1, BillingUserID: "1", BillingSystem: "Blesta"}); err != nil {
		t.Fatalf("a query with %d locks held: %v", 2*maxOpenConns, err)
	}
}

// A lock found held names its holder: host, process, since when, and the
// source's run in progress; without the holders table (a store not yet
// migrated) it says the holder is unknown.
func TestLockNamesItsHolder(t *testing.T) {
	t.Parallel()
	s, raw := migrated(t)
	ctx := t.Context()
	_, unlock, err := s.Lock(ctx, "blesta", 0)
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.StartRun(ctx, ticagasync.RunRecord{Source: "blesta", Kind: ticagasync.KindScheduled})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = s.Lock(ctx, "blesta", 0)
	var le *ticagasync.LockedError
	if !errors.As(err, &le) || !errors.Is(err, ticagasync.ErrLocked) || le.Holder == nil {
		t.Fatalf("second Lock = %v", err)
	}
	host, _ := os.Hostname()
	if h := le.Holder; h.Host != host || h.PID != os.Getpid() || h.RunID != id || time.Since(h.Since) > time.Minute {
		t.Fatalf("holder %+v, want host %s, pid %d, run %d", h, host, os.Getpid(), id)
	}
	if msg := err.Error(); !strings.Contains(msg, fmt.Sprintf("held by run %d on host %s, process %d, since ", id, host, os.Getpid())) ||
		strings.Count(msg, "lock") != 1 {
		t.Fatalf("message %q", msg)
	}
	unlock()

	if _, err := raw.Exec("DROP TABLE ticaga_sync_locks"); err != nil {
		t.Fatal(err)
	}
	_, unlock, err = s.Lock(ctx, "blesta", 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	_, _, err = s.Lock(ctx, "blesta", 0)
	if !errors.As(err, &le) || le.Holder != nil || !strings.Contains(err.Error(), "held by another process") {
		t.Fatalf("without the holders table: %v", err)
	}
}
