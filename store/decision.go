package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"iter"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// maxDetail keeps Detail within a TEXT column (65,535 bytes) at 4 bytes per
// character.
const maxDetail = 16000

// decisionColumns are the columns of ticaga_sync_decisions in insert order.
const decisionColumns = "source, billing_id, email, action, reason, ticaga_id, detail, since, last_seen, run_id"

// ReplaceDecisions makes the open decisions of source exactly open, in one
// transaction, writing only what changed: a decision that is new, or whose
// email, action, reason, ticaga_id or detail changed, is inserted or
// updated (since is kept when its action and reason are unchanged and set
// to now otherwise; last_seen and run_id then record this run), and every
// other decision of source is deleted. An unchanged decision is not
// written, so a run over unchanged data writes nothing here. When scope is
// not empty only customers whose billing id is in scope are touched:
// decisions in open outside scope are ignored and those of other customers
// are kept. An empty scope, like nil, means every customer (as the engine
// reads an empty client list). Statements are multi-row, at most 500 rows
// each. When open holds a customer twice (the engine never passes one twice),
// the last one counts, its since as if the first had been stored before it.
//
// open is read once, as it is written: what is held is a 128-bit hash of
// each stored decision by billing id, not the decisions.
func (s *Store) ReplaceDecisions(ctx context.Context, source string, runID int64, open iter.Seq[ticagasync.Decision], scope []ticagasync.BillingID, now time.Time) error {
	var inScope map[ticagasync.BillingID]bool
	if len(scope) > 0 {
		inScope = make(map[ticagasync.BillingID]bool, len(scope))
		for _, id := range scope {
			inScope[id] = true
		}
	}
	now = s.utc(now)
	fp := newFingerprinter()

	err := s.with(ctx).Transaction(func(tx *gorm.DB) error {
		existing, err := storedDecisions(tx, source, fp)
		if err != nil {
			return err
		}
		batch := make([]ticagasync.Decision, 0, s.batchSize)
		write := func() error {
			if len(batch) == 0 {
				return nil
			}
			args := make([]any, 0, len(batch)*10)
			for _, d := range batch {
				var ticagaID any
				if d.TicagaID != 0 {
					ticagaID = d.TicagaID
				}
				args = append(args, source, string(d.Contact.BillingID), clip(d.Contact.Email, 255), clip(string(d.Action), 32),
					clip(string(d.Reason), 64), ticagaID, clip(d.Detail, maxDetail), now, now, runID)
			}
			// since comes first: it compares the old action and reason.
			err := tx.Exec("INSERT INTO ticaga_sync_decisions ("+decisionColumns+") VALUES "+
				valuesList(len(batch), 10)+" ON DUPLICATE KEY UPDATE "+
				"since = IF(action = VALUES(action) AND reason = VALUES(reason), since, VALUES(since)), "+
				"email = VALUES(email), action = VALUES(action), reason = VALUES(reason), "+
				"ticaga_id = VALUES(ticaga_id), detail = VALUES(detail), last_seen = VALUES(last_seen), "+
				"run_id = VALUES(run_id)", args...).Error
			batch = batch[:0]
			return err
		}
		// A customer met again (open holds it twice) is written again when
		// it differs from what its row now holds, so that the last counts.
		for d := range open {
			id := d.Contact.BillingID
			if inScope != nil && !inScope[id] {
				continue
			}
			old, ok := existing[id]
			if f := fingerprintOf(fp, d); !ok || old.fp != f {
				batch = append(batch, d)
				old.fp = f
			}
			old.seen = true
			existing[id] = old
			if len(batch) == s.batchSize {
				if err := write(); err != nil {
					return err
				}
			}
		}
		if err := write(); err != nil {
			return err
		}
		// Delete the source's other decisions (within scope).
		var gone []string
		for id, old := range existing {
			if !old.seen && (inScope == nil || inScope[id]) {
				gone = append(gone, string(id))
			}
		}
		return chunks(gone, s.batchSize, func(batch []string) error {
			return tx.Exec("DELETE FROM ticaga_sync_decisions WHERE source = ? AND billing_id IN ?", source, batch).Error
		})
	})
	if err != nil {
		return fmt.Errorf("replace decisions of %s: %w", source, err)
	}
	return nil
}

// storedDecision is what ReplaceDecisions keeps of a stored decision: the
// hash of what makes it different from a new one (as its row holds it
// now), and whether open holds its customer.
type storedDecision struct {
	fp   [2]uint64
	seen bool
}

