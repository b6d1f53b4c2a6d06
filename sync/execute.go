package sync

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	gosync "sync"
	"sync/atomic"

	"github.com/rs/zerolog"
)

// execute carries out the link decisions of rep with at most e.Concurrency
// in flight, replacing each by its outcome. One failed link never stops the
// others; a cancelled ctx stops starting new ones.
func (e *Engine) execute(ctx context.Context, api Ticaga, dir *liveDirectory, rep *Report, log zerolog.Logger) {
	var todo []int
	for i, d := range rep.Decisions {
		if d.Action == ActionLink {
			todo = append(todo, i)
		}
	}
	total := len(todo)
	e.Observer.Progress(StageExecute, 0, total)
	var done atomic.Int64
	sem := make(chan struct{}, e.Concurrency)
	var wg gosync.WaitGroup
	for _, i := range todo {
		d := rep.Decisions[i]
		if ctx.Err() != nil {
			rep.Decisions[i] = d.with(ActionFailed, ReasonCancelled, d.TicagaID, "the run was stopped before this link was tried")
			continue
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			out := e.link(ctx, api, dir, d)
			rep.Decisions[i] = out
			logDecision(log, out)
			e.Observer.Progress(StageExecute, int(done.Add(1)), total)
		}()
	}
	wg.Wait()
}

// link carries out one link decision, mirroring the Blesta plugin's
// connectAccounts: confirm from a customers/get answer taken during this run
// that the Ticaga user's id and email still match, assign the billing id
// (unless Ticaga already carries it), then upsert the pairing row.
func (e *Engine) link(ctx context.Context, api Ticaga, dir *liveDirectory, d Decision) Decision {
	c := d.Contact
	u, known, fresh := dir.get(d.TicagaID)
	if !known || !fresh {
		got, err := api.LookupUser(ctx, d.TicagaID)
		switch {
		case errors.Is(err, ErrNotFound):
			dir.forget(d.TicagaID)
			return d.with(ActionNoMatch, ReasonTicagaUserGone, d.TicagaID,
				fmt.Sprintf("Ticaga user %d no longer exists", d.TicagaID))
		case err != nil:
			return d.with(ActionFailed, ReasonTicagaUnknown, d.TicagaID,
				fmt.Sprintf("could not confirm Ticaga user %d: %v", d.TicagaID, err))
		}
		got.ID = d.TicagaID
		dir.learn(got)
		u = got
	}

	want, _ := NormalizeEmail(c.Email)
	if have, ok := NormalizeEmail(u.Email); !ok || have != want {
		return d.with(ActionNoMatch, ReasonTicagaEmailDiff, u.ID,
			fmt.Sprintf("Ticaga user %d's email changed to %q", u.ID, u.Email))
	}
	if r, detail := otherBilling(u, c.BillingID, e.System); r != ReasonNone {
		return d.with(ActionConflict, r, u.ID, detail)
	}

	if !u.CarriesBilling(c.BillingID, e.System) {
		err := api.AssignBilling(ctx, Assignment{TicagaID: u.ID, BillingID: c.BillingID, System: e.System})
		switch {
		case errors.Is(err, ErrNotFound):
			dir.forget(u.ID)
			return d.with(ActionNoMatch, ReasonTicagaUserGone, u.ID,
				fmt.Sprintf("Ticaga user %d no longer exists", u.ID))
		case err != nil:
			return d.with(ActionFailed, ReasonTicagaUnknown, u.ID,
				fmt.Sprintf("customers/assign for Ticaga user %d: %v", u.ID, err))
		}
		d.Assigned = true
		u.BillingID, u.BillingSystem = strconv.FormatInt(c.BillingID, 10), e.System
		dir.learn(u)
	}

	// The row is written even after a cancellation: Ticaga already carries
	// the billing id, and the pairing should say so.
	p := Pairing{TicagaUserID: u.ID, BillingUserID: c.BillingID, Email: c.Email, BillingSystem: e.System, CompanyID: c.CompanyID}
	if err := e.Store.UpsertPairing(context.WithoutCancel(ctx), p); err != nil {
		return d.with(ActionFailed, ReasonStoreWrite, u.ID,
			fmt.Sprintf("Ticaga user %d carries the billing id, but writing ticaga_billing failed: %v", u.ID, err))
	}
	return d.with(ActionLink, ReasonNone, u.ID, "")
}

func logDecision(log zerolog.Logger, d Decision) {
	ev := log.Info()
	if d.Action == ActionFailed {
		ev = log.Warn()
	}
	ev.Int64("billing_id", d.Contact.BillingID).Int64("ticaga_id", d.TicagaID).Str("action", string(d.Action)).
		Str("reason", string(d.Reason)).Bool("assigned", d.Assigned).Str("detail", d.Detail).Msg("decision carried out")
}
