package sync

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDecisionLogRoundTrip checks that the compact log gives back every
// field of every decision, replaced ones included, unknown codes and long
// strings too, across arena chunks.
func TestDecisionLogRoundTrip(t *testing.T) {
	x := &Exclusion{Source: "blesta", BillingID: "7", By: "ops", Reason: "test", At: time.Unix(100, 0).UTC()}
	var want []Decision
	for i := range 3000 {
		d := Decision{
			Contact: Contact{BillingID: someBillingID(i), CompanyID: int64(i % 3), Email: fmt.Sprintf("c%d@example.com", i),
				FirstName: "Fïrst", LastName: strings.Repeat("L", i%300), Company: "Co", Status: "active", Problem: ""},
			Action: actionCodes[i%len(actionCodes)], Reason: reasonCodes[i%len(reasonCodes)], TicagaID: int64(-i),
			Detail: []string{"", detailNoTicagaUser, "Ticaga users 1, 2 share this email"}[i%3], Assigned: i%2 == 0,
		}
		switch i {
		case 7:
			d.Exclusion = x
		case 11:
			d.Action, d.Reason = "some_new_action", "some_new_reason"
		case 12:
			d.Detail = strings.Repeat("x", 3*arenaChunk/2) // longer than a chunk
		}
		if i >= 2000 {
			d.Contact.Status = fmt.Sprintf("status-%d", i%400) // more words than codes
		}
		want = append(want, d)
	}
	var l decisionLog
	for i, d := range want {
		l.add(d)
		if i == 2500 {
			// Past this, positions are kept in 64 bits (as past 4 GiB).
			defer func(n uint64) { narrowChunks = n }(narrowChunks)
			narrowChunks = uint64(len(l.arena.chunks) - 1)
		}
	}
	if l.wide == nil || l.off != nil {
		t.Fatal("the log did not switch to 64-bit positions")
	}
	for i := 0; i < len(want); i += 5 {
		want[i].Action, want[i].Detail, want[i].Exclusion = ActionFailed, "replaced", nil
		l.set(i, want[i])
	}
	if l.Len() != len(want) {
		t.Fatalf("Len = %d, want %d", l.Len(), len(want))
	}
	got := slices.Collect(l.all())
	for i := range want {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("decision %d:\ngot  %+v\nwant %+v", i, got[i], want[i])
		}
		if a := l.action(i); a != want[i].Action {
			t.Fatalf("action(%d) = %q, want %q", i, a, want[i].Action)
		}
	}
	rep := &Report{log: &l}
	var failed []Decision
	for _, d := range want {
		if d.Action == ActionFailed {
			failed = append(failed, d)
		}
	}
	if sel := slices.Collect(rep.Select(func(a Action) bool { return a == ActionFailed })); !reflect.DeepEqual(sel, failed) {
		t.Errorf("Select(failed) = %d decisions, want the %d failed ones in order", len(sel), len(failed))
	}
	if c := rep.tally(); c.Contacts != len(want) {
		t.Errorf("tally counts %d contacts, want %d", c.Contacts, len(want))
	}
}

// someBillingID returns the i-th of ids of every kind the compact forms
// tell apart: numbers (stored as numbers) and ids that only look like one
// ("007", "-5", 2^62 and past: stored as text), text and the empty id.
func someBillingID(i int) BillingID {
	switch i % 8 {
	case 1:
		return BillingID(fmt.Sprintf("%03d", i%1000)) // leading zero: text
	case 2:
		return BillingIDOf(int64(-i))
	case 3:
		return BillingID(fmt.Sprintf("cst-%d", i))
	case 4:
		return ""
	case 5:
		return BillingIDOf(1<<62 - 1 - int64(i)) // the largest stored as a number
	case 6:
		return BillingIDOf(1<<62 + int64(i))
	case 7:
		return "0"
	}
	return BillingIDOf(int64(i))
}

