// Package synctest holds in-memory stand-ins for the engine's adapters, so
// that the engine's rules can be tested without a database: Store keeps
// everything the engine keeps in maps, and Contacts is a billing source
// over a slice. The real store and readers stay tested on MariaDB; these
// only follow their documented contracts.
package synctest

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// Store is an in-memory ticagasync.Store. Its zero value is ready to use;
// it is safe for concurrent use.
type Store struct {
	mu        sync.Mutex
	locks     map[string]chan struct{}
	users     map[string]map[int64]ticagasync.TicagaUser
	unknown   map[string]map[int64]ticagasync.UnknownUser
	scans     map[string]ticagasync.ScanPosition
	pairings  map[int64]ticagasync.Pairing
	runs      []ticagasync.RunRecord
	decisions map[string]map[ticagasync.BillingID]ticagasync.DecisionRecord
	excluded  map[string]map[ticagasync.BillingID]ticagasync.Exclusion
}

var _ ticagasync.Store = (*Store)(nil)

func (s *Store) init() {
	if s.locks == nil {
		s.locks = map[string]chan struct{}{}
		s.users = map[string]map[int64]ticagasync.TicagaUser{}
		s.unknown = map[string]map[int64]ticagasync.UnknownUser{}
		s.scans = map[string]ticagasync.ScanPosition{}
		s.pairings = map[int64]ticagasync.Pairing{}
		s.decisions = map[string]map[ticagasync.BillingID]ticagasync.DecisionRecord{}
		s.excluded = map[string]map[ticagasync.BillingID]ticagasync.Exclusion{}
	}
}

// Lock takes the named lock, waiting up to wait. The lock is never lost.
func (s *Store) Lock(ctx context.Context, name string, wait time.Duration) (context.Context, func(), error) {
	s.mu.Lock()
	s.init()
	ch, ok := s.locks[name]
	if !ok {
		ch = make(chan struct{}, 1)
		s.locks[name] = ch
	}
	s.mu.Unlock()
	select {
	case ch <- struct{}{}:
	default:
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case ch <- struct{}{}:
		case <-t.C:
			return nil, nil, &ticagasync.LockedError{Name: name}
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
	}
	var once sync.Once
	return ctx, func() { once.Do(func() { <-ch }) }, nil
}

// DirectoryUsers returns the cached users of target in id order.
func (s *Store) DirectoryUsers(_ context.Context, target string) ([]ticagasync.TicagaUser, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	out := byID(s.users[target])
	return out, nil
}

// DirectoryProgress returns the unknown ids of target and its scan
// position.
func (s *Store) DirectoryProgress(_ context.Context, target string) ([]ticagasync.UnknownUser, *ticagasync.ScanPosition, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	out := byID(s.unknown[target])
	if p, ok := s.scans[target]; ok {
		return out, &p, nil
	}
	return out, nil, nil
}

// SaveDirectory applies cp at once.
func (s *Store) SaveDirectory(_ context.Context, target string, cp ticagasync.DirectoryCheckpoint) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if s.users[target] == nil {
		s.users[target] = map[int64]ticagasync.TicagaUser{}
		s.unknown[target] = map[int64]ticagasync.UnknownUser{}
	}
	for _, u := range cp.Save {
		s.users[target][u.ID] = u
	}
	for _, id := range cp.Delete {
		delete(s.users[target], id)
	}
	for _, u := range cp.Unknown {
		if old, ok := s.unknown[target][u.ID]; ok && old.FirstAt.Before(u.FirstAt) {
			u.FirstAt = old.FirstAt
		}
		s.unknown[target][u.ID] = u
	}
	for _, id := range cp.Answered {
		delete(s.unknown[target], id)
	}
	switch {
	case cp.Scan != nil:
		s.scans[target] = *cp.Scan
	case cp.ScanDone:
		delete(s.scans, target)
	}
	return nil
}

