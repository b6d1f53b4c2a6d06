package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	gosync "sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Checkpoints of a directory scan: its answers and position are saved at
// least this often, so that a stopped or killed scan resumes near where it
// was instead of starting over.
const (
	checkpointAnswers  = 250
	checkpointInterval = 30 * time.Second
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
	// ResumedAt is the id at which an interrupted scan was resumed (0: the
	// scan was not resumed).
	ResumedAt int64 `json:"resumed_at,omitempty"`
	// Unknown lists the ids whose answer is still unknown and that block
	// links; Unreadable those that stayed unknown for
	// TICAGA_UNREADABLE_AFTER runs and no longer block links.
	Unknown    []UnknownUser `json:"unknown,omitempty"`
	Unreadable []UnknownUser `json:"unreadable,omitempty"`
}

// liveDirectory is the run's view of the Ticaga directory: the cached
// entries, updated by what this run learned. Safe for concurrent use.
type liveDirectory struct {
	mu      gosync.Mutex
	byID    *userTable
	fresh   map[int64]bool   // answered by Ticaga during this run
	dirty   map[int64]bool   // to be saved
	removed []int64          // to be deleted
	unknown map[int64]string // not cached, and no answer in this run: the last error
	// everUnknown holds the ids remembered as unknown by the store or
	// left unknown earlier in this run: an answer about one clears it.
	everUnknown map[int64]bool
	// stored holds the ids the store remembered as unknown at the start;
	// outside holds ids left unknown in this run that turned out to lie
	// beyond the scanned range (they are not remembered).
	stored, outside map[int64]bool
	// needProof is set by a "no such user" answer on HTTP 401/403: it
	// counts only once a Ping made after it succeeds.
	needProof atomic.Bool
	// proofMu makes the proofs taken while linking one at a time.
	proofMu gosync.Mutex
	// prev is what the store remembered of each unknown id at the start;
	// createdMax the highest id of a user this run created.
	prev       map[int64]UnknownUser
	createdMax int64
}

// created notes that this run created Ticaga user id.
func (d *liveDirectory) created(id int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.createdMax = max(d.createdMax, id)
}

// maxCreated returns the highest id of a user this run created, or 0.
func (d *liveDirectory) maxCreated() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.createdMax
}

func newLiveDirectory(cached []TicagaUser) *liveDirectory {
	t := newUserTable()
	for _, u := range cached {
		t.put(u)
	}
	return newLiveDirectoryOf(t)
}

func newLiveDirectoryOf(cached *userTable) *liveDirectory {
	return &liveDirectory{byID: cached, fresh: map[int64]bool{}, dirty: map[int64]bool{},
		unknown: map[int64]string{}, everUnknown: map[int64]bool{}, stored: map[int64]bool{}, outside: map[int64]bool{},
		prev: map[int64]UnknownUser{}}
}

// learn records a user read from Ticaga in this run and reports whether the
// entry is new or changed.
func (d *liveDirectory) learn(u TicagaUser) (added, changed bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	old, ok := d.byID.get(u.ID)
	d.byID.put(u)
	d.fresh[u.ID] = true
	d.dirty[u.ID] = true
	delete(d.unknown, u.ID)
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
	ok := d.byID.remove(id)
	delete(d.dirty, id)
	delete(d.unknown, id)
	d.fresh[id] = true
	if ok {
		d.removed = append(d.removed, id)
	}
	return ok
}

// notFound notes a "no such user" answer err: one that came with HTTP
// 401/403 counts only once the token is proven good (Engine.prove).
func (d *liveDirectory) notFound(err error) {
	if errors.Is(err, ErrAuthUnproven) {
		d.needProof.Store(true)
	}
}

// proveNow makes a "no such user" answer err met while linking count: one
// that came with HTTP 401/403 does only once a Ping made now succeeds. It
// returns nil when the answer counts; otherwise why not, wrapping
// ErrUnauthorized when the token was rejected (the caller stops the run).
func (d *liveDirectory) proveNow(ctx context.Context, api Ticaga, err error) error {
	if !errors.Is(err, ErrAuthUnproven) {
		return nil
	}
	d.proofMu.Lock()
	defer d.proofMu.Unlock()
	return proofError(api.Ping(ctx))
}

