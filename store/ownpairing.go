package store

import (
	"context"
	"fmt"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// ticaga_sync_pairings holds the pairings of billing systems whose
// customer ids are not numbers (TicketSource), which the plugin's
// ticaga_billing (billing_userid INT) cannot hold. Numeric systems never
// use it. It also remembers when each link was recorded on the billing
// side (recorded_at), so a TicketSource note is written once.

const ownPairingColumns = "ticaga_userid, billing_userid, email_address, billing_system, company_id"

// eachOwnPairing walks ticaga_sync_pairings in ticaga_userid order, in
// keyset pages. Before migration 7 there is none.
func (s *Store) eachOwnPairing(ctx context.Context, fn func(ticagasync.Pairing) error) error {
	var after int64
	for first := true; ; first = false {
		q, args := "SELECT "+ownPairingColumns+" FROM ticaga_sync_pairings", []any{}
		if !first {
			q, args = q+" WHERE ticaga_userid > ?", append(args, after)
		}
		page, err := s.queryPairings(ctx, q+" ORDER BY ticaga_userid LIMIT ?", append(args, s.pageSize)...)
		if first && isMissingTable(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read pairings: %w", err)
		}
		for _, p := range page {
			if err := fn(p); err != nil {
				return err
			}
		}
		if len(page) < s.pageSize {
			return nil
		}
		after = page[len(page)-1].TicagaUserID
	}
}

func (s *Store) ownPairingOf(ctx context.Context, ticagaUserID int64) (ticagasync.Pairing, bool, error) {
	page, err := s.queryPairings(ctx, "SELECT "+ownPairingColumns+" FROM ticaga_sync_pairings WHERE ticaga_userid = ?", ticagaUserID)
	if isMissingTable(err) {
		return ticagasync.Pairing{}, false, nil
	}
	if err != nil || len(page) == 0 {
		return ticagasync.Pairing{}, false, err
	}
	return page[0], true, nil
}

func (s *Store) ownPairingByBilling(ctx context.Context, system string, billingID ticagasync.BillingID) (ticagasync.Pairing, bool, error) {
	page, err := s.queryPairings(ctx, "SELECT "+ownPairingColumns+" FROM ticaga_sync_pairings "+
		"WHERE billing_userid = ? AND TRIM(billing_system) = TRIM(?) ORDER BY ticaga_userid LIMIT 1", string(billingID), system)
	if isMissingTable(err) {
		return ticagasync.Pairing{}, false, nil
	}
	if err != nil {
		return ticagasync.Pairing{}, false, fmt.Errorf("look up pairing of %s customer %s: %w", system, billingID, err)
	}
	if len(page) == 0 {
		return ticagasync.Pairing{}, false, nil
	}
	return page[0], true, nil
}

// upsertOwnPairing is UpsertPairing for a string billing id.
func (s *Store) upsertOwnPairing(ctx context.Context, p ticagasync.Pairing) error {
	if p.BillingUserID == "" || len(p.BillingUserID) > ticagasync.MaxBillingIDLen || p.TicagaUserID <= 0 {
		return fmt.Errorf("upsert pairing: invalid pairing (ticaga user %d, billing id %q)", p.TicagaUserID, p.BillingUserID)
	}
	// One Ticaga user is paired in one table only.
	plugin, err := s.queryPairings(ctx, "SELECT "+pairingColumns+" FROM ticaga_billing WHERE ticaga_userid = ?", p.TicagaUserID)
	if err != nil && !isMissingTable(err) {
		return fmt.Errorf("upsert pairing of ticaga user %d: %w", p.TicagaUserID, err)
	}
	if len(plugin) > 0 {
		return fmt.Errorf("ticaga_billing pairs Ticaga user %d with %s client %s: %w",
			p.TicagaUserID, plugin[0].BillingSystem, plugin[0].BillingUserID, ticagasync.ErrPairedElsewhere)
	}
	const same = "billing_userid = VALUES(billing_userid) AND TRIM(billing_system) = TRIM(VALUES(billing_system))"
	err = s.with(ctx).Exec("INSERT INTO ticaga_sync_pairings "+
		"(ticaga_userid, billing_userid, email_address, billing_system, company_id, linked_at) VALUES (?, ?, ?, ?, ?, ?) "+
		"ON DUPLICATE KEY UPDATE email_address = IF("+same+", VALUES(email_address), email_address), "+
		"company_id = IF("+same+", VALUES(company_id), company_id)",
		p.TicagaUserID, string(p.BillingUserID), clip(p.Email, 255), clip(p.BillingSystem, 191), p.CompanyID, s.utc(time.Time{})).Error
	if err != nil {
		return fmt.Errorf("upsert pairing of ticaga user %d: %w", p.TicagaUserID, err)
	}
	got, ok, err := s.ownPairingOf(ctx, p.TicagaUserID)
	if err != nil {
		return fmt.Errorf("upsert pairing of ticaga user %d: %w", p.TicagaUserID, err)
	}
	if ok && (got.BillingUserID != p.BillingUserID || !ticagasync.SameSystem(got.BillingSystem, p.BillingSystem)) {
		return fmt.Errorf("ticaga_sync_pairings pairs Ticaga user %d with %s client %s: %w",
			p.TicagaUserID, got.BillingSystem, got.BillingUserID, ticagasync.ErrPairedElsewhere)
	}
	return nil
}

func (s *Store) deleteOwnPairing(ctx context.Context, p ticagasync.Pairing) (bool, error) {
	res := s.with(ctx).Exec("DELETE FROM ticaga_sync_pairings WHERE ticaga_userid = ? AND billing_userid = ? AND TRIM(billing_system) = TRIM(?)",
		p.TicagaUserID, string(p.BillingUserID), p.BillingSystem)
	if res.Error != nil {
		return false, fmt.Errorf("delete pairing of ticaga user %d: %w", p.TicagaUserID, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// UnrecordedLinks returns the pairings of billing system system (as
// SameSystem compares) in ticaga_sync_pairings whose link was not yet
// recorded on the billing side, in ticaga_userid order.
func (s *Store) UnrecordedLinks(ctx context.Context, system string) ([]ticagasync.Pairing, error) {
	out, err := s.queryPairings(ctx, "SELECT "+ownPairingColumns+" FROM ticaga_sync_pairings "+
		"WHERE recorded_at IS NULL AND TRIM(billing_system) = TRIM(?) ORDER BY ticaga_userid", system)
	if err != nil {
		return nil, fmt.Errorf("read unrecorded links: %w", err)
	}
	return out, nil
}

// MarkLinkRecorded sets recorded_at of p's row while it still pairs the
// same customer.
func (s *Store) MarkLinkRecorded(ctx context.Context, p ticagasync.Pairing, at time.Time) error {
	err := s.with(ctx).Exec("UPDATE ticaga_sync_pairings SET recorded_at = ? WHERE ticaga_userid = ? AND billing_userid = ? AND TRIM(billing_system) = TRIM(?)",
		s.utc(at), p.TicagaUserID, string(p.BillingUserID), p.BillingSystem).Error
	if err != nil {
		return fmt.Errorf("mark the link of ticaga user %d recorded: %w", p.TicagaUserID, err)
	}
	return nil
}

// queryPairings runs q, whose columns are the Ticaga user id, the billing
// id, the email, the billing system and the company, over either pairing
// table: the billing id is scanned as text, which database/sql also does
// for ticaga_billing's INT column.
func (s *Store) queryPairings(ctx context.Context, q string, args ...any) ([]ticagasync.Pairing, error) {
	rows, err := s.with(ctx).Raw(q, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ticagasync.Pairing
	for rows.Next() {
		var p ticagasync.Pairing
		var id string
		if err := rows.Scan(&p.TicagaUserID, &id, &p.Email, &p.BillingSystem, &p.CompanyID); err != nil {
			return nil, err
		}
		p.BillingUserID = ticagasync.BillingID(id)
		out = append(out, p)
	}
	return out, rows.Err()
}
