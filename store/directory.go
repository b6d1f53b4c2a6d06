package store

import (
	"context"
	"database/sql"
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
	defer s.exclusive()()
	rows, err := s.with(ctx).Raw("SELECT ticaga_id, email, name, company, billing_id, billing_system, fetched_at "+
		"FROM ticaga_sync_directory WHERE target = ? ORDER BY ticaga_id", target).Rows()
	if isMissingTable(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read directory of %s: %w", target, err)
	}
	defer rows.Close()
	var users []ticagasync.TicagaUser
	for rows.Next() {
		var u ticagasync.TicagaUser
		if err := rows.Scan(&u.ID, &u.Email, &u.Name, &u.Company, &u.BillingID, &u.BillingSystem, &u.FetchedAt); err != nil {
			return nil, fmt.Errorf("read directory of %s: %w", target, err)
		}
		users = append(users, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read directory of %s: %w", target, err)
	}
	return users, nil
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
	defer s.exclusive()()
	err := s.with(ctx).Transaction(func(tx *gorm.DB) error {
		return chunks(users, s.batchSize, func(batch []ticagasync.TicagaUser) error {
			args := make([]any, 0, len(batch)*9)
			for _, u := range batch {
				email := clip(u.Email, 255)
				args = append(args, target, u.ID, email, clip(emailKey(email), 255), clip(u.Name, 255),
					clip(u.Company, 255), clip(u.BillingID, 64), clip(u.BillingSystem, 255),
					s.utc(u.FetchedAt))
			}
			return tx.Exec("INSERT INTO ticaga_sync_directory ("+directoryColumns+") VALUES "+
				valuesList(len(batch), 9)+" ON DUPLICATE KEY UPDATE email = VALUES(email), "+
				"email_key = VALUES(email_key), name = VALUES(name), company = VALUES(company), "+
				"billing_id = VALUES(billing_id), billing_system = VALUES(billing_system), "+
				"fetched_at = VALUES(fetched_at)", args...).Error
		})
	})
	if err != nil {
		return fmt.Errorf("save %d directory users of %s: %w", len(users), target, err)
	}
	return nil
}

// DeleteDirectoryUsers removes the entries of target with the given ids;
// ids without an entry are ignored.
func (s *Store) DeleteDirectoryUsers(ctx context.Context, target string, ids []int64) error {
	defer s.exclusive()()
	err := chunks(ids, s.batchSize, func(batch []int64) error {
		return s.with(ctx).Exec("DELETE FROM ticaga_sync_directory WHERE target = ? AND ticaga_id IN ?",
			target, batch).Error
	})
	if err != nil {
		return fmt.Errorf("delete directory users of %s: %w", target, err)
	}
	return nil
}

// DirectoryStats summarises the directory of target: how many entries, the
// highest Ticaga id, and the oldest fetched_at (zero when empty).
func (s *Store) DirectoryStats(ctx context.Context, target string) (count int, maxID int64, oldest time.Time, err error) {
	defer s.exclusive()()
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
