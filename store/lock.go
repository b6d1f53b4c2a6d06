package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

const (
	// lockPrefix starts every run lock name; migrateLockPrefix the lock
	// Migrate takes. The database name follows, because GET_LOCK names are
	// global to the server and two installs may share one.
	lockPrefix        = "ticaga-sync:"
	migrateLockPrefix = "ticaga-sync-migrate:"
	// maxLockName is MySQL's limit on a GET_LOCK name.
	maxLockName = 64
	// lockSlice bounds one GET_LOCK wait, so that a cancelled context is
	// noticed within it.
	lockSlice = time.Second
	// lockKeepAlive is how often a held lock's connection is checked, so
	// that wait_timeout never closes it (and silently frees the lock) and a
	// lost lock is noticed (Store.keepAlive; tests shorten it).
	lockKeepAlive = 30 * time.Second
)

// Lock takes the named lock with MySQL's GET_LOCK on a connection of its
// own, kept until the returned function releases the lock and closes that
// connection (calling it twice is harmless). It tries once when wait is 0,
// and otherwise waits up to wait, polling in slices of at most a second so
// that cancelling ctx returns promptly with ctx's error. It returns an error
// wrapping ticagasync.ErrLocked when another connection keeps the lock. If
// the connection dies, the server frees the lock: the returned context,
// derived from ctx, is then cancelled (the connection is checked every
// lockKeepAlive), so work done under it stops instead of racing whoever
// takes the lock next.
func (s *Store) Lock(ctx context.Context, name string, wait time.Duration) (held context.Context, unlock func(), err error) {
	db, err := s.database(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("lock %q: %w", name, err)
	}
	held, lost := context.WithCancelCause(ctx)
	full := lockName(lockPrefix, db, name)
	release, err := s.acquire(ctx, full, wait, lost)
	if errors.Is(err, ticagasync.ErrLocked) {
		lost(nil)
		return nil, nil, &ticagasync.LockedError{Name: name, Holder: s.lockHolder(ctx, full, name)}
	}
	if err != nil {
		lost(nil)
		return nil, nil, fmt.Errorf("lock %q: %w", name, err)
	}
	return held, func() { release(); lost(nil) }, nil
}

// recordHolder notes in ticaga_sync_locks who took lock full, on the
// lock's own connection (whose CONNECTION_ID() IS_USED_LOCK returns), so
// that a process that finds the lock held can say who holds it. Best
// effort: a store not yet migrated has no such table.
func (s *Store) recordHolder(ctx context.Context, conn *sql.Conn, full string) {
	host, _ := os.Hostname()
	_, err := conn.ExecContext(ctx, "INSERT INTO ticaga_sync_locks (name, connection_id, host, pid, since) VALUES (?, CONNECTION_ID(), ?, ?, ?) "+
		"ON DUPLICATE KEY UPDATE connection_id = VALUES(connection_id), host = VALUES(host), pid = VALUES(pid), since = VALUES(since)",
		full, clip(host, 191), os.Getpid(), s.utc(time.Time{}))
	if err != nil && !isMissingTable(err) {
		s.log.Debug().Err(err).Msg("could not record the lock's holder")
	}
}

// lockHolder says who holds lock full (of source name), as far as the
// store knows: the host, process and time its holder recorded, and the
// source's run in progress; nil when unknown.
func (s *Store) lockHolder(ctx context.Context, full, name string) *ticagasync.LockHolder {
	var h ticagasync.LockHolder
	var since time.Time
	err := s.with(ctx).Raw("SELECT host, pid, since FROM ticaga_sync_locks WHERE name = ? AND connection_id = IS_USED_LOCK(?)", full, full).
		Row().Scan(&h.Host, &h.PID, &since)
	if err != nil {
		return nil
	}
	h.Since = since.UTC()
	var runID sql.NullInt64
	if err := s.with(ctx).Raw("SELECT MAX(id) FROM ticaga_sync_runs WHERE source = ? AND outcome = ? AND started_at >= ?",
		name, string(ticagasync.OutcomeRunning), since.Add(-time.Second)).Row().Scan(&runID); err == nil {
		h.RunID = runID.Int64
	}
	return &h
}