// proofError says why a Ping meant to prove the token failed, or nil.
func proofError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrUnauthorized):
		return fmt.Errorf("Ticaga answered \"no such user\" with HTTP 401/403, and then rejected the token (check TICAGA_API_TOKEN), so those answers are not trusted: %w", err)
	default:
		return fmt.Errorf("Ticaga answered \"no such user\" with HTTP 401/403, and the connection call meant to prove the token got no clear answer, so those answers are not trusted (the next run retries): %w", err)
	}
}

// markUnknown records that Ticaga's answer about id is unknown, unless the
// id is cached (its entry is kept) or was answered in this run.
func (d *liveDirectory) markUnknown(id int64, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if cached := d.byID.has(id); cached || d.fresh[id] {
		return
	}
	d.unknown[id] = err.Error()
	d.everUnknown[id] = true
}

// dropUnknown forgets that id was left unknown in this run, because it lies
// beyond the scanned range; an id the store remembered stays remembered.
func (d *liveDirectory) dropUnknown(id int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.stored[id] {
		return
	}
	delete(d.unknown, id)
	d.outside[id] = true
}

// answer returns this run's answer about id, when it has one: a user, "no
// such user", or unknown.
func (d *liveDirectory) answer(id int64) (lookupResult, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fresh[id] {
		u, ok := d.byID.get(id)
		return lookupResult{id: id, user: u, missing: !ok}, true
	}
	if msg, ok := d.unknown[id]; ok {
		return lookupResult{id: id, err: errors.New(msg)}, true
	}
	return lookupResult{}, false
}

// unknownIDs returns the ids left unknown in this run, in order.
func (d *liveDirectory) unknownIDs() []int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	ids := make([]int64, 0, len(d.unknown))
	for id := range d.unknown {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// get returns the entry for id and whether it was read in this run.
func (d *liveDirectory) get(id int64) (TicagaUser, bool, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	u, ok := d.byID.get(id)
	return u, ok, d.fresh[id]
}

func (d *liveDirectory) size() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.byID.len()
}

func (d *liveDirectory) users() []TicagaUser {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]TicagaUser, 0, d.byID.len())
	for u := range d.byID.each {
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
		u, _ := d.byID.get(id)
		save = append(save, u)
	}
	sort.Slice(save, func(i, j int) bool { return save[i].ID < save[j].ID })
	del = d.removed
	d.dirty, d.removed = map[int64]bool{}, nil
	return save, del
}

// checkpoint returns, and clears, what is to be saved: the entry changes,
// every id still unknown in this run (the final checkpoint of the refresh
// counts this run against them, once), and the ids once unknown that Ticaga
// has now answered.
func (d *liveDirectory) checkpoint(now time.Time, final bool) DirectoryCheckpoint {
	prev := d.prev
	save, del := d.changes()
	cp := DirectoryCheckpoint{Save: save, Delete: del}
	d.mu.Lock()
	defer d.mu.Unlock()
	for id, msg := range d.unknown {
		u, ok := prev[id]
		if !ok {
			u = UnknownUser{ID: id, FirstAt: now}
		}
		u.LastAt, u.LastError = now, msg
		if final {
			u.Runs++
		}
		cp.Unknown = append(cp.Unknown, u)
		// Later checkpoints of this run start from what this one saves.
		prev[id] = u
	}
	for id := range d.everUnknown {
		if _, still := d.unknown[id]; !still && (d.fresh[id] || d.outside[id]) {
			cp.Answered = append(cp.Answered, id)
		}
	}
	slices.SortFunc(cp.Unknown, func(a, b UnknownUser) int { return int(a.ID - b.ID) })
	slices.Sort(cp.Answered)
	return cp
}

