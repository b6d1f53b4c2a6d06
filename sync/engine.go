package sync

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/rs/zerolog"
)

// Engine carries out runs for one source: one billing database (or one
// company of it) linked to one Ticaga instance.
type Engine struct {
	// Name identifies the source in locks, run history and decisions
	// ("blesta", "blesta:company-2").
	Name string
	// Target identifies the Ticaga instance (its base URL); the directory
	// cache is kept per target.
	Target string
	// System is the billing system's name as sent to Ticaga ("Blesta").
	System string
	// Companies are the billing companies the source covers (nil: all).
	// Only this source's pairing rows bound its directory scan: another
	// company's rows may name users of another Ticaga.
	Companies []int64

	Source ContactSource
	Ticaga Ticaga
	Store  Store

	// Concurrency bounds the Ticaga requests in flight (default 4).
	Concurrency int
	// DirectoryGap is the run of consecutive unknown Ticaga ids that ends a
	// directory scan (default 50).
	DirectoryGap int
	// Revalidate is how many cached directory entries older than MaxAge,
	// oldest first, are re-read per run. A full run re-reads all.
	Revalidate int
	// MaxAge is the age past which a cached directory entry is due for
	// revalidation (default 24h). Younger entries cost no API call.
	MaxAge time.Duration
	// ConfirmAge is how old a customers/get answer may be to confirm a
	// link without reading the user again (default 2m): a first scan can
	// take hours, and someone may link the user meanwhile.
	ConfirmAge time.Duration
	// UnreadableAfter is how many consecutive runs a Ticaga id may stay
	// unknown before it is reported unreadable and stops blocking links
	// (TICAGA_UNREADABLE_AFTER; 0: never, every unknown id blocks links
	// until Ticaga answers it).
	UnreadableAfter int
	// Provision creates Ticaga accounts for customers who have none
	// (SYNC_PROVISION); off in the zero value.
	Provision Provisioning
	// TargetWait is how long a run waits for another run linking on the
	// same Ticaga (another source) to finish its links (default 10m).
	TargetWait time.Duration

	// Log is the source's logger. It names the source (the daemon's carries
	// "source"); the engine adds no source field of its own, so that each
	// key appears once in a JSON log line.
	Log zerolog.Logger
	Now func() time.Time
	// Observer, when set, is told about each stage of a run (metrics,
	// progress bars). It must not block.
	Observer Observer

	// ready is set by New.
	ready bool
}

// errNotReady is the error of an engine used without New.
var errNotReady = errors.New("sync: the engine was not made by sync.New")

