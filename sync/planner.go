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
	p := newPlanner(in)
	out := make([]Decision, len(in.Contacts))
	for i, c := range in.Contacts {
		out[i] = p.decide(c)
	}
	return out
}

type billingKey struct {
	system string // lower case
	id     BillingID
}

type planner struct {
	system      string
	users       map[int64]TicagaUser
	byEmail     map[string][]int64     // Ticaga ids by normalised email
	billingByEm map[string][]BillingID // billing ids by normalised email
	byTicaga    map[int64]Pairing
	byBilling   map[billingKey][]Pairing
	excluded    map[BillingID]Exclusion
}

func newPlanner(in PlanInput) *planner {
	p := &planner{
		system:      in.System,
		users:       make(map[int64]TicagaUser, len(in.Users)),
		byEmail:     make(map[string][]int64, len(in.Users)),
		billingByEm: make(map[string][]BillingID, len(in.Contacts)),
		byTicaga:    make(map[int64]Pairing, len(in.Pairings)),
		byBilling:   make(map[billingKey][]Pairing, len(in.Pairings)),
		excluded:    in.Excluded,
	}
	for _, u := range in.Users {
		p.users[u.ID] = u
		if key, ok := NormalizeEmail(u.Email); ok {
			p.byEmail[key] = append(p.byEmail[key], u.ID)
		}
	}
	for _, c := range in.Contacts {
		if c.Problem != "" {
			continue
		}
		if key, ok := NormalizeEmail(c.Email); ok {
			p.billingByEm[key] = append(p.billingByEm[key], c.BillingID)
		}
	}
	for _, pr := range in.Pairings {
		p.byTicaga[pr.TicagaUserID] = pr
		k := billingKey{SystemKey(pr.BillingSystem), pr.BillingUserID}
		p.byBilling[k] = append(p.byBilling[k], pr)
	}
	return p
}

func (p *planner) decide(c Contact) Decision {
	d := Decision{Contact: c}
	if x, ok := p.excluded[c.BillingID]; ok {
		d = d.with(ActionExcluded, ReasonOperatorExcluded, 0, x.String())
		d.Exclusion = &x
		return d
	}
	paired := p.byBilling[billingKey{SystemKey(p.system), c.BillingID}]

	if len(paired) == 1 {
		if u, ok := p.users[paired[0].TicagaUserID]; ok && u.CarriesBilling(c.BillingID, p.system) {
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
	if others := p.billingByEm[key]; len(others) > 1 {
		return d.with(ActionConflict, ReasonDuplicateBillingEmail, 0,
			fmt.Sprintf("billing clients %s share this email", billingIDList(others)))
	}
	if len(paired) > 1 {
		return d.with(ActionConflict, ReasonClientPairedElsewhere, 0,
			fmt.Sprintf("ticaga_billing pairs this client with several Ticaga users (%s)", pairedTicagaIDs(paired)))
	}

	matches := p.byEmail[key]
	switch {
	case len(matches) == 0 && len(paired) == 1:
		return d.with(ActionConflict, ReasonClientPairedElsewhere, paired[0].TicagaUserID,
			fmt.Sprintf("ticaga_billing pairs this client with Ticaga user %d, but no Ticaga user has this email", paired[0].TicagaUserID))
	case len(matches) == 0:
		return d.with(ActionNoMatch, ReasonNoTicagaUser, 0, "no Ticaga user has this email")
	case len(matches) > 1:
		return d.with(ActionConflict, ReasonDuplicateTicagaEmail, 0,
			fmt.Sprintf("Ticaga users %s share this email", idList(matches)))
	}

	u := p.users[matches[0]]
	if len(paired) == 1 && paired[0].TicagaUserID != u.ID {
		return d.with(ActionConflict, ReasonClientPairedElsewhere, u.ID,
			fmt.Sprintf("ticaga_billing pairs this client with Ticaga user %d, but the email belongs to Ticaga user %d", paired[0].TicagaUserID, u.ID))
	}
	if pr, ok := p.byTicaga[u.ID]; ok && (pr.BillingUserID != c.BillingID || !SameSystem(pr.BillingSystem, p.system)) {
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
