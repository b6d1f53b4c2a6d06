package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Errors of the operator's engine operations.
var (
	// ErrNoPairing means ticaga_billing has no row for the customer.
	ErrNoPairing = errors.New("ticaga_billing has no row")
	// ErrChanged means what the operator confirmed changed before it was
	// carried out; nothing was done.
	ErrChanged = errors.New("changed meanwhile")
)

// PairingOfClient returns the ticaga_billing row pairing customer billingID
// of the source's billing system: what Unlink would remove. The error wraps
// ErrNoPairing when there is none.
func (e *Engine) PairingOfClient(ctx context.Context, billingID BillingID) (Pairing, error) {
	if !e.ready {
		return Pairing{}, errNotReady
	}
	p, ok, err := e.Store.PairingByBilling(ctx, e.System, billingID)
	switch {
	case err != nil:
		return Pairing{}, err
	case !ok:
		return Pairing{}, fmt.Errorf("%w for %s client %s", ErrNoPairing, e.System, billingID)
	}
	return p, nil
}

// UnlinkResult says what Unlink did in Ticaga.
type UnlinkResult struct {
	// Cleared is set when the billing id was cleared in Ticaga; Gone when
	// the Ticaga user no longer exists (nothing to clear).
	Cleared, Gone bool
}

// Unlink removes pairing p, as PairingOfClient showed it, holding the
// source's run lock (an error wrapping ErrLocked while a run holds it), and
// only while the row is still p (ErrChanged). With clearRemote it first
// clears the billing id in Ticaga (customers/assign with billing id 0),
// only while Ticaga still carries this customer's id, and updates the
// directory cache. On any error nothing was changed, except as the result
// says. The next run decides about the customer afresh: unlink repairs a
// wrong link, it does not exclude anyone.
func (e *Engine) Unlink(ctx context.Context, p Pairing, clearRemote bool) (UnlinkResult, error) {
	var res UnlinkResult
	if !e.ready {
		return res, errNotReady
	}
	ctx, unlock, err := e.Store.Lock(ctx, e.Name, 0)
	if errors.Is(err, ErrLocked) {
		return res, err
	}
	if err != nil {
		return res, fmt.Errorf("run lock %q: %w", e.Name, err)
	}
	defer unlock()
	if now, ok, err := e.Store.PairingOf(ctx, p.TicagaUserID); err != nil {
		return res, err
	} else if !ok || now != p {
		return res, fmt.Errorf("the ticaga_billing row of Ticaga user %d: %w", p.TicagaUserID, ErrChanged)
	}

	if clearRemote {
		u, err := e.Ticaga.LookupUser(ctx, p.TicagaUserID)
		switch {
		case errors.Is(err, ErrNotFound) && !errors.Is(err, ErrAuthUnproven):
			res.Gone = true
		case err != nil:
			return res, fmt.Errorf("read Ticaga user %d: %w", p.TicagaUserID, err)
		case !u.CarriesBilling(p.BillingUserID, e.System):
			return res, fmt.Errorf("Ticaga user %d carries billing id %q of %q, not %s client %s: not clearing it",
				p.TicagaUserID, u.BillingID, u.BillingSystem, e.System, p.BillingUserID)
		default:
			if err := e.Ticaga.ClearBilling(ctx, p.TicagaUserID, e.System); err != nil {
				return res, fmt.Errorf("clear the billing id in Ticaga: %w", err)
			}
			res.Cleared = true
			u.ID, u.BillingID, u.FetchedAt = p.TicagaUserID, "0", e.Now()
			if err := e.Store.SaveDirectory(ctx, e.Target, DirectoryCheckpoint{Save: []TicagaUser{u}}); err != nil {
				e.Log.Warn().Err(err).Msg("unlink: could not update the directory cache; the next run re-reads the user")
			}
		}
	}
	deleted, err := e.Store.DeletePairingOf(ctx, p)
	if err != nil {
		return res, err
	}
	if !deleted {
		return res, fmt.Errorf("the ticaga_billing row of Ticaga user %d: %w", p.TicagaUserID, ErrChanged)
	}
	logBillingID(e.Log.Info().Int64("ticaga_id", p.TicagaUserID), "billing_id", p.BillingUserID).Bool("cleared_remote", res.Cleared).
		Msg("unlinked")
	return res, nil
}

// Explanation is every fact behind the decision for one customer.
type Explanation struct {
	// Decision is what a run would decide now.
	Decision Decision
	// OtherClients are the other selected customers with the same email.
	OtherClients []BillingID
	// Users are the directory's users with the customer's email: empty
	// when none has it, nil when the directory holds no user at all.
	Users []TicagaUser
	// Pairings are the rows pairing the customer, or its Ticaga user.
	Pairings []Pairing
	// Unknown are the Ticaga users whose answer is unknown, listed when
	// one of them could change the decision (it might have the email).
	Unknown []UnknownUser
	// Recorded is the open decision the last run recorded; nil when none.
	Recorded *DecisionRecord
}

// ExplainResult is what Explain found.
type ExplainResult struct {
	// Explanations has one entry per selected customer that matched.
	Explanations []Explanation
	// EmailKey is the normalised email asked about ("" when none), and
	// UsersWithEmail the directory's users with it.
	EmailKey       string
	UsersWithEmail []TicagaUser
	// Lookup, when a customer asked by id is not selected, is what the
	// billing reader found of it unfiltered and why its filters drop it;
	// nil when the customer is selected or the reader cannot say.
	Lookup *ClientLookup
	// DirectoryUsers is how many Ticaga users the cached directory the
	// decisions were made from holds; Scan is where a scan for new users
	// that has not reached its end stopped (nil when none). A directory
	// never read, or still being read, cannot say "no such user" yet.
	DirectoryUsers int
	Scan           *ScanPosition
}

