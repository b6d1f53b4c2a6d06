package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// directoryColumns are the columns of ticaga_sync_directory in insert order.
const directoryColumns = "target, ticaga_id, email, email_key, name, company, billing_id, billing_system, fetched_at"

// DirectoryUsers returns every cached Ticaga user of target, in id order. A
// store that was never migrated has an empty directory (so a dry run works
// before anything was written).
func (s *Store) DirectoryUsers(ctx context.Context, target string) ([]ticagasync.TicagaUser, error) {
	var users []ticagasync.TicagaUser
	err := s.EachDirectoryUser(ctx, target, func(u ticagasync.TicagaUser) error {
		users = append(users, u)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return users, nil
}

// EachDirectoryUser calls fn for every cached Ticaga user of target, in id
// order, as the rows arrive: nothing holds them all. A store that was
// never migrated has an empty directory.
func (s *Store) EachDirectoryUser(ctx context.Context, target string, fn func(ticagasync.TicagaUser) error) error {
	rows, err := s.with(ctx).Raw("SELECT ticaga_id, email, name, company, billing_id, billing_system, fetched_at "+
		"FROM ticaga_sync_directory WHERE target = ? ORDER BY ticaga_id", target).Rows()
	if isMissingTable(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read directory of %s: %w", target, err)
	}
	defer rows.Close()
	for rows.Next() {
		var u ticagasync.TicagaUser
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.Company, &u.BillingID, &u.BillingSystem, &u.FetchedAt); err != nil {
			return fmt.Errorf("read directory of %s: %w", target, err)
		}
		if err := fn(u); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read directory of %s: %w", target, err)
	}
	return nil
}

// SaveDirectoryUsers inserts or replaces the given entries of target in one
// transaction, with multi-row statements of at most 500 rows. A zero
// FetchedAt is stored as now. Text longer than its column (255 characters;
// 64 for BillingID) is cut, and invalid UTF-8 is replaced, so one odd user
// cannot fail the batch.
func (s *Store) SaveDirectoryUsers(ctx context.Context, target string, users []ticagasync.TicagaUser) error {
	if len(users) == 0 {
		return nil
	}
	err := s.with(ctx).Transaction(func(tx *gorm.DB) error { return s.saveUsers(tx, target, users) })
	if err != nil {
		return fmt.Errorf("save %d directory users of %s: %w", len(users), target, err)
	}
	return nil
}

// DeleteDirectoryUsers removes the entries of target with the given ids;
// ids without an entry are ignored.
func (s *Store) DeleteDirectoryUsers(ctx context.Context, target string, ids []int64) error {
	if err := s.deleteIDs(s.with(ctx), "ticaga_sync_directory", target, ids); err != nil {
		return fmt.Errorf("delete directory users of %s: %w", target, err)
	}
	return nil
}

// DirectoryStats summarises the directory of target: how many entries, the
// highest Ticaga id, and the oldest fetched_at (zero when empty).
func (s *Store) DirectoryStats(ctx context.Context, target string) (count int, maxID int64, oldest time.Time, err error) {
	var oldestAt sql.NullTime
	err = s.with(ctx).Raw("SELECT COUNT(*), COALESCE(MAX(ticaga_id), 0), MIN(fetched_at) "+
		"FROM ticaga_sync_directory WHERE target = ?", target).Row().Scan(&count, &maxID, &oldestAt)
	if err != nil {
		return 0, 0, time.Time{}, fmt.Errorf("directory stats of %s: %w", target, err)
	}
	return count, maxID, oldestAt.Time, nil
}

// emailKey is the key an address is matched by (ticagasync.NormalizeEmail),
// or "" when the address is not usable.
func emailKey(email string) string {
	key, ok := ticagasync.NormalizeEmail(email)
	if !ok {
		return ""
	}
	return key
}

// DirectoryProgress returns the unknown ids of target, in id order, and the
// position of its interrupted scan (nil when none). A store that was never
// migrated has neither.
func (s *Store) DirectoryProgress(ctx context.Context, target string) ([]ticagasync.UnknownUser, *ticagasync.ScanPosition, error) {
	rows, err := s.with(ctx).Raw("SELECT ticaga_id, first_at, last_at, runs, COALESCE(last_error, '') "+
		"FROM ticaga_sync_unknown WHERE target = ? ORDER BY ticaga_id", target).Rows()
	if isMissingTable(err) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read unknown users of %s: %w", target, err)
	}
	defer rows.Close()
	var unknown []ticagasync.UnknownUser
	for rows.Next() {
		var u ticagasync.UnknownUser
		if err := rows.Scan(&u.ID, &u.FirstAt, &u.LastAt, &u.Runs, &u.LastError); err != nil {
			return nil, nil, fmt.Errorf("read unknown users of %s: %w", target, err)
		}
		unknown = append(unknown, u)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("read unknown users of %s: %w", target, err)
	}

	var pos ticagasync.ScanPosition
	err = s.with(ctx).Raw("SELECT next_id, full_scan, started_at, saved_at FROM ticaga_sync_scan WHERE target = ?", target).
		Row().Scan(&pos.Next, &pos.Full, &pos.StartedAt, &pos.SavedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return unknown, nil, nil
	case err != nil:
		return nil, nil, fmt.Errorf("read scan position of %s: %w", target, err)
	}
	return unknown, &pos, nil
}

