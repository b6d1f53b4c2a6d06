package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	gosync "sync"
	"time"

	"github.com/rs/zerolog"
)

// DirectoryReport says what a run's directory refresh did.
type DirectoryReport struct {
	// Size is the number of Ticaga users known after the refresh.
	Size int `json:"size"`
	// Fetched counts customers/get answers read during the refresh.
	Fetched int `json:"fetched"`
	// Added, Changed and Removed count entries that are new, changed, or
	// gone (Ticaga said "no such user").
	Added   int `json:"added"`
	Changed int `json:"changed"`
	Removed int `json:"removed"`
	// Scanned is the highest id probed by the scan for new users.
	Scanned int64 `json:"scanned_to"`
}

// liveDirectory is the run's view of the Ticaga directory: the cached
// entries, updated by what this run learned. Safe for concurrent use.
type liveDirectory struct {
	mu      gosync.Mutex
	byID    map[int64]TicagaUser
	fresh   map[int64]bool // read from Ticaga during this run
	dirty   map[int64]bool // to be saved
	removed []int64        // to be deleted
}

func newLiveDirectory(cached []TicagaUser) *liveDirectory {
	d := &liveDirectory{byID: make(map[int64]TicagaUser, len(cached)), fresh: map[int64]bool{}, dirty: map[int64]bool{}}
	for _, u := range cached {
		d.byID[u.ID] = u
	}
	return d
}

// learn records a user read from Ticaga in this run and reports whether the
// entry is new or changed.
func (d *liveDirectory) learn(u TicagaUser) (added, changed bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	old, ok := d.byID[u.ID]
	d.byID[u.ID] = u
	d.fresh[u.ID] = true
	d.dirty[u.ID] = true
	if !ok {
		return true, false
	}
	return false, old.Email != u.Email || old.BillingID != u.BillingID || old.BillingSystem != u.BillingSystem || old.Name != u.Name
}

// forget drops a user Ticaga said does not exist; it reports whether the
// user was known.
func (d *liveDirectory) forget(id int64) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.byID[id]
	delete(d.byID, id)
	delete(d.dirty, id)
	d.fresh[id] = true
	if ok {
		d.removed = append(d.removed, id)
	}
	return ok
}

// get returns the entry for id and whether it was read in this run.
func (d *liveDirectory) get(id int64) (TicagaUser, bool, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, ok := d.byID[id]
	return u, ok, d.fresh[id]
}

func (d *liveDirectory) size() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.byID)
}

func (d *liveDirectory) users() []TicagaUser {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]TicagaUser, 0, len(d.byID))
	for _, u := range d.byID {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// changes returns, and clears, the entries to save and the ids to delete.
func (d *liveDirectory) changes() (save []TicagaUser, del []int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for id := range d.dirty {
		save = append(save, d.byID[id])
	}
	sort.Slice(save, func(i, j int) bool { return save[i].ID < save[j].ID })
	del = d.removed
	d.dirty, d.removed = map[int64]bool{}, nil
	return save, del
}

func (d *liveDirectory) maxID() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	var m int64
	for id := range d.byID {
		m = max(m, id)
	}
	return m
}

// lookupResult is one customers/get answer: a user, "no such user", or
// unknown (err).
type lookupResult struct {
	id      int64
	user    TicagaUser
	missing bool
	err     error
}

// lookupAll reads the given ids with at most e.Concurrency requests in
// flight, recording each answer in dir. Results are in the order of ids.
func (e *Engine) lookupAll(ctx context.Context, api Ticaga, dir *liveDirectory, rep *Report, ids []int64) []lookupResult {
	out := make([]lookupResult, len(ids))
	sem := make(chan struct{}, e.Concurrency)
	var wg gosync.WaitGroup
	var mu gosync.Mutex
	for i, id := range ids {
		if ctx.Err() != nil {
			out[i] = lookupResult{id: id, err: ctx.Err()}
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			out[i] = e.lookup(ctx, api, dir, rep, &mu, id)
		}()
	}
	wg.Wait()
	return out
}

// lookup reads one id and records the answer in dir and rep (under mu).
func (e *Engine) lookup(ctx context.Context, api Ticaga, dir *liveDirectory, rep *Report, mu *gosync.Mutex, id int64) lookupResult {
	u, err := api.LookupUser(ctx, id)
	r := lookupResult{id: id, user: u, err: err}
	mu.Lock()
	defer mu.Unlock()
	switch {
	case err == nil:
		r.user.ID = id
		rep.Directory.Fetched++
		added, changed := dir.learn(r.user)
		rep.Directory.Added += b2i(added)
		rep.Directory.Changed += b2i(changed)
	case errors.Is(err, ErrNotFound):
		r.missing, r.err = true, nil
		rep.Directory.Removed += b2i(dir.forget(id))
	}
	return r
}