// DirectoryIncomplete reports whether the directory the decisions were
// made from may lack Ticaga users: never read, or a scan not finished.
func (r ExplainResult) DirectoryIncomplete() bool { return r.DirectoryUsers == 0 || r.Scan != nil }

// Explain decides now what a run would decide for customer billingID (when
// not empty) or for every selected customer with email, from the billing
// rows, the cached directory and the pairing table, with every fact behind
// it. It makes no Ticaga call and writes nothing.
func (e *Engine) Explain(ctx context.Context, billingID BillingID, email string) (ExplainResult, error) {
	if !e.ready {
		return ExplainResult{}, errNotReady
	}
	// A billing source that does not answer fails explain at once, before
	// the directory and the pairings are loaded (as when contacts came
	// first). For TicketSource this reads the first page once more.
	if err := e.Source.Check(ctx); err != nil {
		return ExplainResult{}, fmt.Errorf("read billing contacts: %w", err)
	}
	// The same planning as a run's (without the refresh): the compact
	// directory, pairings and decision log, streamed from the billing rows.
	// The pairings keep their emails here, to be shown: one read of the
	// table serves the decisions and the rows shown.
	t, err := e.loadDirectory(ctx)
	if err != nil {
		return ExplainResult{}, err
	}
	users := newLiveDirectoryOf(t).index()
	unknown, scan, err := e.Store.DirectoryProgress(ctx, e.Target)
	if err != nil {
		return ExplainResult{}, err
	}
	pairs, err := e.readPairings(ctx, true)
	if err != nil {
		return ExplainResult{}, err
	}
	excluded, err := e.exclusionsBy(ctx)
	if err != nil {
		return ExplainResult{}, err
	}
	sp := newStreamPlanner(&planner{system: e.System, users: users, pairs: pairs, excluded: excluded})
	if _, err := e.planContacts(ctx, sp, NopObserver{}); err != nil {
		return ExplainResult{}, err
	}
	tried, err := e.triedCreating(ctx)
	if err != nil {
		return ExplainResult{}, fmt.Errorf("store: %w", err)
	}
	unreadable := slices.DeleteFunc(slices.Clone(unknown), func(u UnknownUser) bool { return !u.Unreadable(e.UnreadableAfter) })
	e.provisionLog(sp.log, unreadable, tried)

	res := ExplainResult{DirectoryUsers: t.len(), Scan: scan}
	res.EmailKey, _ = NormalizeEmail(email)
	if res.EmailKey != "" {
		res.UsersWithEmail = users.withEmail(res.EmailKey)
	}
	keys := map[string][]BillingID{} // the emails explained, and the customers with each
	for d := range sp.log.all() {
		key, _ := NormalizeEmail(d.Contact.Email)
		if (billingID == "" || d.Contact.BillingID != billingID) && (res.EmailKey == "" || key != res.EmailKey) {
			continue
		}
		res.Explanations = append(res.Explanations, Explanation{Decision: d})
		if key != "" {
			keys[key] = nil
		}
	}
	if len(keys) > 0 {
		for d := range sp.log.all() {
			if key, _ := NormalizeEmail(d.Contact.Email); key != "" {
				if ids, ok := keys[key]; ok {
					keys[key] = append(ids, d.Contact.BillingID)
				}
			}
		}
	}
	for p := range pairs.each() {
		for i := range res.Explanations {
			x := &res.Explanations[i]
			d := x.Decision
			if (p.BillingUserID == d.Contact.BillingID && SameSystem(p.BillingSystem, e.System)) || (d.TicagaID != 0 && p.TicagaUserID == d.TicagaID) {
				x.Pairings = append(x.Pairings, p)
			}
		}
	}
	// "No user with this email" is an empty list, nil only for an empty
	// directory (as when the users were filtered from the whole list).
	noUsers := func(us []TicagaUser) []TicagaUser {
		if us == nil && t.len() > 0 {
			return []TicagaUser{}
		}
		return us
	}
	if res.EmailKey != "" {
		res.UsersWithEmail = noUsers(res.UsersWithEmail)
	}
	for i := range res.Explanations {
		x := &res.Explanations[i]
		d := x.Decision
		if key, _ := NormalizeEmail(d.Contact.Email); key != "" {
			x.Users = noUsers(users.withEmail(key))
			for _, id := range keys[key] {
				if id != d.Contact.BillingID {
					x.OtherClients = append(x.OtherClients, id)
				}
			}
		}
		if couldChange(d) {
			x.Unknown = unknown
		}
		rec, ok, err := e.Store.DecisionFor(ctx, e.Name, d.Contact.BillingID)
		if err != nil {
			return ExplainResult{}, err
		}
		if ok {
			x.Recorded = &rec
		}
	}
	if billingID != "" && !slices.ContainsFunc(res.Explanations, func(x Explanation) bool { return x.Decision.Contact.BillingID == billingID }) {
		l, ok, err := e.LookupClient(ctx, billingID)
		if err != nil {
			return ExplainResult{}, err
		}
		if ok {
			res.Lookup = &l
		}
	}
	return res, nil
}

// couldChange reports whether a Ticaga user the directory does not know
// could change decision d: one with its email would turn a link into a
// conflict, a missing match into a link, or add a duplicate.
func couldChange(d Decision) bool {
	switch {
	case d.Action == ActionLink, d.Action == ActionNoMatch, d.Action == ActionCreate:
		return true
	case d.Action == ActionConflict && d.Reason == ReasonDuplicateTicagaEmail:
		return true
	}
	return false
}
