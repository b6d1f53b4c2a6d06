package sync

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Directory is the cached index of the users of one Ticaga instance, kept in
// the store because the Ticaga API has no search by email. Target names the
// instance (its base URL) so that several Ticagas can share one store.
type Directory interface {
	// DirectoryUsers returns every cached user of target.
	DirectoryUsers(ctx context.Context, target string) ([]TicagaUser, error)
	// DirectoryProgress returns the ids of target whose answer is unknown,
	// in id order, and the position of an interrupted scan (nil when none).
	DirectoryProgress(ctx context.Context, target string) ([]UnknownUser, *ScanPosition, error)
	// SaveDirectory applies cp to the directory of target in one
	// transaction.
	SaveDirectory(ctx context.Context, target string, cp DirectoryCheckpoint) error
}

// UnknownUser is a Ticaga id whose customers/get answer stayed unknown after
// retries (a timeout, a 5xx, a malformed answer): it may be a user, and may
// hold an email that would turn a link into a conflict. It is remembered
// until Ticaga answers it, and re-read first by every run.
type UnknownUser struct {
	ID int64 `json:"id"`
	// FirstAt and LastAt are when the id was first and last left unknown.
	FirstAt time.Time `json:"first_at"`
	LastAt  time.Time `json:"last_at"`
	// LastError is the last answer's error, e.g. "ticaga: customers/get
	// (id 17): HTTP 500: Server Error (after 7 attempts)".
	LastError string `json:"last_error"`
	// Runs counts the consecutive runs whose directory refresh ended with
	// the id still unknown.
	Runs int `json:"runs"`
}

// Unreadable reports whether u has stayed unknown for at least after runs
// (after 0: never), so that it stops blocking links. It is still re-read by
// every run and reported.
func (u UnknownUser) Unreadable(after int) bool { return after > 0 && u.Runs >= after }

// String describes u in one line for people: "Ticaga user 17, unknown in 3
// run(s) since 2026-12-02 01:00:00 UTC: <last error>".
func (u UnknownUser) String() string {
	return fmt.Sprintf("Ticaga user %d, unknown in %d run(s) since %s: %s", u.ID, u.Runs,
		u.FirstAt.UTC().Format(time.DateTime+" MST"), strings.Map(func(r rune) rune {
			if r < 0x20 || r == 0x7f {
				return ' '
			}
			return r
		}, u.LastError))
}

// ScanPosition is a directory scan that has not reached its end: the next
// run resumes it at Next instead of starting over.
type ScanPosition struct {
	// Next is the first id whose answer was not yet taken, in id order;
	// every id below it was answered or is remembered as unknown.
	Next int64 `json:"next"`
	// Full is set for a full rescan (sync --full), which a later run
	// finishes even when it is not full itself.
	Full bool `json:"full,omitempty"`
	// StartedAt is when the scan began; SavedAt when Next was saved.
	StartedAt time.Time `json:"started_at"`
	SavedAt   time.Time `json:"saved_at"`
}

// DirectoryCheckpoint is what a directory refresh saves as it goes and when
// it ends or is stopped.
type DirectoryCheckpoint struct {
	// Save holds entries to insert or replace; Delete ids Ticaga said do
	// not exist.
	Save   []TicagaUser
	Delete []int64
	// Unknown holds unknown ids to insert or replace (an existing row keeps
	// the earlier FirstAt); Answered the ids no longer remembered as
	// unknown: Ticaga answered them, or they lie beyond the scanned range.
	Unknown  []UnknownUser
	Answered []int64
	// Scan, when set, is the scan's position to keep; ScanDone clears it.
	// With neither, the saved position is left as it is.
	Scan     *ScanPosition
	ScanDone bool
}

// empty reports whether cp changes nothing.
func (cp DirectoryCheckpoint) empty() bool {
	return len(cp.Save) == 0 && len(cp.Delete) == 0 && len(cp.Unknown) == 0 && len(cp.Answered) == 0 &&
		cp.Scan == nil && !cp.ScanDone
}

// index returns the planner's index of the directory: users by email,
// found by id through the directory itself.
func (d *liveDirectory) index() *userIndex {
	return newUserIndex(func(id int64) (TicagaUser, bool) {
		u, ok, _ := d.get(id)
		return u, ok
	}, func(yield func(TicagaUser) bool) {
		d.mu.Lock()
		defer d.mu.Unlock()
		d.byID.each(yield)
	}, d.size())
}

// DirectoryWalker is a Directory that can also pass its cached users one at
// a time, so that a run never holds them as a slice.
type DirectoryWalker interface {
	// EachDirectoryUser calls fn for every cached user of target, in id
	// order; an error from fn stops the walk and is returned as is.
	EachDirectoryUser(ctx context.Context, target string, fn func(TicagaUser) error) error
}

// loadDirectory reads the cached directory of e.Target into a userTable.
func (e *Engine) loadDirectory(ctx context.Context) (*userTable, error) {
	t := newUserTable()
	if w, ok := e.Store.(DirectoryWalker); ok {
		err := w.EachDirectoryUser(ctx, e.Target, func(u TicagaUser) error { t.put(u); return nil })
		return t, err
	}
	users, err := e.Store.DirectoryUsers(ctx, e.Target)
	for _, u := range users {
		t.put(u)
	}
	return t, err
}

// userTable holds directory entries compactly: a record of fixed size per
// user (id, fetch time, where its text is), sorted by id and found by
// binary search, and the text of every user in one chunked arena, instead
// of a map of TicagaUser and five strings each. Ids put out of order wait
// in a small map until they are merged in. A changed entry is appended to
// the arena again; a removed one is marked dead.
type userTable struct {
	recs    []userRec // sorted by id
	more    []userRec // put out of order, merged into recs from time to time
	moreIdx map[int64]int32
	live    int
	arena   arena
	scratch []byte
	systems []string // billing systems, interned
	sysOf   map[string]byte
}

