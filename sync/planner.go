package sync

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// PlanInput is everything the planner looks at. The planner is a pure
// function of it: no I/O, no clock.
type PlanInput struct {
	// System is the billing system's name as Ticaga stores it ("Blesta").
	System string
	// Contacts are the selected billing customers of this run.
	Contacts []Contact
	// Users is the Ticaga user directory.
	Users []TicagaUser
	// Pairings are the ticaga_billing rows (of every billing system).
	Pairings []Pairing
	// Excluded are the source's exclusions by billing id.
	Excluded map[BillingID]Exclusion
}

// Plan returns one decision per contact, in the order of in.Contacts.
//
// The rules, in order:
//   - excluded: an operator excluded the customer (even a linked one).
//   - already_linked: a pairing row pairs the customer and a Ticaga user, and
//     that user already carries the customer's billing id and system.
//   - invalid_email: the row is unusable, or the email is malformed.
//   - conflict duplicate_billing_email: another selected customer has the
//     same normalised email.
//   - no_match: no Ticaga user has the email (conflict
//     client_paired_elsewhere when a pairing row pairs the customer with
//     another Ticaga user).
//   - conflict duplicate_ticaga_email: several Ticaga users have it.
//   - conflict client_paired_elsewhere / ticaga_user_paired_elsewhere: the
//     pairing table pairs the customer, or the matched user, otherwise.
//   - conflict ticaga_user_has_other_billing_id / _system: the matched user
//     carries another billing id or billing system.
//   - link: otherwise (the user carries no billing id, or already this one).
func Plan(in PlanInput) []Decision {
	byID := make(map[int64]int, len(in.Users))
	for i, u := range in.Users {
		byID[u.ID] = i
	}
	users := newUserIndex(func(id int64) (TicagaUser, bool) {
		i, ok := byID[id]
		if !ok {
			return TicagaUser{}, false
		}
		return in.Users[i], true
	}, slices.Values(in.Users), len(in.Users))
	pairs := newPairIndex()
	for _, pr := range in.Pairings {
		pairs.add(pr)
	}
	pairs.done()
	sp := newStreamPlanner(&planner{system: in.System, users: users, pairs: pairs, excluded: in.Excluded})
	for _, c := range in.Contacts {
		sp.add(c)
	}
	sp.finish()
	return slices.Collect(sp.log.all())
}

// planner holds what the rules look at, compactly: the Ticaga users by id
// and by email, the pairing rows, the exclusions.
type planner struct {
	system   string
	users    *userIndex
	pairs    *pairIndex
	excluded map[BillingID]Exclusion
}

// streamPlanner decides the contacts as they arrive, into a decisionLog.
// A duplicate billing email can only be known once every contact is read:
// finish decides again the contacts that share one.
type streamPlanner struct {
	p   *planner
	log *decisionLog
	// keys holds, for each usable contact, the top 32 bits of its email's
	// hash above its index (8 bytes a contact): finish sorts them to find
	// the contacts that may share an email. A hash names candidates only;
	// redecide compares the real emails.
	keys []uint64
}

func newStreamPlanner(p *planner) *streamPlanner {
	return &streamPlanner{p: p, log: &decisionLog{}}
}

// add decides c as if no other contact shared its email.
func (sp *streamPlanner) add(c Contact) {
	i := sp.log.Len()
	sp.log.add(sp.p.decide(c, nil))
	if c.Problem == "" {
		if key, ok := NormalizeEmail(c.Email); ok {
			sp.keys = append(sp.keys, uint64(sp.p.users.hash32(key))<<32|uint64(uint32(i)))
		}
	}
}

// finish decides again the contacts that share a normalised email with
// another contact.
func (sp *streamPlanner) finish() {
	keys := sp.keys
	sp.keys = nil
	slices.Sort(keys) // by hash, then by index
	for start := 0; start < len(keys); {
		end := start + 1
		for end < len(keys) && keys[end]>>32 == keys[start]>>32 {
			end++
		}
		if end-start > 1 {
			sp.redecide(keys[start:end])
		}
		start = end
	}
}

// redecide decides again the contacts of same (one email hash, in index
// order), grouped by their real normalised email.
func (sp *streamPlanner) redecide(same []uint64) {
	groups := map[string][]int{}
	var order []string
	for _, k := range same {
		i := int(uint32(k))
		c := sp.log.at(i).Contact
		key, _ := NormalizeEmail(c.Email)
		if _, ok := groups[key]; !ok {
			order = append(order, key)
		}
		groups[key] = append(groups[key], i)
	}
	for _, key := range order {
		idx := groups[key]
		if len(idx) < 2 {
			continue
		}
		ids := make([]BillingID, len(idx))
		contacts := make([]Contact, len(idx))
		for j, i := range idx {
			contacts[j] = sp.log.at(i).Contact
			ids[j] = contacts[j].BillingID
		}
		for j, i := range idx {
			sp.log.set(i, sp.p.decide(contacts[j], ids))
		}
	}
}