// scan probes ids upward from start with e.Concurrency requests always in
// flight (a slow answer holds up one slot, not a batch), never more than
// twice that many ids ahead of the first unanswered one. Answers are
// counted in id order: the scan stops launching once DirectoryGap
// consecutive ids above maxKnown are unknown to Ticaga (holes below the
// highest known id never end it), or at the first unknown answer, which it
// returns.
func (e *Engine) scan(ctx context.Context, api Ticaga, dir *liveDirectory, rep *Report, start, maxKnown int64) []lookupResult {
	var mu gosync.Mutex
	results := make(chan lookupResult)
	next, inOrder := start, start
	pending := map[int64]lookupResult{}
	inflight, misses := 0, 0
	var unknown []lookupResult
	stop := false
	// Launch at most window ids ahead of the first unanswered one, so that
	// one slow answer cannot let the scan run far past where it stops.
	window := int64(2 * e.Concurrency)
	for {
		for !stop && ctx.Err() == nil && inflight < e.Concurrency && next < inOrder+window {
			id := next
			next++
			inflight++
			go func() { results <- e.lookup(ctx, api, dir, rep, &mu, id) }()
		}
		if inflight == 0 {
			break
		}
		r := <-results
		inflight--
		pending[r.id] = r
		for {
			r, ok := pending[inOrder]
			if !ok {
				break
			}
			delete(pending, inOrder)
			switch {
			case r.err != nil:
				unknown, stop = append(unknown, r), true
			case r.missing:
				misses++
			default:
				misses = 0
			}
			if misses >= e.DirectoryGap && inOrder >= maxKnown {
				stop = true
			}
			inOrder++
		}
		mu.Lock()
		rep.Directory.Scanned = inOrder - 1
		fetched := rep.Directory.Fetched
		mu.Unlock()
		e.Observer.Progress(StageDirectory, fetched, 0)
	}
	return unknown
}

// refreshDirectory brings the cached directory up to date: it re-reads the
// oldest entries and the users the pairing table names, then probes ids
// above the highest cached one until DirectoryGap consecutive ids above the
// highest known one (cached or named by the pairing table) are unknown to
// Ticaga. The first run, and a full run, scan from id 1.
//
// Unknown answers (timeouts, 5xx, garbled bodies) about users that are not
// cached abort the run: such a user might hold an email that would turn a
// link into a conflict, so nothing is linked on an incomplete directory.
func (e *Engine) refreshDirectory(ctx context.Context, api Ticaga, opt RunOptions, rep *Report, pairings []Pairing, log zerolog.Logger) (*liveDirectory, error) {
	e.Observer.Progress(StageDirectory, 0, 0)
	cached, err := e.Store.DirectoryUsers(ctx, e.Target)
	if err != nil {
		return nil, fmt.Errorf("read directory cache: %w", err)
	}
	dir := newLiveDirectory(cached)
	// The users ticaga_billing names exist (or did): the scan never stops
	// below the highest of them, however long a run of deleted ids Ticaga
	// has, and those below the scan are read when not cached.
	maxCached := dir.maxID()
	maxKnown := maxCached
	pairings = slices.DeleteFunc(slices.Clone(pairings), func(p Pairing) bool { return !e.owns(p) })
	for _, p := range pairings {
		maxKnown = max(maxKnown, p.TicagaUserID)
	}

	var revisit []int64
	start := maxCached + 1
	if opt.Full || len(cached) == 0 {
		start = 1
	} else {
		revisit = staleIDs(cached, rep.StartedAt.Add(-e.MaxAge), e.Revalidate)
		for _, p := range pairings {
			if _, ok, _ := dir.get(p.TicagaUserID); !ok && p.TicagaUserID > 0 && p.TicagaUserID < start {
				revisit = append(revisit, p.TicagaUserID)
			}
		}
		slices.Sort(revisit)
		revisit = slices.Compact(revisit)
	}

	var unknown []lookupResult
	for _, r := range e.lookupAll(ctx, api, dir, rep, revisit) {
		if r.err != nil {
			if _, ok, _ := dir.get(r.id); !ok {
				unknown = append(unknown, r)
			} else {
				log.Warn().Int64("ticaga_id", r.id).Err(r.err).Msg("directory: could not revalidate user; keeping the cached entry")
			}
		}
	}

	if len(unknown) == 0 {
		unknown = e.scan(ctx, api, dir, rep, start, maxKnown)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("directory refresh: %w", err)
	}

	rep.Directory.Size = dir.size()
	if !opt.DryRun {
		if err := e.saveDirectoryChanges(ctx, dir); err != nil {
			return nil, err
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("directory refresh: Ticaga's answer about %d user(s) is unknown (first: id %d: %w); nothing was linked",
			len(unknown), unknown[0].id, unknown[0].err)
	}
	log.Info().Interface("directory", rep.Directory).Msg("directory refreshed")
	return dir, nil
}

// owns reports whether pairing row p belongs to this source: its billing
// system, and one of its companies.
func (e *Engine) owns(p Pairing) bool {
	return strings.EqualFold(strings.TrimSpace(p.BillingSystem), strings.TrimSpace(e.System)) &&
		(e.Companies == nil || slices.Contains(e.Companies, p.CompanyID))
}

func (e *Engine) saveDirectoryChanges(ctx context.Context, dir *liveDirectory) error {
	save, del := dir.changes()
	if len(save) > 0 {
		if err := e.Store.SaveDirectoryUsers(ctx, e.Target, save); err != nil {
			return fmt.Errorf("save directory: %w", err)
		}
	}
	if len(del) > 0 {
		if err := e.Store.DeleteDirectoryUsers(ctx, e.Target, del); err != nil {
			return fmt.Errorf("save directory: %w", err)
		}
	}
	return nil
}

// staleIDs returns the ids of at most n entries read before cutoff, oldest
// first.
func staleIDs(users []TicagaUser, cutoff time.Time, n int) []int64 {
	var stale []TicagaUser
	for _, u := range users {
		if u.FetchedAt.Before(cutoff) {
			stale = append(stale, u)
		}
	}
	sort.SliceStable(stale, func(i, j int) bool { return stale[i].FetchedAt.Before(stale[j].FetchedAt) })
	ids := make([]int64, 0, min(n, len(stale)))
	for _, u := range stale[:min(n, len(stale))] {
		ids = append(ids, u.ID)
	}
	return ids
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