// New returns the engine e describes, checked and with its defaults
// applied, once: Name, Target, System, Source, Ticaga and Store are
// required. Runs never change it; WithSource and WithObserver derive
// copies.
func New(e Engine) (*Engine, error) {
	var missing []string
	for name, ok := range map[string]bool{"Name": e.Name != "", "Target": e.Target != "", "System": strings.TrimSpace(e.System) != "",
		"Source": e.Source != nil, "Ticaga": e.Ticaga != nil, "Store": e.Store != nil} {
		if !ok {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("sync: engine %q: %s required", e.Name, strings.Join(missing, ", "))
	}
	if e.Provision.Enabled && e.Provision.Max < 1 {
		return nil, fmt.Errorf("sync: engine %q: provisioning needs a Max of 1 or more", e.Name)
	}
	e.defaults()
	e.ready = true
	return &e, nil
}

// WithSource returns a copy of e reading src, which covers companies (sync
// --company).
func (e *Engine) WithSource(src ContactSource, companies []int64) *Engine {
	c := *e
	c.Source, c.Companies = src, companies
	return &c
}

// WithObserver returns a copy of e telling o about its runs (nil: nobody).
func (e *Engine) WithObserver(o Observer) *Engine {
	c := *e
	if o == nil {
		o = NopObserver{}
	}
	c.Observer = o
	return &c
}

// RunOptions are the choices of one run.
type RunOptions struct {
	// DryRun plans only: nothing is written and no write endpoint is called.
	DryRun bool
	// Full rescans the whole Ticaga directory and revalidates every pairing.
	Full bool
	// Clients, when not empty, limits the decisions acted on and reported to
	// these billing ids. Every contact is still read, so that duplicate
	// emails are still seen.
	Clients []BillingID
	// LockWait is how long to wait for a run lock held elsewhere.
	LockWait time.Duration
	// Kind is how the run was started, for the run history (default:
	// KindOneOff, or KindDryRun for a dry run).
	Kind RunKind
}

// kind is the run's RunKind with its default.
func (o RunOptions) kind() RunKind {
	switch {
	case o.DryRun:
		return KindDryRun
	case o.Kind == "":
		return KindOneOff
	}
	return o.Kind
}

// Report is what a run did.
type Report struct {
	RunID      int64
	Source     string
	StartedAt  time.Time
	FinishedAt time.Time
	DryRun     bool
	Kind       RunKind
	Outcome    Outcome
	Counts     Counts
	// APICalls counts the Ticaga API calls the run made, by endpoint.
	APICalls  map[string]int
	Directory DirectoryReport
	// LinkNotes counts the links recorded on the billing side (a
	// LinkRecorder source: TicketSource notes).
	LinkNotes LinkNotesReport
	// Decisions holds one entry per selected customer in a Report built by
	// hand or from a JSON report. A run keeps its decisions compactly
	// instead: All yields them, whichever way they are held.
	Decisions []Decision
	log       *decisionLog
	// Err is why the run failed, when it did.
	Err error
}

// TotalAPICalls sums APICalls.
func (r *Report) TotalAPICalls() int {
	n := 0
	for _, c := range r.APICalls {
		n += c
	}
	return n
}

// Run carries out one run. It returns ErrLocked (wrapped) without doing
// anything when another run holds the lock; any other error is also recorded
// in the report and in the run history. A dry run writes its run record and
// nothing else (and no record, with a warning, when the store cannot take
// one: a dry run needs no migrated store).
func (e *Engine) Run(ctx context.Context, opt RunOptions) (*Report, error) {
	if !e.ready {
		return nil, errNotReady
	}
	held, unlock, err := e.Store.Lock(ctx, e.Name, opt.LockWait)
	if errors.Is(err, ErrLocked) {
		return nil, err // it names the lock and who holds it
	}
	if err != nil {
		return nil, fmt.Errorf("run lock %q: %w", e.Name, err)
	}
	defer unlock()
	// Everything the lock guards runs under held: losing the lock stops it.
	ctx = held
	e.Observer.LockHeld(e.Name, true)
	defer e.Observer.LockHeld(e.Name, false)

	api := newCountingTicaga(e.Ticaga)
	rep := &Report{Source: e.Name, StartedAt: e.Now(), DryRun: opt.DryRun, Kind: opt.kind(), Outcome: OutcomeRunning}
	// e.Log names the source already (see Engine.Log): each key once.
	log := e.Log.With().Bool("dry_run", opt.DryRun).Str("kind", string(rep.Kind)).Logger()
	log.Info().Bool("full", opt.Full).Array("clients", billingIDArray(opt.Clients)).Msg("run started")

	if !opt.DryRun {
		// The lock proves that no process is running this source: a run
		// still recorded as running was left by one that died.
		ghosts, err := e.Store.AbandonRuns(ctx, e.Name, rep.StartedAt)
		if err != nil {
			return nil, fmt.Errorf("close abandoned runs: %w", err)
		}
		for _, id := range ghosts {
			log.Warn().Int64("abandoned_run_id", id).Msg("closed a run left running by a process that ended without finishing it")
		}
	}
	id, err := e.Store.StartRun(ctx, RunRecord{Source: e.Name, StartedAt: rep.StartedAt, Outcome: OutcomeRunning, DryRun: opt.DryRun, Kind: rep.Kind})
	switch {
	case err != nil && !opt.DryRun:
		return nil, fmt.Errorf("record run start: %w", err)
	case err != nil:
		log.Warn().Err(err).Msg("dry run not recorded in the run history (run ticaga-sync migrate)")
	default:
		rep.RunID = id
		log = log.With().Int64("run_id", id).Logger()
	}

	rep.Err = e.run(ctx, api, opt, rep, log)
	if cause := context.Cause(ctx); rep.Err != nil && errors.Is(cause, ErrLockLost) && !errors.Is(rep.Err, ErrLockLost) {
		rep.Err = fmt.Errorf("%w: %w", cause, rep.Err)
	}
	rep.FinishedAt = e.Now()
	rep.APICalls = api.snapshot()
	rep.Counts = rep.tally()
	switch {
	case rep.Err != nil:
		rep.Outcome = OutcomeFailed
	case rep.Counts.Failed > 0:
		rep.Outcome = OutcomePartial
	default:
		rep.Outcome = OutcomeCompleted
	}

	if rep.RunID != 0 {
		// Record the end even when ctx was cancelled (SIGTERM): a bounded,
		// uncancelled write so the history never keeps a "running" ghost.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		rec := RunRecord{ID: rep.RunID, Source: e.Name, StartedAt: rep.StartedAt, FinishedAt: rep.FinishedAt,
			Outcome: rep.Outcome, DryRun: opt.DryRun, Kind: rep.Kind, Counts: rep.Counts, APICalls: rep.TotalAPICalls()}
		if rep.Err != nil {
			rec.Error = rep.Err.Error()
		}
		if err := e.Store.FinishRun(wctx, rec); err != nil {
			rep.Err = errors.Join(rep.Err, fmt.Errorf("record run end: %w", err))
			rep.Outcome = OutcomeFailed
		}
	}
	e.Observer.RunFinished(rep)
	ev := log.Info()
	if rep.Err != nil {
		ev = log.Error().Err(rep.Err)
	}
	ev.Str("outcome", string(rep.Outcome)).Interface("counts", rep.Counts).Int("api_calls", rep.TotalAPICalls()).
		Str("took", rep.FinishedAt.Sub(rep.StartedAt).Round(time.Millisecond).String()).Msg("run finished")
	return rep, rep.Err
}