func (d *liveDirectory) maxID() int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.byID.maxID()
}

// lookupResult is one customers/get answer: a user, "no such user", or
// unknown (err). A lookup cut short by the run's end (cancelled) has no
// answer at all.
type lookupResult struct {
	id        int64
	user      TicagaUser
	missing   bool
	err       error
	cancelled bool
}

// reader reads users for one directory refresh (or one execute step),
// recording every answer in dir and rep. A rejected token stops it: abort
// cancels its context with the cause.
type reader struct {
	e      *Engine
	api    Ticaga
	dir    *liveDirectory
	rep    *Report
	cancel context.CancelCauseFunc
	mu     gosync.Mutex // guards rep.Directory and failed
	failed error
	// reask makes a scan ask Ticaga again about ids this run already has
	// an answer about.
	reask bool
}

// newReader returns a reader and the context its work runs under: ctx,
// also cancelled when the reader aborts.
func newReader(ctx context.Context, e *Engine, api Ticaga, dir *liveDirectory, rep *Report) (*reader, context.Context) {
	ctx, cancel := context.WithCancelCause(ctx)
	return &reader{e: e, api: api, dir: dir, rep: rep, cancel: cancel}, ctx
}

// abort stops the reader's work for err; the first err is kept.
func (r *reader) abort(err error) {
	r.mu.Lock()
	if r.failed == nil {
		r.failed = err
	}
	r.mu.Unlock()
	r.cancel(err)
}

// abortLocked is abort with r.mu held.
func (r *reader) abortLocked(err error) {
	if r.failed == nil {
		r.failed = err
	}
	r.cancel(err)
}

// failure returns why the reader aborted, or nil.
func (r *reader) failure() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}

// close releases the reader's context.
func (r *reader) close() { r.cancel(nil) }

// lookupAll reads the given ids with at most e.Concurrency requests in
// flight. Results are in the order of ids.
func (r *reader) lookupAll(ctx context.Context, ids []int64) []lookupResult {
	out := make([]lookupResult, len(ids))
	eachBounded(ctx, r.e.Concurrency, len(ids),
		func(i int) { out[i] = r.lookup(ctx, ids[i]) },
		func(i int) { out[i] = lookupResult{id: ids[i], cancelled: true} })
	return out
}

// lookup reads one id and records the answer.
func (r *reader) lookup(ctx context.Context, id int64) lookupResult {
	u, err := r.api.LookupUser(ctx, id)
	res := lookupResult{id: id, user: u, err: err}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case err == nil:
		res.user.ID = id
		r.rep.Directory.Fetched++
		added, changed := r.dir.learn(res.user)
		r.rep.Directory.Added += b2i(added)
		r.rep.Directory.Changed += b2i(changed)
	case errors.Is(err, ErrNotFound):
		res.missing, res.err = true, nil
		r.dir.notFound(err)
		r.rep.Directory.Removed += b2i(r.dir.forget(id))
	case ctx.Err() != nil:
		res.cancelled = true
	case errors.Is(err, ErrUnauthorized):
		r.abortLocked(fmt.Errorf("Ticaga rejected the token while reading user %d: %w", id, err))
		res.cancelled = true
	default:
		r.dir.markUnknown(id, err)
	}
	return res
}

// scanEnd is where a scan stopped.
type scanEnd struct {
	// next is the first id not taken in order: where a resumed scan
	// starts. Every id below it was answered or is remembered as unknown.
	next int64
	// done is set when the scan reached its end (the gap).
	done bool
	// broken is set when it stopped because Ticaga stopped answering:
	// DirectoryGap unknown answers in a row.
	broken bool
}

