package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// maxExclusionReason keeps a reason within a TEXT column.
const maxExclusionReason = 4000

// Exclude records x in ticaga_sync_exclusions, replacing an earlier
// exclusion of the same customer (its reason, who and when). A zero x.At
// is stored as now.
func (s *Store) Exclude(ctx context.Context, x ticagasync.Exclusion) error {
	if x.Source == "" || x.BillingID == "" {
		return fmt.Errorf("exclude: a source and a billing id are required (got %q, %q)", x.Source, x.BillingID)
	}
	var reason any
	if x.Reason != "" {
		reason = clip(x.Reason, maxExclusionReason)
	}
	err := s.with(ctx).Exec("INSERT INTO ticaga_sync_exclusions (source, billing_id, reason, excluded_by, excluded_at) "+
		"VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE reason = VALUES(reason), excluded_by = VALUES(excluded_by), "+
		"excluded_at = VALUES(excluded_at)",
		x.Source, string(x.BillingID), reason, clip(x.By, 191), s.utc(x.At)).Error
	if err != nil {
		return fmt.Errorf("exclude client %s of %s: %w", x.BillingID, x.Source, err)
	}
	return nil
}

// Include removes the exclusion of customer billingID of source and reports
// whether there was one.
func (s *Store) Include(ctx context.Context, source string, billingID ticagasync.BillingID) (bool, error) {
	res := s.with(ctx).Exec("DELETE FROM ticaga_sync_exclusions WHERE source = ? AND billing_id = ?", source, string(billingID))
	if res.Error != nil {
		return false, fmt.Errorf("include client %s of %s: %w", billingID, source, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// Exclusions returns the exclusions of source in billing id order. A store
// not yet migrated to the exclusions table has none.
func (s *Store) Exclusions(ctx context.Context, source string) ([]ticagasync.Exclusion, error) {
	return s.exclusions(ctx, "WHERE source = ?", source)
}

// AllExclusions returns the exclusions of every source, by source then
// billing id.
func (s *Store) AllExclusions(ctx context.Context) ([]ticagasync.Exclusion, error) {
	return s.exclusions(ctx, "")
}

func (s *Store) exclusions(ctx context.Context, where string, args ...any) ([]ticagasync.Exclusion, error) {
	rows, err := s.with(ctx).Raw("SELECT source, billing_id, COALESCE(reason, ''), excluded_by, excluded_at FROM ticaga_sync_exclusions "+
		where, args...).Rows()
	if isMissingTable(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read exclusions: %w", err)
	}
	defer rows.Close()
	var out []ticagasync.Exclusion
	for rows.Next() {
		var x ticagasync.Exclusion
		var id string
		var at time.Time
		if err := rows.Scan(&x.Source, &id, &x.Reason, &x.By, &at); err != nil {
			return nil, fmt.Errorf("read exclusions: %w", err)
		}
		x.BillingID, x.At = ticagasync.BillingID(id), at.UTC()
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read exclusions: %w", err)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Source != out[j].Source {
			return out[i].Source < out[j].Source
		}
		return ticagasync.CompareBillingIDs(out[i].BillingID, out[j].BillingID) < 0
	})
	return out, nil
}
