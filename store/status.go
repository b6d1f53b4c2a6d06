package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// The StatusReader of a status view: read-only queries, each bounded by its
// limit (lists) or aggregated by the database (totals). A store that was
// never migrated reads as empty.
var _ ticagasync.StatusReader = (*Store)(nil)

// SourceRuns returns the last n runs of source, newest first.
func (s *Store) SourceRuns(ctx context.Context, source string, n int) ([]ticagasync.RunRecord, error) {
	if n <= 0 {
		return nil, nil
	}
	var rows []runRow
	err := s.with(ctx).Where("source = ?", source).Order("started_at DESC, id DESC").Limit(n).Find(&rows).Error
	if isMissingTable(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read recent runs of %s: %w", source, err)
	}
	out := make([]ticagasync.RunRecord, len(rows))
	for i, r := range rows {
		out[i] = r.record()
	}
	return out, nil
}

// DirectoryFreshness summarises the cached directory of target (size,
// highest id, oldest and newest read) and its interrupted scan.
func (s *Store) DirectoryFreshness(ctx context.Context, target string) (ticagasync.DirectoryFreshness, error) {
	var f ticagasync.DirectoryFreshness
	var oldest, newest sql.NullTime
	err := s.with(ctx).Raw("SELECT COUNT(*), COALESCE(MAX(ticaga_id), 0), MIN(fetched_at), MAX(fetched_at) "+
		"FROM ticaga_sync_directory WHERE target = ?", target).Row().Scan(&f.Users, &f.MaxID, &oldest, &newest)
	if isMissingTable(err) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("directory freshness of %s: %w", target, err)
	}
	f.Oldest, f.Newest = oldest.Time, newest.Time

	var pos ticagasync.ScanPosition
	err = s.with(ctx).Raw("SELECT next_id, full_scan, started_at, saved_at FROM ticaga_sync_scan WHERE target = ?", target).
		Row().Scan(&pos.Next, &pos.Full, &pos.StartedAt, &pos.SavedAt)
	switch {
	case errors.Is(err, sql.ErrNoRows), isMissingTable(err):
	case err != nil:
		return f, fmt.Errorf("read scan position of %s: %w", target, err)
	default:
		f.Scan = &pos
	}
	return f, nil
}

// UnknownUsers returns the first n ids of target, in id order, whose answer
// stayed unknown for at least minRuns runs, and how many there are.
func (s *Store) UnknownUsers(ctx context.Context, target string, minRuns, n int) ([]ticagasync.UnknownUser, int, error) {
	var total int
	err := s.with(ctx).Raw("SELECT COUNT(*) FROM ticaga_sync_unknown WHERE target = ? AND runs >= ?", target, minRuns).
		Row().Scan(&total)
	if isMissingTable(err) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("count unknown users of %s: %w", target, err)
	}
	if total == 0 || n <= 0 {
		return nil, total, nil
	}
	rows, err := s.with(ctx).Raw("SELECT ticaga_id, first_at, last_at, runs, COALESCE(last_error, '') "+
		"FROM ticaga_sync_unknown WHERE target = ? AND runs >= ? ORDER BY ticaga_id LIMIT ?", target, minRuns, n).Rows()
	if err != nil {
		return nil, 0, fmt.Errorf("read unknown users of %s: %w", target, err)
	}
	defer rows.Close()
	var out []ticagasync.UnknownUser
	for rows.Next() {
		var u ticagasync.UnknownUser
		if err := rows.Scan(&u.ID, &u.FirstAt, &u.LastAt, &u.Runs, &u.LastError); err != nil {
			return nil, 0, fmt.Errorf("read unknown users of %s: %w", target, err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("read unknown users of %s: %w", target, err)
	}
	return out, total, nil
}

// DecisionGroups returns the open decisions of source grouped by action and
// reason (most urgent action first, then by reason), each with its total
// and its first per customers in billing id order.
func (s *Store) DecisionGroups(ctx context.Context, source string, per int) ([]ticagasync.DecisionGroup, error) {
	rows, err := s.with(ctx).Raw("SELECT action, reason, COUNT(*) FROM ticaga_sync_decisions WHERE source = ? "+
		"GROUP BY action, reason", source).Rows()
	if isMissingTable(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("count open decisions of %s: %w", source, err)
	}
	var groups []ticagasync.DecisionGroup
	for rows.Next() {
		var g ticagasync.DecisionGroup
		if err := rows.Scan(&g.Action, &g.Reason, &g.Total); err != nil {
			rows.Close()
			return nil, fmt.Errorf("count open decisions of %s: %w", source, err)
		}
		groups = append(groups, g)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("count open decisions of %s: %w", source, err)
	}
	slices.SortFunc(groups, func(a, b ticagasync.DecisionGroup) int {
		if d := a.Action.Urgency() - b.Action.Urgency(); d != 0 {
			return d
		}
		if c := strings.Compare(string(a.Action), string(b.Action)); c != 0 {
			return c
		}
		return strings.Compare(string(a.Reason), string(b.Reason))
	})
	if per <= 0 {
		return groups, nil
	}
	for i := range groups {
		g := &groups[i]
		g.Decisions, err = s.queryDecisions(ctx, "WHERE source = ? AND action = ? AND reason = ? ORDER BY "+billingIDOrder+" LIMIT ?",
			source, string(g.Action), string(g.Reason), per)
		if err != nil {
			return nil, fmt.Errorf("read open decisions of %s (%s %s): %w", source, g.Action, g.Reason, err)
		}
	}
	return groups, nil
}

// billingIDOrder orders billing_id (text since migration 7) as
// ticagasync.CompareBillingIDs does: numbers first, in numeric order, then
// the other ids.
const billingIDOrder = "billing_id REGEXP '^[0-9]+$' DESC, LENGTH(billing_id), billing_id"