// scan probes ids upward from start with e.Concurrency requests always in
// flight (a slow answer holds up one slot, not a batch), never more than
// twice that many ids ahead of the first unanswered one. Answers are
// counted in id order; an unknown answer is remembered (dir) and passed.
// The scan ends once DirectoryGap consecutive ids above maxKnown are not
// users (holes below the highest known id never end it); it breaks off
// after DirectoryGap unknown answers in a row, or when ctx ends. Ids this
// run already has an answer about are not asked again (unless r.reask).
// advanced is called
// as the in-order position moves, from the scan's goroutine.
func (r *reader) scan(ctx context.Context, start, maxKnown int64, advanced func(next int64, answers int)) scanEnd {
	e := r.e
	results := make(chan lookupResult)
	next, inOrder := start, start
	pending := map[int64]lookupResult{}
	inflight, misses, unknownRun, answers := 0, 0, 0, 0
	lastUser := int64(0)         // the highest id answered as a user
	var streakStart int64        // the first id of the current run of unknown answers
	launchedUnknown := []int64{} // ids this scan asked whose answer is unknown
	var end scanEnd
	stop := false
	// Launch at most window ids ahead of the first unanswered one, so that
	// one slow answer cannot let the scan run far past where it stops.
	window := int64(2 * e.Concurrency)
	for {
		for !stop && ctx.Err() == nil && inflight < e.Concurrency && next < inOrder+window {
			id := next
			next++
			if res, ok := r.dir.answer(id); ok && !r.reask {
				pending[id] = res
				continue
			}
			inflight++
			go func() { results <- r.lookup(ctx, id) }()
		}
		moved := false
		for !stop {
			res, ok := pending[inOrder]
			if !ok {
				break
			}
			if res.cancelled {
				stop = true
				break
			}
			delete(pending, inOrder)
			// An unknown answer neither ends nor extends the run of ids
			// without a user: it might be a user, and a scan must not end
			// on guesses.
			switch {
			case res.err != nil:
				if unknownRun == 0 {
					streakStart = inOrder
				}
				unknownRun++
			case res.missing:
				misses, unknownRun = misses+1, 0
			default:
				misses, unknownRun, lastUser = 0, 0, inOrder
			}
			switch {
			case unknownRun >= e.DirectoryGap:
				stop, end.broken = true, true
			case misses >= e.DirectoryGap && inOrder >= maxKnown:
				stop, end.done = true, true
			}
			inOrder++
			answers++
			moved = true
		}
		if moved {
			r.mu.Lock()
			r.rep.Directory.Scanned = inOrder - 1
			r.mu.Unlock()
			done, total := scanProgress(start, inOrder, maxKnown, lastUser, e.DirectoryGap)
			e.Observer.Progress(StageDirectory, done, total)
			if advanced != nil {
				advanced(inOrder, answers)
			}
		}
		if inflight == 0 {
			if stop || ctx.Err() != nil {
				break
			}
			continue
		}
		res := <-results
		inflight--
		pending[res.id] = res
		if res.err != nil && !res.cancelled {
			launchedUnknown = append(launchedUnknown, res.id)
		}
	}
	// The scanned range ends where the scan ends; a run of unknown answers
	// that broke it off is not part of it (the next run resumes at its
	// start). Unknown answers beyond the range, from ids in flight, are
	// not remembered: the range they would block is not scanned yet.
	end.next = inOrder
	if end.broken {
		end.next = streakStart
	}
	for _, id := range launchedUnknown {
		if id >= end.next {
			r.dir.dropUnknown(id)
		}
	}
	return end
}

// scanProgress is a scan's progress in ids: done of total, total 0 while
// the range is unknown. The range is known when ids above the scan's start
// are known to exist (cached, or named by ticaga_billing): the scan reaches
// at least the highest of them, or the highest user it found, plus the gap.
// It may still grow when users turn up past it.
func scanProgress(start, next, maxKnown, lastUser int64, gap int) (done, total int) {
	done = int(next - start)
	if maxKnown < start {
		return done, 0
	}
	total = int(max(maxKnown, lastUser) + int64(gap) - start + 1)
	return done, max(total, done)
}

// sparseProbes is how many ids an empty directory probes above its scan, at
// the gap times 2, 4, 8, ... above its end (with the default gap of 50, up
// to 3.2 million ids higher).
const sparseProbes = 16