func (e *Engine) run(ctx context.Context, api *countingTicaga, opt RunOptions, rep *Report, log zerolog.Logger) error {
	// Preflight: nothing is written before Ticaga has accepted the token and
	// the billing tables have answered.
	if err := api.Ping(ctx); err != nil {
		return fmt.Errorf("preflight: %w", err) // the client's errors start with "ticaga:"
	}
	if err := e.Source.Check(ctx); err != nil {
		return fmt.Errorf("preflight: billing database: %w", err)
	}
	e.Observer.Progress(StagePreflight, 1, 1)

	// The pairing table is the plugin's: one row per linked customer.
	pairs, err := e.readPairings(ctx, false)
	if err != nil {
		return err
	}
	dir, err := e.refreshDirectory(ctx, api, opt, rep, e.ownPaired(pairs), log)
	if err != nil {
		return err
	}
	excluded, err := e.exclusionsBy(ctx)
	if err != nil {
		return err
	}

	sp := newStreamPlanner(&planner{system: e.System, users: dir.index(), pairs: pairs, excluded: excluded})
	n, err := e.planContacts(ctx, sp, e.Observer)
	if err != nil {
		return err
	}
	if sel, ok := e.Source.(Selection); ok && n == 0 {
		if err := emptySelection(ctx, sel); err != nil {
			log.Warn().Err(err).Msg("no billing customer selected")
		}
	}
	decisions := sp.log
	if len(opt.Clients) > 0 {
		decisions = keepClients(decisions, opt.Clients)
	}
	tried, err := e.triedCreating(ctx)
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	e.provisionLog(decisions, rep.Directory.Unreadable, tried)
	rep.log = decisions

	if !opt.DryRun {
		// Execution works on the link and create decisions only, in
		// rep.Decisions, and puts their outcomes back in the log.
		if err := func() error {
			todo := actionable(decisions)
			rep.Decisions = make([]Decision, len(todo))
			defer func() { rep.Decisions = nil }() // the log holds them all
			for k, i := range todo {
				rep.Decisions[k] = decisions.at(i)
			}
			err := e.executeExclusive(ctx, api, dir, rep, log)
			for k, i := range todo {
				decisions.set(i, rep.Decisions[k])
			}
			if err != nil {
				return err
			}
			// A lost lock means another run may own the source now:
			// record nothing more, and say so.
			if cause := context.Cause(ctx); errors.Is(cause, ErrLockLost) {
				return cause
			}
			if err := e.saveDirectory(ctx, api, dir, dir.checkpoint(e.Now(), false)); err != nil {
				return err
			}
			return e.recordLinks(ctx, rep, log)
		}(); err != nil {
			return err
		}
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := e.Store.ReplaceDecisions(wctx, e.Name, rep.RunID, openDecisions(decisions), opt.Clients, e.Now()); err != nil {
			return fmt.Errorf("record decisions: %w", err)
		}
	}
	return nil
}