// TestUserTable checks the compact directory table against a map: puts in
// and out of id order (merges), replacements, removals and revivals.
func TestUserTable(t *testing.T) {
	tab := newUserTable()
	ref := map[int64]TicagaUser{}
	at := time.Date(2026, 12, 2, 0, 0, 0, 0, time.UTC)
	put := func(id int64, v int) {
		u := TicagaUser{ID: id, Name: fmt.Sprintf("n%d", v), Email: fmt.Sprintf("u%d@x.example", v), Company: "c",
			BillingID: someBillingID(v), BillingSystem: []string{"", "Blesta", "WHMCS"}[v%3], FetchedAt: at.Add(time.Duration(v) * time.Second)}
		if v%7 == 0 {
			u.FetchedAt = time.Time{}
		}
		tab.put(u)
		ref[id] = u
	}
	for id := int64(1); id <= 5000; id++ {
		put(id*2, int(id))
	}
	for id := int64(4999); id >= 1; id -= 2 { // out of order: odd ids
		put(id, int(id)+1)
	}
	for id := int64(10); id <= 3000; id += 10 {
		put(id, int(id)+2) // replace
	}
	for id := int64(3); id <= 9000; id += 9 {
		if got := tab.remove(id); got != (ref[id].ID != 0) {
			t.Fatalf("remove(%d) = %v", id, got)
		}
		delete(ref, id)
	}
	put(3, 42) // revive
	if tab.len() != len(ref) {
		t.Fatalf("len = %d, want %d", tab.len(), len(ref))
	}
	var maxID int64
	for id, want := range ref {
		got, ok := tab.get(id)
		if !ok || !reflect.DeepEqual(got, want) {
			t.Fatalf("get(%d) = %+v, %v; want %+v", id, got, ok, want)
		}
		maxID = max(maxID, id)
	}
	if _, ok := tab.get(12); ok {
		t.Error("get(12): a removed entry is found")
	}
	n := 0
	for u := range tab.each {
		if !reflect.DeepEqual(u, ref[u.ID]) {
			t.Fatalf("each: %+v, want %+v", u, ref[u.ID])
		}
		n++
	}
	if n != len(ref) || tab.maxID() != maxID {
		t.Errorf("each yields %d, maxID %d; want %d, %d", n, tab.maxID(), len(ref), maxID)
	}
	stale := tab.staleIDs(at.Add(100*time.Second), 1000)
	nstale := 0
	for _, u := range ref {
		if u.FetchedAt.Before(at.Add(100 * time.Second)) {
			nstale++
		}
	}
	if nstale == 0 || len(stale) != min(1000, nstale) {
		t.Errorf("staleIDs = %d ids, want %d of the %d stale", len(stale), min(1000, nstale), nstale)
	}
	for i, id := range stale {
		if u := ref[id]; !u.FetchedAt.Before(at.Add(100 * time.Second)) {
			t.Fatalf("stale id %d fetched %s", id, u.FetchedAt)
		}
		if i > 0 && ref[stale[i-1]].FetchedAt.After(ref[id].FetchedAt) {
			t.Fatalf("stale ids out of order at %d", i)
		}
	}
}