// probeSparse reads the ids at gap·2^k above next-1 (k = 1..sparseProbes)
// and returns the lowest that is a user, or 0. Their unknown answers are
// not remembered: these ids lie beyond the scanned range.
func (r *reader) probeSparse(ctx context.Context, next int64) int64 {
	ids := make([]int64, 0, sparseProbes)
	for k := 1; k <= sparseProbes; k++ {
		ids = append(ids, next-1+int64(r.e.DirectoryGap)<<k)
	}
	var found int64
	for _, res := range r.lookupAll(ctx, ids) {
		switch {
		case res.err != nil && !res.cancelled:
			r.dir.dropUnknown(res.id)
		case res.err == nil && !res.missing && !res.cancelled && found == 0:
			found = res.id
		}
	}
	return found
}

// refreshDirectory brings the cached directory up to date. It first re-reads
// the ids remembered as unknown, then the oldest entries and the users the
// pairing table names, then scans: from id 1 on the first run and a full
// run, from where an interrupted scan stopped, or else from above the
// highest cached id, until DirectoryGap consecutive ids above the highest
// known one (cached or named by the pairing table) are not users. Ids whose
// answer stays unknown are passed, tried once more at the end, and
// remembered; answers and the scan's position are saved every
// checkpointAnswers answers or checkpointInterval, and when the run is
// stopped.
//
// A user whose answer is unknown might hold an email that would turn a link
// into a conflict: while one is pending (not yet unreadable) the refresh
// returns an error and nothing is linked. A rejected token stops it at once
// and nothing more is written. paired holds the Ticaga ids of the source's
// own pairing rows.
func (e *Engine) refreshDirectory(ctx context.Context, api Ticaga, opt RunOptions, rep *Report, paired []int64, log zerolog.Logger) (*liveDirectory, error) {
	e.Observer.Progress(StageDirectory, 0, 0)
	cached, err := e.loadDirectory(ctx)
	if err != nil {
		return nil, fmt.Errorf("read directory cache: %w", err)
	}
	prevUnknown, pos, err := e.Store.DirectoryProgress(ctx, e.Target)
	if err != nil {
		return nil, fmt.Errorf("read directory cache: %w", err)
	}
	dir := newLiveDirectoryOf(cached)
	for _, u := range prevUnknown {
		dir.prev[u.ID] = u
		dir.everUnknown[u.ID], dir.stored[u.ID] = true, true
	}
	// The users ticaga_billing names exist (or did): the scan never stops
	// below the highest of them, however long a run of deleted ids Ticaga
	// has, and those below the scan are read when not cached.
	maxCached := dir.maxID()
	maxKnown := maxCached
	for _, id := range paired {
		maxKnown = max(maxKnown, id)
	}

	now := e.Now()
	first := opt.Full || cached.len() == 0
	from := ScanPosition{Next: maxCached + 1, StartedAt: now}
	switch {
	case pos != nil && (pos.Full || !opt.Full):
		from, rep.Directory.ResumedAt = *pos, pos.Next
		log.Info().Int64("at_id", pos.Next).Bool("full", pos.Full).Time("saved_at", pos.SavedAt).
			Msg("directory: resuming an interrupted scan")
	case first:
		from = ScanPosition{Next: 1, Full: opt.Full, StartedAt: now}
	}

	// Ids remembered as unknown are re-read first, then stale entries and
	// paired users the cache lacks.
	var revisit []int64
	for _, u := range prevUnknown {
		revisit = append(revisit, u.ID)
	}
	if !first {
		more := cached.staleIDs(rep.StartedAt.Add(-e.MaxAge), e.Revalidate)
		for _, id := range paired {
			if _, ok, _ := dir.get(id); !ok && id > 0 && id < from.Next {
				more = append(more, id)
			}
		}
		slices.Sort(more)
		revisit = append(revisit, more...)
	}
	revisit = uniqueInOrder(revisit)

	r, ctx := newReader(ctx, e, api, dir, rep)
	defer r.close()
	for _, res := range r.lookupAll(ctx, revisit) {
		if res.err != nil && !res.cancelled {
			if _, ok, _ := dir.get(res.id); ok {
				log.Warn().Int64("ticaga_id", res.id).Err(res.err).Msg("directory: could not revalidate user; keeping the cached entry")
			}
		}
	}

	// Checkpoints as the scan moves: what was answered so far, and the
	// position to resume from. They are written off the scan's goroutine,
	// one at a time (a checkpoint due while one is written waits for the
	// next answer), so that the scan keeps its requests in flight; the
	// final save waits for the last one.
	saved, savedAt := 0, time.Now()
	writing := make(chan struct{}, 1)
	var writes gosync.WaitGroup
	defer writes.Wait()
	checkpoint := func(next int64, answers int) {
		if opt.DryRun || ctx.Err() != nil || (answers-saved < checkpointAnswers && time.Since(savedAt) < checkpointInterval) {
			return
		}
		select {
		case writing <- struct{}{}:
		default:
			return
		}
		saved, savedAt = answers, time.Now()
		p := from
		p.Next, p.SavedAt = next, e.Now()
		cp := dir.checkpoint(e.Now(), false)
		cp.Scan = &p
		writes.Go(func() {
			defer func() { <-writing }()
			// The write outlives a stop (bounded, as the final save): what
			// it holds is no longer in dir, and the final save follows it.
			wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := e.saveDirectory(wctx, api, dir, cp); err != nil {
				r.abort(err)
			}
		})
	}
	end := scanEnd{next: from.Next}
	if ctx.Err() == nil {
		end = r.scan(ctx, from.Next, maxKnown, checkpoint)
	}
	// A Ticaga whose ids start high, or after a long run of deleted ids,
	// shows no user in the scan's gap: before the directory is taken as
	// empty, ids far above are probed, and a user found there extends the
	// scan up to it and past it.
	if end.done && ctx.Err() == nil && dir.size() == 0 {
		if found := r.probeSparse(ctx, end.next); found > 0 {
			log.Warn().Int64("first_user_id", found).Int64("scanned_to", end.next-1).
				Msg("directory: no user in the scan's gap, but one far above it; scanning up to it (raise TICAGA_DIRECTORY_GAP if ids are sparse)")
			end = r.scan(ctx, end.next, found, checkpoint)
		}
	}
	// Unknown answers get one more try, so that the next run has only the
	// ids that are still unknown to re-read.
	if ctx.Err() == nil && !end.broken {
		r.lookupAll(ctx, dir.unknownIDs())
	}
	writes.Wait()

	if err := r.failure(); err != nil {
		return nil, err // a rejected token or a failed checkpoint: nothing more is written
	}
	stopped := ctx.Err() != nil

	// Save what was learned. A stopped run saves too (SIGTERM, a lost
	// lock), with a bounded write that outlives the cancellation; only a
	// refresh that ran to its end counts this run against unknown ids.
	finalCP := dir.checkpoint(e.Now(), !stopped)
	if end.done {
		finalCP.ScanDone = true
	} else {
		p := from
		p.Next, p.SavedAt = end.next, e.Now()
		finalCP.Scan = &p
	}
	wctx := ctx
	if stopped {
		var cancel context.CancelFunc
		wctx, cancel = context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
	}
	if opt.DryRun {
		if err := e.prove(wctx, api, dir); err != nil {
			return nil, err
		}
	} else if err := e.saveDirectory(wctx, api, dir, finalCP); err != nil {
		return nil, err
	}
	if stopped {
		return nil, fmt.Errorf("directory refresh stopped at Ticaga id %d (%w); what it read is saved and the next run resumes there",
			end.next, context.Cause(ctx))
	}

	rep.Directory.Size = dir.size()
	for _, u := range finalCP.Unknown {
		if u.Unreadable(e.UnreadableAfter) {
			rep.Directory.Unreadable = append(rep.Directory.Unreadable, u)
			log.Warn().Int64("ticaga_id", u.ID).Int("runs", u.Runs).Time("since", u.FirstAt).Str("last_error", u.LastError).
				Msg("directory: Ticaga user is unreadable; linking around it (a customer with its email could be linked to another user or missed)")
		} else {
			rep.Directory.Unknown = append(rep.Directory.Unknown, u)
		}
	}
	if end.broken {
		return nil, fmt.Errorf("directory refresh: Ticaga stopped answering customers/get (%d unknown answers in a row from id %d); what was read is saved and the next run resumes there; nothing was linked",
			e.DirectoryGap, end.next)
	}
	if pending := rep.Directory.Unknown; len(pending) > 0 {
		// The text stays the same from run to run while the same ids are
		// pending, so that a report is not re-sent for each run; their
		// runs and last errors are in the report and in status.
		ids := make([]int64, len(pending))
		for i, u := range pending {
			ids[i] = u.ID
		}
		label := "id "
		if len(ids) > 1 {
			label = "ids "
		}
		return nil, fmt.Errorf("directory refresh: Ticaga's answer about %d user(s) is unknown (%s%s); nothing was linked. %s",
			len(pending), label, idList(ids), e.unreadableHint())
	}
	log.Info().Interface("directory", rep.Directory).Msg("directory refreshed")
	return dir, nil
}