// SaveDirectory applies cp to the directory of target in one transaction:
// entries saved and deleted, unknown ids recorded and cleared, and the scan
// position kept or cleared. Statements are multi-row, at most 500 rows each.
func (s *Store) SaveDirectory(ctx context.Context, target string, cp ticagasync.DirectoryCheckpoint) error {
	err := s.with(ctx).Transaction(func(tx *gorm.DB) error {
		if err := s.saveUsers(tx, target, cp.Save); err != nil {
			return err
		}
		if err := s.deleteIDs(tx, "ticaga_sync_directory", target, cp.Delete); err != nil {
			return err
		}
		err := chunks(cp.Unknown, s.batchSize, func(batch []ticagasync.UnknownUser) error {
			args := make([]any, 0, len(batch)*6)
			for _, u := range batch {
				args = append(args, target, u.ID, s.utc(u.FirstAt), s.utc(u.LastAt), u.Runs, clip(u.LastError, maxDetail))
			}
			return tx.Exec("INSERT INTO ticaga_sync_unknown (target, ticaga_id, first_at, last_at, runs, last_error) VALUES "+
				valuesList(len(batch), 6)+" ON DUPLICATE KEY UPDATE first_at = LEAST(first_at, VALUES(first_at)), "+
				"last_at = VALUES(last_at), runs = VALUES(runs), last_error = VALUES(last_error)", args...).Error
		})
		if err != nil {
			return err
		}
		if err := s.deleteIDs(tx, "ticaga_sync_unknown", target, cp.Answered); err != nil {
			return err
		}
		switch {
		case cp.Scan != nil:
			p := cp.Scan
			return tx.Exec("INSERT INTO ticaga_sync_scan (target, next_id, full_scan, started_at, saved_at) VALUES (?, ?, ?, ?, ?) "+
				"ON DUPLICATE KEY UPDATE next_id = VALUES(next_id), full_scan = VALUES(full_scan), "+
				"started_at = VALUES(started_at), saved_at = VALUES(saved_at)",
				target, p.Next, p.Full, s.utc(p.StartedAt), s.utc(p.SavedAt)).Error
		case cp.ScanDone:
			return tx.Exec("DELETE FROM ticaga_sync_scan WHERE target = ?", target).Error
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("save directory of %s: %w", target, err)
	}
	return nil
}

// saveUsers inserts or replaces users of target within tx.
func (s *Store) saveUsers(tx *gorm.DB, target string, users []ticagasync.TicagaUser) error {
	return chunks(users, s.batchSize, func(batch []ticagasync.TicagaUser) error {
		args := make([]any, 0, len(batch)*9)
		for _, u := range batch {
			email := clip(u.Email, 255)
			args = append(args, target, u.ID, email, clip(emailKey(email), 255), clip(u.Name, 255),
				clip(u.Company, 255), clip(string(u.BillingID), 64), clip(u.BillingSystem, 255),
				s.utc(u.FetchedAt))
		}
		return tx.Exec("INSERT INTO ticaga_sync_directory ("+directoryColumns+") VALUES "+
			valuesList(len(batch), 9)+" ON DUPLICATE KEY UPDATE email = VALUES(email), "+
			"email_key = VALUES(email_key), name = VALUES(name), company = VALUES(company), "+
			"billing_id = VALUES(billing_id), billing_system = VALUES(billing_system), "+
			"fetched_at = VALUES(fetched_at)", args...).Error
	})
}

// deleteIDs deletes the rows of target with the given Ticaga ids from table
// (a ticaga_sync_ table keyed on target and ticaga_id).
func (s *Store) deleteIDs(tx *gorm.DB, table, target string, ids []int64) error {
	return chunks(ids, s.batchSize, func(batch []int64) error {
		return tx.Exec("DELETE FROM "+table+" WHERE target = ? AND ticaga_id IN ?", target, batch).Error
	})
}
