package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// NotifyState returns what the reports of source last told people (the
// notifier's own JSON), so a restarted daemon does not tell it again; ok is
// false when nothing was kept.
func (s *Store) NotifyState(ctx context.Context, source string) (state []byte, ok bool, err error) {
	err = s.with(ctx).Raw("SELECT state FROM ticaga_sync_notify WHERE source = ?", source).Row().Scan(&state)
	switch {
	case errors.Is(err, sql.ErrNoRows), isMissingTable(err):
		return nil, false, nil
	case err != nil:
		return nil, false, fmt.Errorf("read report state of %s: %w", source, err)
	}
	return state, true, nil
}

// SaveNotifyState keeps the notifier's state of source.
func (s *Store) SaveNotifyState(ctx context.Context, source string, state []byte) error {
	err := s.with(ctx).Exec("INSERT INTO ticaga_sync_notify (source, state, updated_at) VALUES (?, ?, ?) "+
		"ON DUPLICATE KEY UPDATE state = VALUES(state), updated_at = VALUES(updated_at)", source, string(state), s.utc(s.now())).Error
	if err != nil {
		return fmt.Errorf("save report state of %s: %w", source, err)
	}
	return nil
}