// planContacts reads the selected contacts and decides each into sp, then
// decides again those that share an email; it returns how many it read.
// Contacts arrive in keyset pages and are decided as they arrive, into a
// compact log: nothing holds the whole table. A duplicate email may come
// last: the planner's finish decides those again. The planner decides in
// its own goroutine, batches of contacts behind the reader, so that
// reading the billing database and deciding overlap.
func (e *Engine) planContacts(ctx context.Context, sp *streamPlanner, obs Observer) (int, error) {
	const batchSize = 500
	batches := make(chan []Contact, 4)
	planned := make(chan struct{})
	go func() {
		defer close(planned)
		for batch := range batches {
			for _, c := range batch {
				sp.add(c)
			}
		}
	}()
	n := 0
	batch := make([]Contact, 0, batchSize)
	err := e.Source.EachContact(ctx, func(c Contact) error {
		batch = append(batch, c)
		if len(batch) == batchSize {
			batches <- batch
			batch = make([]Contact, 0, batchSize)
		}
		if n++; n%500 == 0 {
			obs.Progress(StageContacts, n, 0)
		}
		return nil
	})
	if len(batch) > 0 {
		batches <- batch
	}
	close(batches)
	<-planned
	if err != nil {
		return n, fmt.Errorf("read billing contacts: %w", err)
	}
	obs.Progress(StageContacts, n, n)
	sp.finish()
	return n, nil
}

// readPairings reads the whole pairing table into a compact index, with
// each row's email when emails is set.
func (e *Engine) readPairings(ctx context.Context, emails bool) (*pairIndex, error) {
	x := newPairIndex()
	if emails {
		x.emails = []string{}
	}
	if err := e.Store.EachPairing(ctx, func(p Pairing) error { x.add(p); return nil }); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	x.done()
	return x, nil
}

// ownPaired returns the Ticaga ids of the pairing rows of this source.
func (e *Engine) ownPaired(x *pairIndex) []int64 {
	var ids []int64
	for p := range x.each() {
		if e.owns(p) {
			ids = append(ids, p.TicagaUserID)
		}
	}
	return ids
}

// keepClients returns the decisions of log about clients, in order.
func keepClients(log *decisionLog, clients []BillingID) *decisionLog {
	out := &decisionLog{}
	for d := range log.all() {
		if slices.Contains(clients, d.Contact.BillingID) {
			out.add(d)
		}
	}
	return out
}

// provisionLog applies provisioning to the decisions of log: it looks at
// the plain no_match decisions only.
func (e *Engine) provisionLog(log *decisionLog, unreadable []UnknownUser, tried map[BillingID]bool) {
	if !e.Provision.Enabled {
		return // not even decoding the decisions
	}
	var idx []int
	var ds []Decision
	for i := range log.Len() {
		if d := log.at(i); provisionable(d) {
			idx, ds = append(idx, i), append(ds, d)
		}
	}
	e.Provision.provision(ds, unreadable, tried)
	for k, i := range idx {
		log.set(i, ds[k])
	}
}

// actionable returns the indexes of the link and create decisions of log.
func actionable(log *decisionLog) []int {
	var idx []int
	for i := range log.Len() {
		if a := log.action(i); a == ActionLink || a == ActionCreate {
			idx = append(idx, i)
		}
	}
	return idx
}

// openDecisions yields the decisions worth keeping: customers that are not
// linked and not excluded.
func openDecisions(log *decisionLog) iter.Seq[Decision] {
	return log.selected(func(a Action) bool {
		// Excluded customers are kept in the exclusions, not here.
		return a != ActionLink && a != ActionCreate && a != ActionAlreadyLinked && a != ActionExcluded
	})
}

func (e *Engine) defaults() {
	if e.Concurrency <= 0 {
		e.Concurrency = 4
	}
	if e.DirectoryGap <= 0 {
		e.DirectoryGap = 50
	}
	if e.Revalidate < 0 {
		e.Revalidate = 0
	}
	if e.MaxAge <= 0 {
		e.MaxAge = 24 * time.Hour
	}
	if e.ConfirmAge <= 0 {
		e.ConfirmAge = 2 * time.Minute
	}
	if e.TargetWait <= 0 {
		e.TargetWait = 10 * time.Minute
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	if e.Observer == nil {
		e.Observer = NopObserver{}
	}
}
