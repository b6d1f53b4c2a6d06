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
// creations, at most p.Max of them. Only a plain no_match qualifies: no
// Ticaga user has the email, the email is usable and no other customer
// shares it (those are invalid_email and conflicts). Customers whose last
// creation failed (tried) come after the others, so that a few refusals
// cannot take the whole brake run after run. Nothing is created while the
// directory is incomplete: an unreadable user might have the email.
// provisionable says whether provisioning may turn d into a creation: a
// plain no_match (no Ticaga user has the email).
func provisionable(d Decision) bool {
	return d.Action == ActionNoMatch && d.Reason == ReasonNoTicagaUser
}

func (p Provisioning) provision(ds []Decision, unreadable []UnknownUser, tried map[BillingID]bool) {
	if !p.Enabled {
		return
	}
	var fresh, again []int
	for i, d := range ds {
		if !provisionable(d) || !p.takes(d.Contact.Status) {
			continue
		}
		if tried[d.Contact.BillingID] {
			again = append(again, i)
		} else {
			fresh = append(fresh, i)
		}
	}
	for n, i := range append(fresh, again...) {
		d := ds[i]
		switch {
		case len(unreadable) > 0:
			ds[i] = d.with(ActionNoMatch, ReasonProvisionBlocked, 0,
				fmt.Sprintf("no account created: Ticaga's answer about %d user(s) is unknown (%s), and one of them may have this email",
					len(unreadable), describeUnknown(unreadable, 3)))
		case n >= p.Max:
			ds[i] = d.with(ActionNoMatch, ReasonProvisionLimit, 0,
				fmt.Sprintf("no account created in this run: SYNC_PROVISION_MAX=%d accounts were created first; a later run creates it", p.Max))
		default:
			ds[i] = d.with(ActionCreate, ReasonNone, 0, "")
		}
	}
}

// triedCreating returns the customers of source whose last creation failed,
// as the store recorded it: refused, email taken, or with no clear answer.
func (e *Engine) triedCreating(ctx context.Context) (map[BillingID]bool, error) {
	if !e.Provision.Enabled {
		return nil, nil
	}
	recs, err := e.Store.SourceDecisions(ctx, e.Name)
	if err != nil {
		return nil, err
	}
	tried := map[BillingID]bool{}
	for _, r := range recs {
		switch r.Reason {
		case ReasonProvisionRefused, ReasonTicagaEmailTaken:
			tried[r.BillingID] = true
		case ReasonTicagaUnknown:
			tried[r.BillingID] = r.TicagaID == 0 // a create (a link names its user)
		}
	}
	return tried, nil
}

// create carries out one create decision: register the customer with its
// billing id, check the answer, then write the pairing row. Like link, it
// also returns the Ticaga error behind a failed outcome. The new user is
// not put in the directory: the next scan reads it with every id below it,
// so that a creation never moves the scan past users it did not read.
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
	case errors.Is(err, ErrRefused):
		return d.with(ActionNoMatch, ReasonProvisionRefused, 0,
			fmt.Sprintf("Ticaga refused to create the account (%v); fix the customer's data, later runs try again after the others", err)), nil
	case err != nil:
		return d.with(ActionFailed, ReasonTicagaUnknown, 0,
			fmt.Sprintf("register: %v (if Ticaga created the user, the next run finds it carrying this billing id and writes only the pairing row)", err)), err
	}
	dir.created(u.ID)
	want, _ := NormalizeEmail(c.Email)
	if got, ok := NormalizeEmail(u.Email); !ok || got != want {
		return d.with(ActionFailed, ReasonTicagaUnknown, u.ID,
			fmt.Sprintf("register answered with Ticaga user %d %q, not an account with this email; no pairing written", u.ID, u.Email)), nil
	}
	if !u.CarriesBilling(c.BillingID, e.System) {
		if u.HasBillingID() {
			return d.with(ActionConflict, ReasonTicagaOtherBillingID, u.ID,
				fmt.Sprintf("register answered with Ticaga user %d carrying billing id %q of %q; not paired", u.ID, u.BillingID, u.BillingSystem)), nil
		}
		// Ticaga created the user but did not keep the billing id.
		if err := api.AssignBilling(ctx, Assignment{TicagaID: u.ID, BillingID: c.BillingID, System: e.System}); err != nil {
			return d.with(ActionFailed, ReasonTicagaUnknown, u.ID,
				fmt.Sprintf("created Ticaga user %d without the billing id, and customers/assign failed: %v (the next run links it)", u.ID, err)), err
		}
		d.Assigned = true
	}
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
// not know, after Ticaga said an email is taken: it scans from above the
// highest id known before this run's creations (from), asking again about
// ids already read, at least past the highest id this run created. What it
// learns, and any id it left unknown, is saved with the run's other
// directory changes, and the next run plans the customers again.
func (e *Engine) rereadAfterTaken(ctx context.Context, api Ticaga, dir *liveDirectory, rep *Report, from int64) {
	r, rctx := newReader(ctx, e, api, dir, rep)
	defer r.close()
	r.reask = true
	end := r.scan(rctx, from, dir.maxCreated(), nil)
	e.Log.Info().Int64("from_id", from).Int64("to_id", end.next-1).Msg("re-read the directory after Ticaga said an email is taken")
}