type userRec struct {
	id      int64
	fetched int64 // UnixNano; 0: the zero time
	// packed holds where the text is in the arena (bits 0-54), whether
	// the entry was removed (bit 55) and its billing system's index in
	// systems (bits 56-63; 255: the name is in the arena).
	packed uint64
}

const recDead = 1 << 55

func (r *userRec) off() uint64 { return r.packed & (recDead - 1) }
func (r *userRec) sys() byte   { return byte(r.packed >> 56) }
func (r *userRec) dead() bool  { return r.packed&recDead != 0 }

func newUserTable() *userTable {
	return &userTable{moreIdx: map[int64]int32{}, systems: []string{""}, sysOf: map[string]byte{"": 0}}
}

func (t *userTable) len() int { return t.live }

// find returns the record of id, dead or alive, or nil.
func (t *userTable) find(id int64) *userRec {
	if i, ok := slices.BinarySearchFunc(t.recs, id, func(r userRec, id int64) int { return cmp.Compare(r.id, id) }); ok {
		return &t.recs[i]
	}
	if i, ok := t.moreIdx[id]; ok {
		return &t.more[i]
	}
	return nil
}

// has reports whether id has a live entry.
func (t *userTable) has(id int64) bool {
	r := t.find(id)
	return r != nil && !r.dead()
}

// put adds or replaces u.
func (t *userTable) put(u TicagaUser) {
	sys, ok := t.sysOf[u.BillingSystem]
	sysText := ""
	if !ok {
		if len(t.systems) < 255 {
			sys = byte(len(t.systems))
			t.sysOf[u.BillingSystem] = sys
			t.systems = append(t.systems, u.BillingSystem)
		} else {
			sys, sysText = 255, u.BillingSystem // kept in the arena
		}
	}
	b := t.scratch[:0]
	for _, s := range []string{u.Name, u.Email, u.Company} {
		b = appendString(b, s)
	}
	b = appendString(appendBillingID(b, u.BillingID), sysText)
	t.scratch = b
	rec := userRec{id: u.ID, packed: t.arena.add(b) | uint64(sys)<<56}
	if !u.FetchedAt.IsZero() {
		rec.fetched = u.FetchedAt.UnixNano()
	}
	if r := t.find(u.ID); r != nil {
		if r.dead() {
			t.live++
		}
		*r = rec
		return
	}
	t.live++
	if n := len(t.recs); len(t.more) == 0 && (n == 0 || t.recs[n-1].id < u.ID) {
		t.recs = append(t.recs, rec)
		return
	}
	t.moreIdx[u.ID] = int32(len(t.more))
	t.more = append(t.more, rec)
	if len(t.more) >= 1024 && len(t.more) > len(t.recs)/8 {
		t.merge()
	}
}

// merge moves the records put out of order into recs, dropping the dead.
func (t *userTable) merge() {
	recs := slices.DeleteFunc(append(t.recs, t.more...), func(r userRec) bool { return r.dead() })
	slices.SortFunc(recs, func(a, b userRec) int { return cmp.Compare(a.id, b.id) })
	t.recs, t.more, t.moreIdx = slices.Clip(recs), nil, map[int64]int32{}
}

// get returns the entry of id.
func (t *userTable) get(id int64) (TicagaUser, bool) {
	r := t.find(id)
	if r == nil || r.dead() {
		return TicagaUser{}, false
	}
	return t.user(r), true
}

func (t *userTable) user(r *userRec) TicagaUser {
	rd := logReader{b: t.arena.at(r.off())}
	u := TicagaUser{ID: r.id, Name: rd.str(), Email: rd.str(), Company: rd.str(), BillingID: rd.billingID()}
	if sysText := rd.str(); r.sys() == 255 {
		u.BillingSystem = sysText
	} else {
		u.BillingSystem = t.systems[r.sys()]
	}
	if r.fetched != 0 {
		u.FetchedAt = time.Unix(0, r.fetched).UTC()
	}
	return u
}

// remove drops the entry of id and reports whether there was one.
func (t *userTable) remove(id int64) bool {
	r := t.find(id)
	if r == nil || r.dead() {
		return false
	}
	r.packed |= recDead
	t.live--
	return true
}

// records yields every live record.
func (t *userTable) records(yield func(*userRec) bool) {
	for _, rs := range [][]userRec{t.recs, t.more} {
		for i := range rs {
			if !rs[i].dead() && !yield(&rs[i]) {
				return
			}
		}
	}
}

// each yields every entry, in no particular order.
func (t *userTable) each(yield func(TicagaUser) bool) {
	for r := range t.records {
		if !yield(t.user(r)) {
			return
		}
	}
}

// maxID returns the highest id, 0 when empty.
func (t *userTable) maxID() int64 {
	var m int64
	for r := range t.records {
		m = max(m, r.id)
	}
	return m
}

// staleIDs returns the ids of at most n entries read before cutoff, oldest
// first (in id order among equals).
func (t *userTable) staleIDs(cutoff time.Time, n int) []int64 {
	c := cutoff.UnixNano()
	var stale []userRec
	for r := range t.records {
		if r.fetched < c {
			stale = append(stale, *r)
		}
	}
	slices.SortStableFunc(stale, func(a, b userRec) int { return cmp.Or(cmp.Compare(a.fetched, b.fetched), cmp.Compare(a.id, b.id)) })
	ids := make([]int64, 0, min(n, len(stale)))
	for _, r := range stale[:min(n, len(stale))] {
		ids = append(ids, r.id)
	}
	return ids
}