// TestPairIndex checks lookups by Ticaga user (the last row wins) and by
// billing customer (system compared as SystemKey, rows in table order).
func TestPairIndex(t *testing.T) {
	rows := []Pairing{
		{TicagaUserID: 5, BillingUserID: "10", BillingSystem: "Blesta", CompanyID: 1},
		{TicagaUserID: 3, BillingUserID: "10", BillingSystem: " blesta", CompanyID: 2},
		{TicagaUserID: 5, BillingUserID: "11", BillingSystem: "WHMCS"},
		{TicagaUserID: 9, BillingUserID: "10", BillingSystem: "WHMCS"},
		{TicagaUserID: 12, BillingUserID: "010", BillingSystem: "Blesta"},
		{TicagaUserID: 13, BillingUserID: "cst-a", BillingSystem: "TicketSource"},
		{TicagaUserID: 14, BillingUserID: "0", BillingSystem: "Blesta"},
		{TicagaUserID: 15, BillingUserID: "", BillingSystem: "Blesta"},
	}
	x := newPairIndex()
	for _, p := range rows {
		x.add(p)
	}
	x.done()
	if p, ok := x.byTicaga(5); !ok || p != rows[2] {
		t.Errorf("byTicaga(5) = %+v, %v; want %+v", p, ok, rows[2])
	}
	if _, ok := x.byTicaga(4); ok {
		t.Error("byTicaga(4) found a row")
	}
	if got := x.byBilling("BLESTA", "10"); !reflect.DeepEqual(got, rows[:2]) {
		t.Errorf("byBilling(BLESTA, 10) = %+v", got)
	}
	if got := x.byBilling("whmcs", "12"); got != nil {
		t.Errorf("byBilling(whmcs, 12) = %+v", got)
	}
	if got := x.byBilling("Blesta", "010"); !reflect.DeepEqual(got, rows[4:5]) {
		t.Errorf("byBilling(Blesta, 010) = %+v", got)
	}
	// The empty id is text, never the number 0.
	if got := x.byBilling("Blesta", "0"); !reflect.DeepEqual(got, rows[6:7]) {
		t.Errorf("byBilling(Blesta, 0) = %+v", got)
	}
	if got := x.byBilling("Blesta", ""); !reflect.DeepEqual(got, rows[7:8]) {
		t.Errorf("byBilling(Blesta, \"\") = %+v", got)
	}
	if got := x.byBilling("ticketsource", "cst-a"); !reflect.DeepEqual(got, rows[5:6]) {
		t.Errorf("byBilling(ticketsource, cst-a) = %+v", got)
	}
	if got := slices.Collect(x.each()); !reflect.DeepEqual(got, rows) || x.len() != len(rows) {
		t.Errorf("each = %+v", got)
	}
	// Explain's index keeps each row's email.
	withEmails := newPairIndex()
	withEmails.emails = []string{}
	for i := range rows {
		rows[i].Email = fmt.Sprintf("row%d@example.com", i)
		withEmails.add(rows[i])
	}
	withEmails.done()
	if got := slices.Collect(withEmails.each()); !reflect.DeepEqual(got, rows) {
		t.Errorf("each with emails = %+v", got)
	}
	if p, _ := withEmails.byTicaga(5); p != rows[2] {
		t.Errorf("byTicaga(5) with emails = %+v, want %+v", p, rows[2])
	}
}

// TestUserIndexChecksTheRealEmail: users whose email hashes collide are
// told apart by their real email, and come in id order.
func TestUserIndexChecksTheRealEmail(t *testing.T) {
	users := map[int64]TicagaUser{3: {ID: 3, Email: "a@x.example"}, 1: {ID: 1, Email: "b@x.example"},
		2: {ID: 2, Email: "A@X.example"}, 4: {ID: 4, Email: "c@x.example"}}
	x := newUserIndex(func(id int64) (TicagaUser, bool) { u, ok := users[id]; return u, ok }, maps.Values(users), len(users))
	// The index is sorted by hash, then id: users sharing a hash come in
	// id order.
	for i := 1; i < len(x.hs); i++ {
		if x.hs[i-1] > x.hs[i] || x.hs[i-1] == x.hs[i] && x.ids[i-1] > x.ids[i] {
			t.Fatalf("index out of order at %d: (%d, %d) before (%d, %d)", i, x.hs[i-1], x.ids[i-1], x.hs[i], x.ids[i])
		}
	}
	// Every user on one hash, as a collision would put them (ids kept in
	// the order the sort gives equal hashes).
	h := x.hash32("a@x.example")
	for i := range x.hs {
		x.hs[i] = h
	}
	slices.Sort(x.ids)
	got := x.withEmail("a@x.example")
	if len(got) != 2 || got[0].ID != 2 || got[1].ID != 3 {
		t.Errorf("withEmail(a@x.example) = %+v, want users 2 and 3", got)
	}
	if got := x.withEmail("d@x.example"); len(got) != 0 {
		t.Errorf("withEmail(d@x.example) = %+v, want none", got)
	}
}

// The compact forms encode every field by hand: a field added to one of
// these types would be dropped silently. This fails first.
func TestCompactFormsKnowEveryField(t *testing.T) {
	for typ, n := range map[reflect.Type]int{
		reflect.TypeFor[Contact]():    8, // decisionLog.put/at
		reflect.TypeFor[Decision]():   7, // decisionLog.put/at
		reflect.TypeFor[TicagaUser](): 7, // userTable.put/user
	} {
		if typ.NumField() != n {
			t.Errorf("%s has %d fields, the compact form knows %d: encode the new field", typ, typ.NumField(), n)
		}
	}
}