// EachPairing calls fn for every pairing, in Ticaga id order.
func (s *Store) EachPairing(_ context.Context, fn func(ticagasync.Pairing) error) error {
	s.mu.Lock()
	s.init()
	ps := byID(s.pairings)
	s.mu.Unlock()
	for _, p := range ps {
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// PairingOf returns the pairing of a Ticaga user.
func (s *Store) PairingOf(_ context.Context, ticagaUserID int64) (ticagasync.Pairing, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	p, ok := s.pairings[ticagaUserID]
	return p, ok, nil
}

// PairingByBilling returns a pairing of a billing customer.
func (s *Store) PairingByBilling(_ context.Context, system string, billingID ticagasync.BillingID) (ticagasync.Pairing, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	for _, id := range slices.Sorted(maps.Keys(s.pairings)) {
		if p := s.pairings[id]; p.BillingUserID == billingID && ticagasync.SameSystem(p.BillingSystem, system) {
			return p, true, nil
		}
	}
	return ticagasync.Pairing{}, false, nil
}

// UpsertPairing inserts p, or refreshes the email and company of the row
// that already pairs the same customer; any other row is
// ErrPairedElsewhere.
func (s *Store) UpsertPairing(_ context.Context, p ticagasync.Pairing) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if old, ok := s.pairings[p.TicagaUserID]; ok && (old.BillingUserID != p.BillingUserID || !ticagasync.SameSystem(old.BillingSystem, p.BillingSystem)) {
		return fmt.Errorf("ticaga_billing pairs Ticaga user %d with %s client %s: %w",
			p.TicagaUserID, old.BillingSystem, old.BillingUserID, ticagasync.ErrPairedElsewhere)
	}
	s.pairings[p.TicagaUserID] = p
	return nil
}

// DeletePairingOf deletes the row of p.TicagaUserID while it still pairs
// p's customer.
func (s *Store) DeletePairingOf(_ context.Context, p ticagasync.Pairing) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	old, ok := s.pairings[p.TicagaUserID]
	if !ok || old.BillingUserID != p.BillingUserID || !ticagasync.SameSystem(old.BillingSystem, p.BillingSystem) {
		return false, nil
	}
	delete(s.pairings, p.TicagaUserID)
	return true, nil
}

// StartRun records a running run and returns its id (1, 2, ...).
func (s *Store) StartRun(_ context.Context, r ticagasync.RunRecord) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r.ID, r.Outcome, r.FinishedAt = int64(len(s.runs)+1), ticagasync.OutcomeRunning, time.Time{}
	s.runs = append(s.runs, r)
	return r.ID, nil
}

// FinishRun records the end of run r.ID.
func (s *Store) FinishRun(_ context.Context, r ticagasync.RunRecord) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.ID < 1 || int(r.ID) > len(s.runs) {
		return fmt.Errorf("finish run %d: no such run", r.ID)
	}
	if r.Outcome == "" || r.Outcome == ticagasync.OutcomeRunning {
		return fmt.Errorf("finish run %d: outcome %q is not a final outcome", r.ID, r.Outcome)
	}
	s.runs[r.ID-1] = r
	return nil
}

// AbandonRuns closes the running runs of source as abandoned.
func (s *Store) AbandonRuns(_ context.Context, source string, now time.Time) ([]int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	for i, r := range s.runs {
		if r.Source == source && r.Outcome == ticagasync.OutcomeRunning {
			s.runs[i].Outcome, s.runs[i].FinishedAt = ticagasync.OutcomeAbandoned, now
			ids = append(ids, r.ID)
		}
	}
	return ids, nil
}

// Exclude records x, replacing an exclusion of the same customer; a zero
// x.At is stored as now.
func (s *Store) Exclude(_ context.Context, x ticagasync.Exclusion) error {
	if x.Source == "" || x.BillingID == "" {
		return fmt.Errorf("exclude: a source and a billing id are required (got %q, %q)", x.Source, x.BillingID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if x.At.IsZero() {
		x.At = time.Now()
	}
	x.At = x.At.UTC().Truncate(time.Millisecond)
	if s.excluded[x.Source] == nil {
		s.excluded[x.Source] = map[ticagasync.BillingID]ticagasync.Exclusion{}
	}
	s.excluded[x.Source][x.BillingID] = x
	return nil
}

// Include removes an exclusion and reports whether there was one.
func (s *Store) Include(_ context.Context, source string, billingID ticagasync.BillingID) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	_, ok := s.excluded[source][billingID]
	delete(s.excluded[source], billingID)
	return ok, nil
}

// Exclusions returns the exclusions of source in billing id order.
func (s *Store) Exclusions(_ context.Context, source string) ([]ticagasync.Exclusion, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	return byBilling(s.excluded[source]), nil
}

// Runs returns the run history, oldest first.
func (s *Store) Runs() []ticagasync.RunRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.runs)
}