// LockHeld reports whether any connection holds the named lock (IS_USED_LOCK).
func (s *Store) LockHeld(ctx context.Context, name string) (bool, error) {
	db, err := s.database(ctx)
	if err != nil {
		return false, fmt.Errorf("lock %q: %w", name, err)
	}
	var holder sql.NullInt64
	if err := s.with(ctx).Raw("SELECT IS_USED_LOCK(?)", lockName(lockPrefix, db, name)).Row().Scan(&holder); err != nil {
		return false, fmt.Errorf("lock %q: %w", name, err)
	}
	return holder.Valid, nil
}

// acquire takes the lock full on a dedicated connection; see Lock.
func (s *Store) acquire(ctx context.Context, full string, wait time.Duration, lost context.CancelCauseFunc) (func(), error) {
	sqlDB := s.lockDB
	if sqlDB == nil {
		var err error
		if sqlDB, err = s.db.DB(); err != nil {
			return nil, err
		}
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(wait)
	for {
		slice := min(time.Until(deadline), lockSlice).Round(time.Millisecond)
		var got sql.NullInt64
		err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, ?)", full, max(slice, 0).Seconds()).Scan(&got)
		switch {
		case err != nil:
			discard(conn)
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		case !got.Valid:
			discard(conn)
			return nil, fmt.Errorf("GET_LOCK(%q) failed", full)
		case got.Int64 == 1:
			if strings.HasPrefix(full, lockPrefix) {
				s.recordHolder(ctx, conn, full)
			}
			return s.held(conn, full, lost), nil
		}
		if !time.Now().Before(deadline) {
			conn.Close()
			return nil, ticagasync.ErrLocked
		}
		if ctx.Err() != nil {
			conn.Close()
			return nil, ctx.Err()
		}
	}
}

// held keeps conn alive while the lock is held, checks that conn still holds
// it (calling lost when not), and returns its release.
func (s *Store) held(conn *sql.Conn, full string, lost context.CancelCauseFunc) func() {
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(s.keepAlive)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				var mine sql.NullBool
				err := conn.QueryRowContext(ctx, "SELECT IS_USED_LOCK(?) = CONNECTION_ID()", full).Scan(&mine)
				cancel()
				if err != nil || !mine.Valid || !mine.Bool {
					s.log.Error().Err(err).Str("lock", full).Msg("lost the lock (its connection died or was killed): stopping the work it guarded")
					lost(ticagasync.ErrLockLost)
					return
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(stop)
			<-done
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var released sql.NullInt64
			err := conn.QueryRowContext(ctx, "SELECT RELEASE_LOCK(?)", full).Scan(&released)
			if err != nil || released.Int64 != 1 {
				s.log.Warn().Err(err).Str("lock", full).Msg("lock was not held any more when released")
			}
			// Never return the connection to the pool: closing it frees the
			// lock whatever RELEASE_LOCK did.
			discard(conn)
		})
	}
}

// discard closes conn's underlying connection instead of returning it to
// the pool.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	_ = conn.Close()
}

// lockName builds prefix + database + ":" + name, replacing the tail by a
// hash when it would pass MySQL's 64-character limit.
func lockName(prefix, db, name string) string {
	rest := db
	if name != "" {
		rest += ":" + name
	}
	if len(prefix)+len(rest) <= maxLockName {
		return prefix + rest
	}
	sum := sha256.Sum256([]byte(rest))
	hash := hex.EncodeToString(sum[:12])
	keep := maxLockName - len(prefix) - 1 - len(hash)
	cut := 0
	for i := range rest { // cut at a character boundary
		if i > keep {
			break
		}
		cut = i
	}
	return prefix + rest[:cut] + "~" + hash
}
