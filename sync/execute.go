package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	gosync "sync"
	"sync/atomic"

	"github.com/rs/zerolog"
)

// executeExclusive carries out the links holding a second lock, on the
// Ticaga instance: sources that share a Ticaga (a WHMCS and a Blesta brand)
// never assign its users at the same time, so one cannot replace the
// billing id the other just set. When the lock stays held past TargetWait,
// the links fail for this run and are retried by the next.
func (e *Engine) executeExclusive(ctx context.Context, api Ticaga, dir *liveDirectory, rep *Report, log zerolog.Logger) error {
	if !slices.ContainsFunc(rep.Decisions, func(d Decision) bool { return d.Action == ActionLink || d.Action == ActionCreate }) {
		return nil
	}
	held, unlock, err := e.Store.Lock(ctx, "ticaga:"+e.Target, e.TargetWait)
	if errors.Is(err, ErrLocked) {
		for i, d := range rep.Decisions {
			if d.Action == ActionLink || d.Action == ActionCreate {
				rep.Decisions[i] = d.with(ActionFailed, ReasonTicagaBusy, d.TicagaID,
					"another source was linking users of this Ticaga for longer than the wait; retried next run")
			}
		}
		log.Warn().Err(err).Msg("links skipped: another source is linking on this Ticaga")
		return nil
	}
	if err != nil {
		return fmt.Errorf("lock the Ticaga target: %w", err)
	}
	defer unlock()
	return e.execute(held, api, dir, rep, log)
}

// execute carries out the link and create decisions of rep with at most e.Concurrency
// in flight, replacing each by its outcome. One failed link never stops the
// others; a cancelled ctx stops starting new ones. A rejected token stops
// every link not yet under way and is returned: the run then writes nothing
// more.
func (e *Engine) execute(ctx context.Context, api Ticaga, dir *liveDirectory, rep *Report, log zerolog.Logger) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var rejected atomic.Pointer[error]
	var taken atomic.Bool
	before := dir.maxID()
	var todo []int
	for i, d := range rep.Decisions {
		if d.Action == ActionLink || d.Action == ActionCreate {
			todo = append(todo, i)
		}
	}
	total := len(todo)
	e.Observer.Progress(StageExecute, 0, total)
	var done atomic.Int64
	// Each link reads ticaga_billing, makes its Ticaga calls holding one
	// of e.Concurrency slots, then upserts its pairing row: twice that
	// many links run at once, so that e.Concurrency requests stay in
	// flight while other links read and write the store (measured at 20ms
	// an answer: the links took 1.2x calls x latency / concurrency when
	// each held its slot through its store calls). A link holds its slot
	// until a rejected token has cancelled the run, so that no request
	// starts after one (see link).
	// Slots are taken in the decisions' order, as when each link took
	// its turn (at concurrency 1 links and creations run in order).
	slots := make(chan struct{}, max(e.Concurrency, 1))
	var turnMu gosync.Mutex
	turn := gosync.NewCond(&turnMu)
	next := 0
	takeSlot := func(k int) {
		turnMu.Lock()
		for next != k {
			turn.Wait()
		}
		turnMu.Unlock()
		slots <- struct{}{}
		turnMu.Lock()
		next++
		turnMu.Unlock()
		turn.Broadcast()
	}
	cancelled := func(d Decision) Decision {
		return d.with(ActionFailed, ReasonCancelled, d.TicagaID, "the run was stopped before this "+string(d.Action)+" was tried")
	}
	eachBounded(ctx, 2*e.Concurrency, total, func(k int) {
		i := todo[k]
		d := rep.Decisions[i]
		var pre pairingNow
		if d.Action == ActionLink {
			pre.p, pre.ok, pre.err = e.Store.PairingOf(ctx, d.TicagaID)
		}
		takeSlot(k)
		if ctx.Err() != nil {
			<-slots
			rep.Decisions[i] = cancelled(d)
			return
		}
		var out Decision
		var err error
		var record func() Decision
		if d.Action == ActionCreate {
			out, err = e.create(ctx, api, dir, d)
		} else {
			out, record, err = e.link(ctx, api, dir, d, pre)
		}
		taken.CompareAndSwap(false, errors.Is(err, ErrEmailTaken))
		if errors.Is(err, ErrUnauthorized) {
			rejected.CompareAndSwap(nil, &err)
			cancel(err)
		}
		<-slots
		if record != nil {
			out = record()
		}
		rep.Decisions[i] = out
		logDecision(log, out)
		e.Observer.Progress(StageExecute, int(done.Add(1)), total)
	}, func(k int) {
		rep.Decisions[todo[k]] = cancelled(rep.Decisions[todo[k]])
	})
	if err := rejected.Load(); err != nil {
		return fmt.Errorf("Ticaga rejected the token while linking; nothing more was written: %w", *err)
	}
	if taken.Load() {
		e.rereadAfterTaken(ctx, api, dir, rep, before+1)
	}
	return nil
}