// ReplaceDecisions makes the open decisions of source exactly open (within
// scope, when not empty), keeping Since for an unchanged action and reason.
func (s *Store) ReplaceDecisions(_ context.Context, source string, runID int64, open iter.Seq[ticagasync.Decision], scope []ticagasync.BillingID, now time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	old := s.decisions[source]
	next := map[ticagasync.BillingID]ticagasync.DecisionRecord{}
	for id, d := range old {
		if len(scope) > 0 && !slices.Contains(scope, id) {
			next[id] = d
		}
	}
	for d := range open {
		id := d.Contact.BillingID
		if len(scope) > 0 && !slices.Contains(scope, id) {
			continue
		}
		rec := ticagasync.DecisionRecord{Source: source, BillingID: id, Email: d.Contact.Email, Action: d.Action, Reason: d.Reason,
			TicagaID: d.TicagaID, Detail: d.Detail, Since: now, LastSeen: now, RunID: runID}
		if o, ok := old[id]; ok && o.Action == d.Action && o.Reason == d.Reason {
			rec.Since = o.Since
			if o.Email == rec.Email && o.TicagaID == rec.TicagaID && o.Detail == rec.Detail {
				rec = o
			}
		}
		next[id] = rec
	}
	s.decisions[source] = next
	return nil
}

// SourceDecisions returns the open decisions of source in billing id order.
func (s *Store) SourceDecisions(_ context.Context, source string) ([]ticagasync.DecisionRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	return byBilling(s.decisions[source]), nil
}

// DecisionFor returns the open decision of a customer.
func (s *Store) DecisionFor(_ context.Context, source string, billingID ticagasync.BillingID) (ticagasync.DecisionRecord, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	d, ok := s.decisions[source][billingID]
	return d, ok, nil
}

// Decisions returns the open decisions of source by billing id.
func (s *Store) Decisions(source string) map[ticagasync.BillingID]ticagasync.DecisionRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	return maps.Clone(s.decisions[source])
}

// Pairings returns the pairings as Ticaga id -> billing id.
func (s *Store) Pairings() map[int64]ticagasync.BillingID {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	out := map[int64]ticagasync.BillingID{}
	for id, p := range s.pairings {
		out[id] = p.BillingUserID
	}
	return out
}

// Contacts is a billing source over a slice, in BillingID order.
type Contacts struct {
	Kind string
	List []ticagasync.Contact
}

var _ ticagasync.ContactSource = (*Contacts)(nil)

// System returns c.Kind, "blesta" when empty.
func (c *Contacts) System() string {
	if c.Kind == "" {
		return "blesta"
	}
	return c.Kind
}

// EachContact calls fn for each contact in BillingID order.
func (c *Contacts) EachContact(_ context.Context, fn func(ticagasync.Contact) error) error {
	list := slices.SortedFunc(slices.Values(c.List), func(a, b ticagasync.Contact) int { return ticagasync.CompareBillingIDs(a.BillingID, b.BillingID) })
	for _, x := range list {
		if err := fn(x); err != nil {
			return err
		}
	}
	return nil
}

// Check always succeeds.
func (c *Contacts) Check(context.Context) error { return nil }

// Email returns a contact with the given id and email, active, company 1.
func Email(id int64, email string) ticagasync.Contact {
	name, _, _ := strings.Cut(email, "@")
	return ticagasync.Contact{BillingID: ticagasync.BillingIDOf(id), CompanyID: 1, Email: email, FirstName: name, LastName: "Test", Status: "active"}
}

// byID returns the values of m in key order (nil for an empty map).
func byID[V any](m map[int64]V) []V {
	var out []V
	for _, id := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[id])
	}
	return out
}

// byBilling returns m's values in billing id order.
func byBilling[V any](m map[ticagasync.BillingID]V) []V {
	var out []V
	for _, id := range slices.SortedFunc(maps.Keys(m), ticagasync.CompareBillingIDs) {
		out = append(out, m[id])
	}
	return out
}