func (p *planner) decide(c Contact, sharing []BillingID) Decision {
	d := Decision{Contact: c}
	if x, ok := p.excluded[c.BillingID]; ok {
		d = d.with(ActionExcluded, ReasonOperatorExcluded, 0, x.String())
		d.Exclusion = &x
		return d
	}
	paired := p.pairs.byBilling(p.system, c.BillingID)

	if len(paired) == 1 {
		if u, ok := p.users.get(paired[0].TicagaUserID); ok && u.CarriesBilling(c.BillingID, p.system) {
			return d.with(ActionAlreadyLinked, ReasonNone, u.ID, "")
		}
	}
	if c.Problem != "" {
		return d.with(ActionInvalidEmail, ReasonBadBillingRow, 0, c.Problem)
	}
	key, ok := NormalizeEmail(c.Email)
	if !ok {
		return d.with(ActionInvalidEmail, ReasonMalformedEmail, 0,
			fmt.Sprintf("%q is not a usable email address", c.Email))
	}
	if len(sharing) > 1 {
		return d.with(ActionConflict, ReasonDuplicateBillingEmail, 0,
			fmt.Sprintf("billing clients %s share this email", billingIDList(sharing)))
	}
	if len(paired) > 1 {
		return d.with(ActionConflict, ReasonClientPairedElsewhere, 0,
			fmt.Sprintf("ticaga_billing pairs this client with several Ticaga users (%s)", pairedTicagaIDs(paired)))
	}

	matches := p.users.withEmail(key)
	switch {
	case len(matches) == 0 && len(paired) == 1:
		return d.with(ActionConflict, ReasonClientPairedElsewhere, paired[0].TicagaUserID,
			fmt.Sprintf("ticaga_billing pairs this client with Ticaga user %d, but no Ticaga user has this email", paired[0].TicagaUserID))
	case len(matches) == 0:
		return d.with(ActionNoMatch, ReasonNoTicagaUser, 0, detailNoTicagaUser)
	case len(matches) > 1:
		ids := make([]int64, len(matches))
		for i, u := range matches {
			ids[i] = u.ID
		}
		return d.with(ActionConflict, ReasonDuplicateTicagaEmail, 0,
			fmt.Sprintf("Ticaga users %s share this email", idList(ids)))
	}

	u := matches[0]
	if len(paired) == 1 && paired[0].TicagaUserID != u.ID {
		return d.with(ActionConflict, ReasonClientPairedElsewhere, u.ID,
			fmt.Sprintf("ticaga_billing pairs this client with Ticaga user %d, but the email belongs to Ticaga user %d", paired[0].TicagaUserID, u.ID))
	}
	if pr, ok := p.pairs.byTicaga(u.ID); ok && (pr.BillingUserID != c.BillingID || !SameSystem(pr.BillingSystem, p.system)) {
		return d.with(ActionConflict, ReasonTicagaUserPairedElsewhere, u.ID,
			fmt.Sprintf("ticaga_billing pairs Ticaga user %d with %s client %s", u.ID, pr.BillingSystem, pr.BillingUserID))
	}
	if r, detail := otherBilling(u, c.BillingID, p.system); r != ReasonNone {
		return d.with(ActionConflict, r, u.ID, detail)
	}
	return d.with(ActionLink, ReasonNone, u.ID, "")
}

// otherBilling says whether Ticaga user u carries a billing id that is not
// (billingID, system), and how to report it.
func otherBilling(u TicagaUser, billingID BillingID, system string) (Reason, string) {
	if !u.HasBillingID() || u.CarriesBilling(billingID, system) {
		return ReasonNone, ""
	}
	if !SameSystem(u.BillingSystem, system) {
		return ReasonTicagaOtherBillingSystem,
			fmt.Sprintf("Ticaga user %d carries billing id %s of billing system %q", u.ID, strings.TrimSpace(string(u.BillingID)), u.BillingSystem)
	}
	return ReasonTicagaOtherBillingID,
		fmt.Sprintf("Ticaga user %d carries %s billing id %s", u.ID, u.BillingSystem, strings.TrimSpace(string(u.BillingID)))
}

func (d Decision) with(a Action, r Reason, ticagaID int64, detail string) Decision {
	d.Action, d.Reason, d.TicagaID, d.Detail = a, r, ticagaID, detail
	return d
}

func pairedTicagaIDs(ps []Pairing) string {
	ids := make([]int64, len(ps))
	for i, p := range ps {
		ids[i] = p.TicagaUserID
	}
	return idList(ids)
}

// idList formats ids sorted, at most ten of them.
func idList(ids []int64) string {
	s := append([]int64(nil), ids...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	parts := make([]string, 0, 11)
	for i, id := range s {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("and %d more", len(s)-10))
			break
		}
		parts = append(parts, strconv.FormatInt(id, 10))
	}
	return strings.Join(parts, ", ")
}

// billingIDList formats billing ids in CompareBillingIDs order, at most ten
// of them.
func billingIDList(ids []BillingID) string {
	s := append([]BillingID(nil), ids...)
	slices.SortFunc(s, CompareBillingIDs)
	parts := make([]string, 0, 11)
	for i, id := range s {
		if i == 10 {
			parts = append(parts, fmt.Sprintf("and %d more", len(s)-10))
			break
		}
		parts = append(parts, string(id))
	}
	return strings.Join(parts, ", ")
}