// link carries out one link decision, mirroring the Blesta plugin's
// connectAccounts: confirm from a customers/get answer taken during this run
// that the Ticaga user's id and email still match, assign the billing id
// (unless Ticaga already carries it), then upsert the pairing row.
//
// It also returns the Ticaga error behind a failed outcome, so that the
// caller can stop on a rejected token. A "no such user" answer on HTTP
// 401/403 is proven at once (liveDirectory.proveNow) before it counts: a
// revoked token stops the links then, not at the end of the run.
//
// pre is what ticaga_billing said of the Ticaga user just before (read by
// the caller without holding a Ticaga slot). When the link gets as far as
// its pairing row, it returns record, which upserts the row and returns
// the outcome; the caller runs it after releasing its slot.
func (e *Engine) link(ctx context.Context, api Ticaga, dir *liveDirectory, d Decision, pre pairingNow) (Decision, func() Decision, error) {
	c := d.Contact
	u, known, fresh := dir.get(d.TicagaID)
	if !known || !fresh || e.Now().Sub(u.FetchedAt) > e.ConfirmAge {
		got, err := api.LookupUser(ctx, d.TicagaID)
		switch {
		case errors.Is(err, ErrNotFound):
			if perr := dir.proveNow(ctx, api, err); perr != nil {
				return d.with(ActionFailed, ReasonTicagaUnknown, d.TicagaID,
					fmt.Sprintf("could not confirm Ticaga user %d: %v", d.TicagaID, perr)), nil, perr
			}
			dir.forget(d.TicagaID)
			return d.with(ActionNoMatch, ReasonTicagaUserGone, d.TicagaID,
				fmt.Sprintf("Ticaga user %d no longer exists", d.TicagaID)), nil, nil
		case err != nil:
			return d.with(ActionFailed, ReasonTicagaUnknown, d.TicagaID,
				fmt.Sprintf("could not confirm Ticaga user %d: %v", d.TicagaID, err)), nil, err
		}
		got.ID = d.TicagaID
		dir.learn(got)
		u = got
	}

	want, _ := NormalizeEmail(c.Email)
	if have, ok := NormalizeEmail(u.Email); !ok || have != want {
		return d.with(ActionNoMatch, ReasonTicagaEmailDiff, u.ID,
			fmt.Sprintf("Ticaga user %d's email changed to %q", u.ID, u.Email)), nil, nil
	}
	if r, detail := otherBilling(u, c.BillingID, e.System); r != ReasonNone {
		return d.with(ActionConflict, r, u.ID, detail), nil, nil
	}
	// The pairing table as it is now, not as it was when the run planned.
	switch p, ok, err := pre.p, pre.ok, pre.err; {
	case err != nil:
		return d.with(ActionFailed, ReasonStoreWrite, u.ID, fmt.Sprintf("could not read ticaga_billing: %v", err)), nil, nil
	case ok && (p.BillingUserID != c.BillingID || !SameSystem(p.BillingSystem, e.System)):
		return d.with(ActionConflict, ReasonTicagaUserPairedElsewhere, u.ID,
			fmt.Sprintf("ticaga_billing pairs Ticaga user %d with %s client %s", u.ID, p.BillingSystem, p.BillingUserID)), nil, nil
	}

	if !u.CarriesBilling(c.BillingID, e.System) {
		err := api.AssignBilling(ctx, Assignment{TicagaID: u.ID, BillingID: c.BillingID, System: e.System})
		switch {
		case errors.Is(err, ErrNotFound):
			if perr := dir.proveNow(ctx, api, err); perr != nil {
				return d.with(ActionFailed, ReasonTicagaUnknown, u.ID,
					fmt.Sprintf("customers/assign for Ticaga user %d: %v", u.ID, perr)), nil, perr
			}
			dir.forget(u.ID)
			return d.with(ActionNoMatch, ReasonTicagaUserGone, u.ID,
				fmt.Sprintf("Ticaga user %d no longer exists", u.ID)), nil, nil
		case errors.Is(err, ErrRefused):
			return d.with(ActionFailed, ReasonTicagaRefused, u.ID,
				fmt.Sprintf("Ticaga refused billing id %s of %s for Ticaga user %d: %v", c.BillingID, e.System, u.ID, err)), nil, nil
		case err != nil:
			return d.with(ActionFailed, ReasonTicagaUnknown, u.ID,
				fmt.Sprintf("customers/assign for Ticaga user %d: %v", u.ID, err)), nil, err
		}
		d.Assigned = true
		u.BillingID, u.BillingSystem = c.BillingID, e.System
		dir.learn(u)
	}

	// The row is written even after a cancellation: Ticaga already carries
	// the billing id, and the pairing should say so.
	p := Pairing{TicagaUserID: u.ID, BillingUserID: c.BillingID, Email: c.Email, BillingSystem: e.System, CompanyID: c.CompanyID}
	return d, func() Decision {
		err := e.Store.UpsertPairing(context.WithoutCancel(ctx), p)
		if errors.Is(err, ErrPairedElsewhere) {
			return d.with(ActionConflict, ReasonTicagaUserPairedElsewhere, u.ID,
				fmt.Sprintf("Ticaga user %d now carries the billing id, but %v (changed during the run)", u.ID, err))
		}
		if err != nil {
			return d.with(ActionFailed, ReasonStoreWrite, u.ID,
				fmt.Sprintf("Ticaga user %d carries the billing id, but writing ticaga_billing failed: %v", u.ID, err))
		}
		return d.with(ActionLink, ReasonNone, u.ID, "")
	}, nil
}

// pairingNow is a PairingOf answer.
type pairingNow struct {
	p   Pairing
	ok  bool
	err error
}

func logDecision(log zerolog.Logger, d Decision) {
	ev := log.Info()
	if d.Action == ActionFailed {
		ev = log.Warn()
	}
	logBillingID(ev, "billing_id", d.Contact.BillingID).Int64("ticaga_id", d.TicagaID).Str("action", string(d.Action)).
		Str("reason", string(d.Reason)).Bool("assigned", d.Assigned).Str("detail", d.Detail).Msg("decision carried out")
}

// logBillingID adds a billing id to a log event: a number as a number, as
// the numeric systems always logged it, any other id as a string.
func logBillingID(ev *zerolog.Event, key string, id BillingID) *zerolog.Event {
	if n, ok := id.Int(); ok {
		return ev.Int64(key, n)
	}
	return ev.Str(key, string(id))
}

// billingIDArray is ids for a log event, numbers as numbers.
func billingIDArray(ids []BillingID) *zerolog.Array {
	a := zerolog.Arr()
	for _, id := range ids {
		if n, ok := id.Int(); ok {
			a.Int64(n)
		} else {
			a.Str(string(id))
		}
	}
	return a
}
