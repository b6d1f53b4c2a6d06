package sync

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestPlan(t *testing.T) {
	const sys = "Blesta"
	alice := Contact{BillingID: "10", CompanyID: 1, Email: "alice@example.com"}
	user := func(id int64, email, billingID, system string) TicagaUser {
		return TicagaUser{ID: id, Email: email, BillingID: BillingID(billingID), BillingSystem: system}
	}
	pair := func(ticaga, billing int64, system string) Pairing {
		return Pairing{TicagaUserID: ticaga, BillingUserID: BillingIDOf(billing), BillingSystem: system, Email: "x", CompanyID: 1}
	}

	tests := []struct {
		name       string
		contacts   []Contact // alice when nil
		users      []TicagaUser
		pairings   []Pairing
		wantAction Action
		wantReason Reason
		wantTicaga int64
		wantDetail string // substring
	}{
		{
			name:       "link: one user, no billing id",
			users:      []TicagaUser{user(7, "alice@example.com", "", "")},
			wantAction: ActionLink, wantTicaga: 7,
		},
		{
			name:       "link: billing id 0 counts as none",
			users:      []TicagaUser{user(7, "alice@example.com", "0", "")},
			wantAction: ActionLink, wantTicaga: 7,
		},
		{
			name:       "link: email matches after trim and case folding",
			contacts:   []Contact{{BillingID: "10", Email: "  Alice@EXAMPLE.com "}},
			users:      []TicagaUser{user(7, "alice@example.COM", "", "")},
			wantAction: ActionLink, wantTicaga: 7,
		},
		{
			name:       "link: user already carries this id but the pairing row is missing",
			users:      []TicagaUser{user(7, "alice@example.com", "10", "blesta")},
			wantAction: ActionLink, wantTicaga: 7,
		},
		{
			name:       "link: pairing row agrees but Ticaga lost the billing id",
			users:      []TicagaUser{user(7, "alice@example.com", "0", "")},
			pairings:   []Pairing{pair(7, 10, sys)},
			wantAction: ActionLink, wantTicaga: 7,
		},
		{
			name:       "already_linked: pairing row and Ticaga agree",
			users:      []TicagaUser{user(7, "alice@example.com", "10", "Blesta")},
			pairings:   []Pairing{pair(7, 10, sys)},
			wantAction: ActionAlreadyLinked, wantTicaga: 7,
		},
		{
			name:       "already_linked: survives an email change on either side",
			users:      []TicagaUser{user(7, "alice.new@example.com", "10", "Blesta")},
			pairings:   []Pairing{pair(7, 10, sys)},
			wantAction: ActionAlreadyLinked, wantTicaga: 7,
		},
		{
			name:       "no_match: nobody has the email",
			users:      []TicagaUser{user(7, "bob@example.com", "", "")},
			wantAction: ActionNoMatch, wantReason: ReasonNoTicagaUser,
		},
		{
			name:       "no_match: provider tricks are not applied",
			contacts:   []Contact{{BillingID: "10", Email: "alice+billing@example.com"}},
			users:      []TicagaUser{user(7, "alice@example.com", "", "")},
			wantAction: ActionNoMatch, wantReason: ReasonNoTicagaUser,
		},
		{
			name:       "invalid_email: malformed",
			contacts:   []Contact{{BillingID: "10", Email: "alice.example.com"}},
			users:      []TicagaUser{user(7, "alice.example.com", "", "")},
			wantAction: ActionInvalidEmail, wantReason: ReasonMalformedEmail,
		},
		{
			name:       "invalid_email: empty",
			contacts:   []Contact{{BillingID: "10", Email: "   "}},
			wantAction: ActionInvalidEmail, wantReason: ReasonMalformedEmail,
		},
		{
			name:       "invalid_email: unusable billing row",
			contacts:   []Contact{{BillingID: "10", Problem: "no primary contact"}},
			wantAction: ActionInvalidEmail, wantReason: ReasonBadBillingRow, wantDetail: "no primary contact",
		},
		{
			name:       "conflict: duplicate email among billing clients",
			contacts:   []Contact{alice, {BillingID: "11", Email: "ALICE@example.com"}},
			users:      []TicagaUser{user(7, "alice@example.com", "", "")},
			wantAction: ActionConflict, wantReason: ReasonDuplicateBillingEmail, wantDetail: "10, 11",
		},
		{
			name:       "conflict: duplicate email among Ticaga users",
			users:      []TicagaUser{user(7, "alice@example.com", "", ""), user(9, "Alice@Example.com", "", "")},
			wantAction: ActionConflict, wantReason: ReasonDuplicateTicagaEmail, wantDetail: "7, 9",
		},
		{
			name:       "conflict: Ticaga user carries a different billing id",
			users:      []TicagaUser{user(7, "alice@example.com", "99", "Blesta")},
			wantAction: ActionConflict, wantReason: ReasonTicagaOtherBillingID, wantTicaga: 7, wantDetail: "99",
		},
		{
			name:       "conflict: Ticaga user carries this id of another billing system",
			users:      []TicagaUser{user(7, "alice@example.com", "10", "WHMCS")},
			wantAction: ActionConflict, wantReason: ReasonTicagaOtherBillingSystem, wantTicaga: 7, wantDetail: "WHMCS",
		},
		{
			name:       "conflict: pairing table pairs the client with another Ticaga user",
			users:      []TicagaUser{user(7, "alice@example.com", "", ""), user(8, "other@example.com", "", "")},
			pairings:   []Pairing{pair(8, 10, sys)},
			wantAction: ActionConflict, wantReason: ReasonClientPairedElsewhere, wantTicaga: 7, wantDetail: "Ticaga user 8",
		},
		{
			name:       "conflict: pairing table pairs the client, nobody has its email",
			users:      []TicagaUser{user(8, "other@example.com", "", "")},
			pairings:   []Pairing{pair(8, 10, sys)},
			wantAction: ActionConflict, wantReason: ReasonClientPairedElsewhere, wantTicaga: 8,
		},
		{
			name:       "conflict: pairing table pairs the client with several users",
			users:      []TicagaUser{user(7, "alice@example.com", "", "")},
			pairings:   []Pairing{pair(7, 10, sys), pair(8, 10, sys)},
			wantAction: ActionConflict, wantReason: ReasonClientPairedElsewhere, wantDetail: "7, 8",
		},
		{
			name:       "conflict: pairing table pairs the Ticaga user with another client",
			users:      []TicagaUser{user(7, "alice@example.com", "", "")},
			pairings:   []Pairing{pair(7, 55, sys)},
			wantAction: ActionConflict, wantReason: ReasonTicagaUserPairedElsewhere, wantTicaga: 7, wantDetail: "client 55",
		},
		{
			name:       "conflict: Ticaga user paired with a WHMCS client of the same id",
			users:      []TicagaUser{user(7, "alice@example.com", "", "")},
			pairings:   []Pairing{pair(7, 10, "WHMCS")},
			wantAction: ActionConflict, wantReason: ReasonTicagaUserPairedElsewhere, wantTicaga: 7, wantDetail: "WHMCS client 10",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			contacts := tt.contacts
			if contacts == nil {
				contacts = []Contact{alice}
			}
			ds := Plan(PlanInput{System: sys, Contacts: contacts, Users: tt.users, Pairings: tt.pairings})
			if len(ds) != len(contacts) {
				t.Fatalf("got %d decisions for %d contacts", len(ds), len(contacts))
			}
			d := ds[0]
			if d.Action != tt.wantAction || d.Reason != tt.wantReason || d.TicagaID != tt.wantTicaga {
				t.Fatalf("got %s/%s ticaga=%d (%s); want %s/%s ticaga=%d",
					d.Action, d.Reason, d.TicagaID, d.Detail, tt.wantAction, tt.wantReason, tt.wantTicaga)
			}
			if !strings.Contains(d.Detail, tt.wantDetail) {
				t.Fatalf("detail %q does not mention %q", d.Detail, tt.wantDetail)
			}
			if d.Contact != contacts[0] {
				t.Fatalf("decision carries %+v, want the contact %+v", d.Contact, contacts[0])
			}
		})
	}
}

