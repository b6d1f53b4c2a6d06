package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Provisioning creates a Ticaga account for a billing customer who has none
// (SYNC_PROVISION). It is off in the zero value.
type Provisioning struct {
	// Enabled turns it on.
	Enabled bool
	// Max bounds the accounts created per run (SYNC_PROVISION_MAX); the
	// customers past it stay no_match (provision_limit) until a later run.
	Max int
	// Statuses are the billing status words whose customers get accounts
	// (SYNC_PROVISION_STATUSES), compared case-insensitively; empty: every
	// selected customer.
	Statuses []string
}

// takes reports whether p creates accounts for a customer with status.
func (p Provisioning) takes(status string) bool {
	return len(p.Statuses) == 0 || slices.ContainsFunc(p.Statuses, func(s string) bool {
		return strings.EqualFold(strings.TrimSpace(s), strings.TrimSpace(status))
	})
}

// provision turns the decisions of customers without a Ticaga account into
// creations, at most p.Max of them, in billing id order (the planner's
// order). Only a plain no_match qualifies: no Ticaga user has the email,
// the email is usable and no other customer shares it (those are
// invalid_email and conflicts). Nothing is created while the directory is
// incomplete: an unreadable user might have the email. unreadable names
// those users.
func (p Provisioning) provision(ds []Decision, unreadable []UnknownUser) {
	if !p.Enabled {
		return
	}
	created := 0
	for i, d := range ds {
		if d.Action != ActionNoMatch || d.Reason != ReasonNoTicagaUser || !p.takes(d.Contact.Status) {
			continue
		}
		switch {
		case len(unreadable) > 0:
			ds[i] = d.with(ActionNoMatch, ReasonProvisionBlocked, 0,
				fmt.Sprintf("no account created: Ticaga's answer about %d user(s) is unknown (%s), and one of them may have this email",
					len(unreadable), describeUnknown(unreadable, 3)))
		case created >= p.Max:
			ds[i] = d.with(ActionNoMatch, ReasonProvisionLimit, 0,
				fmt.Sprintf("no account created in this run: SYNC_PROVISION_MAX=%d accounts were created first; a later run creates it", p.Max))
		default:
			created++
			ds[i] = d.with(ActionCreate, ReasonNone, 0, "")
		}
	}
}

// create carries out one create decision: register the customer with its
// billing id, learn the new user, then write the pairing row. Like link, it
// also returns the Ticaga error behind a failed outcome.
func (e *Engine) create(ctx context.Context, api Ticaga, dir *liveDirectory, d Decision) (Decision, error) {
	c := d.Contact
	name := c.Name()
	if name == "" {
		name = strings.TrimSpace(c.Email)
	}
	u, err := api.CreateUser(ctx, NewUser{Name: name, Email: strings.TrimSpace(c.Email), Company: strings.TrimSpace(c.Company),
		BillingID: c.BillingID, System: e.System})
	switch {
	case errors.Is(err, ErrEmailTaken):
		return d.with(ActionNoMatch, ReasonTicagaEmailTaken, 0,
			"Ticaga refused to create the account because a user it has takes this email; the directory is re-read and the next run plans the customer again"), err
	case err != nil:
		return d.with(ActionFailed, ReasonTicagaUnknown, 0,
			fmt.Sprintf("register: %v (if Ticaga created the user, the next run finds it carrying this billing id and writes only the pairing row)", err)), err
	}
	dir.learn(u)
	p := Pairing{TicagaUserID: u.ID, BillingUserID: c.BillingID, Email: c.Email, BillingSystem: e.System, CompanyID: c.CompanyID}
	switch err := e.Store.UpsertPairing(context.WithoutCancel(ctx), p); {
	case errors.Is(err, ErrPairedElsewhere):
		return d.with(ActionConflict, ReasonTicagaUserPairedElsewhere, u.ID,
			fmt.Sprintf("created Ticaga user %d, but %v", u.ID, err)), nil
	case err != nil:
		return d.with(ActionFailed, ReasonStoreWrite, u.ID,
			fmt.Sprintf("created Ticaga user %d carrying the billing id, but writing ticaga_billing failed: %v (the next run writes it)", u.ID, err)), nil
	}
	return d.with(ActionCreate, ReasonNone, u.ID, fmt.Sprintf("created Ticaga user %d", u.ID)), nil
}

// rereadAfterTaken looks for the users Ticaga has that the directory does
// not know, after Ticaga said an email is taken: it scans above the highest
// known id. What it learns is saved with the run's other directory changes,
// and the next run plans the customers again.
func (e *Engine) rereadAfterTaken(ctx context.Context, api Ticaga, dir *liveDirectory, rep *Report) {
	r, rctx := newReader(ctx, e, api, dir, rep)
	defer r.close()
	r.reask = true
	start := dir.maxID() + 1
	end := r.scan(rctx, start, 0, nil)
	e.Log.Info().Int64("from_id", start).Int64("to_id", end.next-1).Msg("re-read the directory above its highest id after an email was taken")
}