// fingerprinter hashes what makes a stored decision different from a new
// one (email, action, reason, ticaga_id, detail as stored), 128 bits.
type fingerprinter struct {
	seeds [2]maphash.Seed
	h     maphash.Hash
}

func newFingerprinter() *fingerprinter {
	return &fingerprinter{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
}

func (f *fingerprinter) sum(email, action, reason, detail string, ticagaID int64) [2]uint64 {
	var out [2]uint64
	for i, seed := range f.seeds {
		f.h.SetSeed(seed)
		for _, s := range []string{email, action, reason, detail} {
			var n [8]byte
			binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
			f.h.Write(n[:])
			f.h.WriteString(s)
		}
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(ticagaID))
		f.h.Write(n[:])
		out[i] = f.h.Sum64()
	}
	return out
}

func fingerprintOf(f *fingerprinter, d ticagasync.Decision) [2]uint64 {
	return f.sum(clip(d.Contact.Email, 255), clip(string(d.Action), 32), clip(string(d.Reason), 64), clip(d.Detail, maxDetail), d.TicagaID)
}

// storedDecisions reads the fingerprints of source's decisions by billing id.
func storedDecisions(tx *gorm.DB, source string, fp *fingerprinter) (map[ticagasync.BillingID]storedDecision, error) {
	rows, err := tx.Raw("SELECT billing_id, email, action, reason, COALESCE(ticaga_id, 0), COALESCE(detail, '') FROM ticaga_sync_decisions WHERE source = ?", source).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[ticagasync.BillingID]storedDecision{}
	var id, email, action, reason, detail sql.RawBytes
	var ticagaID int64
	for rows.Next() {
		if err := rows.Scan(&id, &email, &action, &reason, &ticagaID, &detail); err != nil {
			return nil, err
		}
		out[ticagasync.BillingID(id)] = storedDecision{fp: fp.sum(string(email), string(action), string(reason), string(detail), ticagaID)}
	}
	return out, rows.Err()
}

// OpenDecisions returns the open decisions of every source, ordered by
// source and billing id.
func (s *Store) OpenDecisions(ctx context.Context) ([]ticagasync.DecisionRecord, error) {
	out, err := s.queryDecisions(ctx, "ORDER BY source")
	if err != nil {
		return nil, fmt.Errorf("read open decisions: %w", err)
	}
	slices.SortStableFunc(out, func(a, b ticagasync.DecisionRecord) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), ticagasync.CompareBillingIDs(a.BillingID, b.BillingID))
	})
	return out, nil
}

// SourceDecisions returns the open decisions of source, in billing id
// order. A store that was never migrated has none.
func (s *Store) SourceDecisions(ctx context.Context, source string) ([]ticagasync.DecisionRecord, error) {
	out, err := s.queryDecisions(ctx, "WHERE source = ?", source)
	if isMissingTable(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read open decisions of %s: %w", source, err)
	}
	slices.SortFunc(out, func(a, b ticagasync.DecisionRecord) int {
		return ticagasync.CompareBillingIDs(a.BillingID, b.BillingID)
	})
	return out, nil
}

// DecisionFor returns the open decision about billing customer billingID of
// source; ok is false when there is none (the customer is linked, or was not
// seen yet).
func (s *Store) DecisionFor(ctx context.Context, source string, billingID ticagasync.BillingID) (d ticagasync.DecisionRecord, ok bool, err error) {
	out, err := s.queryDecisions(ctx, "WHERE source = ? AND billing_id = ?", source, string(billingID))
	if isMissingTable(err) {
		return d, false, nil // a store never migrated has none
	}
	if err != nil || len(out) == 0 {
		if err != nil {
			err = fmt.Errorf("read decision about %s customer %s: %w", source, billingID, err)
		}
		return d, false, err
	}
	return out[0], true, nil
}

func (s *Store) queryDecisions(ctx context.Context, tail string, args ...any) ([]ticagasync.DecisionRecord, error) {
	rows, err := s.with(ctx).Raw("SELECT "+decisionColumns+" FROM ticaga_sync_decisions "+tail, args...).Rows()
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ticagasync.DecisionRecord
	for rows.Next() {
		var d ticagasync.DecisionRecord
		var billingID string
		var ticagaID sql.NullInt64
		var detail sql.NullString
		if err := rows.Scan(&d.Source, &billingID, &d.Email, &d.Action, &d.Reason, &ticagaID, &detail,
			&d.Since, &d.LastSeen, &d.RunID); err != nil {
			return nil, err
		}
		d.BillingID, d.TicagaID, d.Detail = ticagasync.BillingID(billingID), ticagaID.Int64, detail.String
		out = append(out, d)
	}
	return out, rows.Err()
}