func TestPlanKeepsOrderAndCountsEveryContact(t *testing.T) {
	var contacts []Contact
	var users []TicagaUser
	for i := int64(1); i <= 50; i++ {
		contacts = append(contacts, Contact{BillingID: BillingIDOf(i), Email: fmt.Sprintf("c%d@example.com", i)})
		if i%2 == 0 {
			users = append(users, TicagaUser{ID: 100 + i, Email: fmt.Sprintf("C%d@example.com", i)})
		}
	}
	ds := Plan(PlanInput{System: "Blesta", Contacts: contacts, Users: users})
	for i, d := range ds {
		if d.Contact.BillingID != contacts[i].BillingID {
			t.Fatalf("decision %d is for client %s, want %s", i, d.Contact.BillingID, contacts[i].BillingID)
		}
	}
	c := Tally(ds)
	if c.Contacts != 50 || c.Linked != 25 || c.NoMatch != 25 {
		t.Fatalf("counts = %+v, want 50 contacts, 25 link, 25 no_match", c)
	}
}

// TestDuplicateEmailsFoundByRealEmail: the planner finds contacts that may
// share an email by a 32-bit hash; contacts whose hashes collide but whose
// emails differ are not duplicates. The test gives every contact the same
// hash, as a collision would.
func TestDuplicateEmailsFoundByRealEmail(t *testing.T) {
	users := []TicagaUser{{ID: 7, Email: "b@example.com"}}
	x := newUserIndex(func(id int64) (TicagaUser, bool) { return users[0], id == 7 }, slices.Values(users), 1)
	sp := newStreamPlanner(&planner{system: "Blesta", users: x, pairs: newPairIndex()})
	sp.p.pairs.done()
	for i, email := range []string{"a@example.com", "b@example.com", "A@Example.com ", "c@example.com"} {
		sp.add(Contact{BillingID: BillingIDOf(int64(i + 1)), Email: email})
	}
	if len(sp.keys) != 4 {
		t.Fatalf("%d keys, want one per usable contact (4)", len(sp.keys))
	}
	for k := range sp.keys {
		sp.keys[k] = uint64(uint32(sp.keys[k])) // same hash for all, index kept
	}
	sp.finish()
	got := map[BillingID]Reason{}
	for d := range sp.log.all() {
		got[d.Contact.BillingID] = d.Reason
	}
	want := map[BillingID]Reason{"1": ReasonDuplicateBillingEmail, "2": ReasonNone, "3": ReasonDuplicateBillingEmail, "4": ReasonNoTicagaUser}
	for id, r := range want {
		if got[id] != r {
			t.Errorf("client %s: reason %q, want %q", id, got[id], r)
		}
	}
}

func BenchmarkPlan100k(b *testing.B) {
	const n = 100_000
	contacts := make([]Contact, n)
	users := make([]TicagaUser, 0, n)
	pairings := make([]Pairing, 0, n/2)
	for i := range n {
		id := int64(i + 1)
		email := fmt.Sprintf("customer%d@example.com", id)
		contacts[i] = Contact{BillingID: BillingIDOf(id), CompanyID: 1, Email: email, FirstName: "First", LastName: "Last"}
		u := TicagaUser{ID: id + 1000, Email: email}
		if i%2 == 0 {
			u.BillingID, u.BillingSystem = BillingID(fmt.Sprint(id)), "Blesta"
			pairings = append(pairings, Pairing{TicagaUserID: u.ID, BillingUserID: BillingIDOf(id), BillingSystem: "Blesta", CompanyID: 1})
		}
		users = append(users, u)
	}
	in := PlanInput{System: "Blesta", Contacts: contacts, Users: users, Pairings: pairings}
	b.ReportAllocs()
	for b.Loop() {
		Plan(in)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/contact")
}
