package store

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// pairingColumns selects a ticaga_billing row as a Pairing, tolerating NULLs
// in installs whose columns are nullable.
const pairingColumns = "ticaga_userid, COALESCE(billing_userid, 0), COALESCE(email_address, ''), " +
	"COALESCE(billing_system, ''), COALESCE(company_id, 0)"

// EachPairing calls fn for every ticaga_billing row in ascending
// ticaga_userid order, reading keyset pages (never the whole table in one
// query). No query is open while fn runs, so fn may use the store. An error
// from fn stops the walk and is returned as is. Without a ticaga_billing
// table (never migrated, no plugin) there are no pairings.
func (s *Store) EachPairing(ctx context.Context, fn func(ticagasync.Pairing) error) error {
	if err := s.eachPluginPairing(ctx, fn); err != nil {
		return err
	}
	return s.eachOwnPairing(ctx, fn)
}

// eachPluginPairing walks ticaga_billing.
func (s *Store) eachPluginPairing(ctx context.Context, fn func(ticagasync.Pairing) error) error {
	var after int64
	for first := true; ; first = false {
		q, args := "SELECT "+pairingColumns+" FROM ticaga_billing", []any{}
		if !first {
			q, args = q+" WHERE ticaga_userid > ?", append(args, after)
		}
		page, err := s.queryPairings(ctx, q+" ORDER BY ticaga_userid LIMIT ?", append(args, s.pageSize)...)
		if first && isMissingTable(err) {
			return nil // never migrated and no plugin: no pairings yet
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

// UpsertPairing inserts the pairing (INSERT ... ON DUPLICATE KEY UPDATE on
// the primary key ticaga_userid, as the Blesta plugin writes it). Unlike the
// plugin it never changes whom a row pairs: an existing row for
// p.TicagaUserID that pairs the same customer gets p's email_address and
// company_id, and one that pairs another customer or billing system is
// left as it is and the error wraps ticagasync.ErrPairedElsewhere. Ids must
// fit the plugin's INT columns.
//
// A pairing whose billing id is not a number (TicketSource's "cst-...")
// goes to the daemon's own ticaga_sync_pairings instead, with the same
// rules; a Ticaga user is paired in one of the two tables only.
func (s *Store) UpsertPairing(ctx context.Context, p ticagasync.Pairing) error {
	billingID, ok := p.BillingUserID.Int()
	if !ok {
		return s.upsertOwnPairing(ctx, p)
	}
	if own, found, err := s.ownPairingOf(ctx, p.TicagaUserID); err != nil {
		return fmt.Errorf("upsert pairing of ticaga user %d: %w", p.TicagaUserID, err)
	} else if found {
		return fmt.Errorf("ticaga_sync_pairings pairs Ticaga user %d with %s client %s: %w",
			p.TicagaUserID, own.BillingSystem, own.BillingUserID, ticagasync.ErrPairedElsewhere)
	}
	for _, f := range []struct {
		name string
		v    int64
	}{{"ticaga_userid", p.TicagaUserID}, {"billing_userid", billingID}, {"company_id", p.CompanyID}} {
		if f.v < 0 || f.v > math.MaxInt32 {
			return fmt.Errorf("upsert pairing: %s %d does not fit ticaga_billing's INT column", f.name, f.v)
		}
	}
	const same = "billing_userid = VALUES(billing_userid) AND TRIM(billing_system) = TRIM(VALUES(billing_system))"
	err := s.with(ctx).Exec("INSERT INTO ticaga_billing "+
		"(ticaga_userid, billing_userid, email_address, billing_system, company_id) VALUES (?, ?, ?, ?, ?) "+
		"ON DUPLICATE KEY UPDATE email_address = IF("+same+", VALUES(email_address), email_address), "+
		"company_id = IF("+same+", VALUES(company_id), company_id)",
		p.TicagaUserID, billingID, clip(p.Email, 255), clip(p.BillingSystem, 255), p.CompanyID).Error
	if err != nil {
		return fmt.Errorf("upsert pairing of ticaga user %d: %w", p.TicagaUserID, err)
	}
	got, ok, err := s.PairingOf(ctx, p.TicagaUserID)
	if err != nil {
		return fmt.Errorf("upsert pairing of ticaga user %d: %w", p.TicagaUserID, err)
	}
	if ok && (got.BillingUserID != p.BillingUserID || !ticagasync.SameSystem(got.BillingSystem, p.BillingSystem)) {
		return fmt.Errorf("ticaga_billing pairs Ticaga user %d with %s client %s: %w",
			p.TicagaUserID, got.BillingSystem, got.BillingUserID, ticagasync.ErrPairedElsewhere)
	}
	return nil
}

// PairingOf returns the ticaga_billing row of Ticaga user ticagaUserID; ok
// is false when there is none.
func (s *Store) PairingOf(ctx context.Context, ticagaUserID int64) (ticagasync.Pairing, bool, error) {
	page, err := s.queryPairings(ctx, "SELECT "+pairingColumns+" FROM ticaga_billing WHERE ticaga_userid = ?", ticagaUserID)
	if err != nil {
		return ticagasync.Pairing{}, false, err
	}
	if len(page) == 0 {
		return s.ownPairingOf(ctx, ticagaUserID)
	}
	return page[0], true, nil
}

// DeletePairingOf removes the ticaga_billing row of p.TicagaUserID only if it
// still pairs p.BillingUserID of p.BillingSystem, and reports whether it did.
func (s *Store) DeletePairingOf(ctx context.Context, p ticagasync.Pairing) (bool, error) {
	billingID, ok := p.BillingUserID.Int()
	if !ok {
		return s.deleteOwnPairing(ctx, p)
	}
	res := s.with(ctx).Exec("DELETE FROM ticaga_billing WHERE ticaga_userid = ? AND billing_userid = ? AND TRIM(billing_system) = TRIM(?)",
		p.TicagaUserID, billingID, p.BillingSystem)
	if res.Error != nil {
		return false, fmt.Errorf("delete pairing of ticaga user %d: %w", p.TicagaUserID, res.Error)
	}
	return res.RowsAffected > 0, nil
}

// PairingByBilling returns the pairing of billing customer billingID of
// billing system system (as ticagasync.SameSystem compares: trimmed, with
// the column's case-insensitive collation); ok is false when there is none.
// When several rows pair the customer, the lowest ticaga_userid wins. The
// plugin's table has no index on billing_userid: this scans it, which is
// fine for one-off commands but not for a loop.
func (s *Store) PairingByBilling(ctx context.Context, system string, billingID ticagasync.BillingID) (p ticagasync.Pairing, ok bool, err error) {
	n, numeric := billingID.Int()
	if !numeric {
		return s.ownPairingByBilling(ctx, system, billingID)
	}
	page, err := s.queryPairings(ctx, "SELECT "+pairingColumns+" FROM ticaga_billing "+
		"WHERE billing_userid = ? AND TRIM(billing_system) = TRIM(?) ORDER BY ticaga_userid LIMIT 1", n, system)
	if err != nil {
		return p, false, fmt.Errorf("look up pairing of %s customer %s: %w", system, billingID, err)
	}
	if len(page) == 0 {
		return p, false, nil
	}
	return page[0], true, nil
}

// pairingNeeds lists the ticaga_billing columns ticaga-sync uses and whether
// each must be an integer (else a string) column.
var pairingNeeds = []struct {
	name    string
	integer bool
}{{"ticaga_userid", true}, {"billing_userid", true}, {"email_address", false}, {"billing_system", false}, {"company_id", true}}

// checkPairingTable reports whether ticaga_billing exists and, when it does,
// returns an error wrapping ErrIncompatibleTable unless it has every needed
// column with a usable type and a unique key on ticaga_userid alone.
func (s *Store) checkPairingTable(ctx context.Context) (exists bool, err error) {
	rows, err := s.with(ctx).Raw("SELECT column_name, data_type, column_key FROM information_schema.columns " +
		"WHERE table_schema = DATABASE() AND table_name = 'ticaga_billing'").Rows()
	if err != nil {
		return false, fmt.Errorf("inspect ticaga_billing: %w", err)
	}
	types := map[string]string{}
	var primary []string
	for rows.Next() {
		var name, typ string
		var key sql.NullString
		if err := rows.Scan(&name, &typ, &key); err != nil {
			rows.Close()
			return false, fmt.Errorf("inspect ticaga_billing: %w", err)
		}
		types[strings.ToLower(name)] = strings.ToLower(typ)
		if key.String == "PRI" {
			primary = append(primary, strings.ToLower(name))
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("inspect ticaga_billing: %w", err)
	}
	if len(types) == 0 {
		return false, nil
	}
	var missing []string
	for _, c := range pairingNeeds {
		typ, ok := types[c.name]
		switch {
		case !ok:
			missing = append(missing, c.name)
		case c.integer && !slices.Contains([]string{"int", "integer", "bigint", "mediumint"}, typ):
			return true, fmt.Errorf("%w: column %s is %s, not an integer column", ErrIncompatibleTable, c.name, typ)
		case !c.integer && !slices.Contains([]string{"varchar", "char", "text", "mediumtext", "longtext"}, typ):
			return true, fmt.Errorf("%w: column %s is %s, not a string column", ErrIncompatibleTable, c.name, typ)
		}
	}
	if len(missing) > 0 {
		return true, fmt.Errorf("%w: missing column %s (it is the Blesta plugin's table and "+
			"ticaga-sync never alters it: repair it by hand)", ErrIncompatibleTable, strings.Join(missing, ", "))
	}
	if len(primary) == 1 && primary[0] == "ticaga_userid" {
		return true, nil // the plugin's primary key
	}
	unique, err := s.uniqueOnTicagaUserID(ctx)
	if err != nil {
		return true, err
	}
	if !unique {
		return true, fmt.Errorf("%w: column ticaga_userid has no PRIMARY or UNIQUE key of its own, "+
			"so upserts would duplicate rows", ErrIncompatibleTable)
	}
	return true, nil
}

// uniqueOnTicagaUserID reports whether ticaga_billing has a unique index
// whose only column is ticaga_userid.
func (s *Store) uniqueOnTicagaUserID(ctx context.Context) (bool, error) {
	rows, err := s.with(ctx).Raw("SELECT index_name, column_name, non_unique FROM information_schema.statistics " +
		"WHERE table_schema = DATABASE() AND table_name = 'ticaga_billing'").Rows()
	if err != nil {
		return false, fmt.Errorf("inspect ticaga_billing keys: %w", err)
	}
	defer rows.Close()
	type index struct {
		cols   []string
		unique bool
	}
	indexes := map[string]*index{}
	for rows.Next() {
		var name, col string
		var nonUnique sql.NullInt64
		if err := rows.Scan(&name, &col, &nonUnique); err != nil {
			return false, fmt.Errorf("inspect ticaga_billing keys: %w", err)
		}
		if indexes[name] == nil {
			indexes[name] = &index{unique: nonUnique.Int64 == 0}
		}
		indexes[name].cols = append(indexes[name].cols, strings.ToLower(col))
	}
	if err := rows.Err(); err != nil {
		return false, fmt.Errorf("inspect ticaga_billing keys: %w", err)
	}
	for _, ix := range indexes {
		if ix.unique && len(ix.cols) == 1 && ix.cols[0] == "ticaga_userid" {
			return true, nil
		}
	}
	return false, nil
}