// saveDirectory proves the token when it must (see prove), then saves cp.
func (e *Engine) saveDirectory(ctx context.Context, api Ticaga, dir *liveDirectory, cp DirectoryCheckpoint) error {
	if err := e.prove(ctx, api, dir); err != nil {
		return err
	}
	if cp.empty() {
		return nil
	}
	if err := e.Store.SaveDirectory(ctx, e.Target, cp); err != nil {
		return fmt.Errorf("save directory: %w", err)
	}
	return nil
}

// prove makes the "no such user" answers that came with HTTP 401/403 count:
// they do only once the token is proven good by a Ping made after they
// arrived. A Ping that fails (a revoked token) fails the run before
// anything built on those answers is written or linked. Callers take what
// they save before calling prove, so that the Ping follows every answer it
// covers.
func (e *Engine) prove(ctx context.Context, api Ticaga, dir *liveDirectory) error {
	if !dir.needProof.Swap(false) {
		return nil
	}
	return proofError(api.Ping(ctx))
}

// unreadableHint says when unknown users stop blocking links.
func (e *Engine) unreadableHint() string {
	if e.UnreadableAfter <= 0 {
		return "They are re-read first by every run; TICAGA_UNREADABLE_AFTER=0, so they block links until Ticaga answers them."
	}
	return fmt.Sprintf("They are re-read first by the next run; one still unknown after %d runs (TICAGA_UNREADABLE_AFTER) is reported unreadable and stops blocking links.",
		e.UnreadableAfter)
}

// describeUnknown names at most n unknown users with their runs and last
// error.
func describeUnknown(us []UnknownUser, n int) string {
	var parts []string
	for i, u := range us {
		if i == n {
			parts = append(parts, fmt.Sprintf("and %d more", len(us)-n))
			break
		}
		parts = append(parts, fmt.Sprintf("id %d, unknown for %d run(s): %s", u.ID, u.Runs, u.LastError))
	}
	return strings.Join(parts, "; ")
}

// uniqueInOrder drops repeated ids, keeping the first of each.
func uniqueInOrder(ids []int64) []int64 {
	seen := make(map[int64]bool, len(ids))
	return slices.DeleteFunc(ids, func(id int64) bool {
		if seen[id] {
			return true
		}
		seen[id] = true
		return false
	})
}

// owns reports whether pairing row p belongs to this source: its billing
// system, and one of its companies.
func (e *Engine) owns(p Pairing) bool {
	return SameSystem(p.BillingSystem, e.System) &&
		(e.Companies == nil || slices.Contains(e.Companies, p.CompanyID))
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
