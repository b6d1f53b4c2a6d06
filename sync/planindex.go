package sync

import (
	"cmp"
	"hash/maphash"
	"iter"
	"slices"
	"strings"
)

// userIndex finds Ticaga users by id (through get, the directory's own
// lookup) and by normalised email, with a sorted list of (email hash, id):
// 16 bytes a user instead of a map of strings. A hash names candidates
// only: each is checked against the user's real email.
type userIndex struct {
	get    func(id int64) (TicagaUser, bool)
	seed   maphash.Seed
	byHash []hashID
}

type hashID struct {
	h  uint64
	id int64
}

// newUserIndex indexes the users all yields; get finds one by id.
func newUserIndex(get func(id int64) (TicagaUser, bool), all iter.Seq[TicagaUser]) *userIndex {
	x := &userIndex{get: get, seed: maphash.MakeSeed()}
	for u := range all {
		if key, ok := NormalizeEmail(u.Email); ok {
			x.byHash = append(x.byHash, hashID{h: x.hash(key), id: u.ID})
		}
	}
	x.byHash = slices.Clip(x.byHash)
	slices.SortFunc(x.byHash, func(a, b hashID) int {
		if c := cmp.Compare(a.h, b.h); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	return x
}

func (x *userIndex) hash(key string) uint64 { return maphash.String(x.seed, key) }

// withEmail returns the users whose normalised email is key, in id order.
func (x *userIndex) withEmail(key string) []TicagaUser {
	h := x.hash(key)
	i, _ := slices.BinarySearchFunc(x.byHash, h, func(e hashID, h uint64) int { return cmp.Compare(e.h, h) })
	var out []TicagaUser
	for ; i < len(x.byHash) && x.byHash[i].h == h; i++ {
		u, ok := x.get(x.byHash[i].id)
		if !ok {
			continue
		}
		if k, ok := NormalizeEmail(u.Email); ok && k == key {
			out = append(out, u)
		}
	}
	return out
}

// pairIndex holds the pairing rows compactly (no email, the billing
// system interned) and finds them by Ticaga user and by billing customer.
type pairIndex struct {
	rows []pairRow
	// byUser orders rows by Ticaga id (stable: the last row of an id wins,
	// as the map it replaces kept it); byBill by system key and billing id
	// (stable: rows of one customer in table order).
	byUser, byBill []int32
	// systems are the billing systems' names as the rows spell them; keys
	// their SystemKey.
	systems []string
	keys    []string
	sysOf   map[string]uint16
	text    []BillingID
}

type pairRow struct {
	ticaga  int64
	company int64
	// num is the billing id when it is a number (see BillingID.Int),
	// text[str-1] when str is not 0: numbers take no string.
	num int64
	str int32
	sys uint16
}

// billingKey orders billing ids as CompareBillingIDs does.
type billingKey struct {
	text bool // str holds the id; else num does (the empty id is text)
	num  int64
	str  string
}

func keyOfBilling(id BillingID) billingKey {
	if n, ok := id.Int(); ok {
		return billingKey{num: n}
	}
	return billingKey{text: true, str: string(id)}
}

func (a billingKey) compare(b billingKey) int {
	switch {
	case !a.text && !b.text:
		return cmp.Compare(a.num, b.num)
	case !a.text:
		return -1
	case !b.text:
		return 1
	}
	return strings.Compare(a.str, b.str)
}

func newPairIndex() *pairIndex { return &pairIndex{sysOf: map[string]uint16{}} }

// add adds a row; done must be called after the last.
func (x *pairIndex) add(p Pairing) {
	s, ok := x.sysOf[p.BillingSystem]
	if !ok {
		s = uint16(len(x.systems))
		x.sysOf[p.BillingSystem] = s
		x.systems = append(x.systems, p.BillingSystem)
		x.keys = append(x.keys, SystemKey(p.BillingSystem))
	}
	r := pairRow{ticaga: p.TicagaUserID, company: p.CompanyID, sys: s}
	if n, ok := p.BillingUserID.Int(); ok {
		r.num = n
	} else {
		x.text = append(x.text, p.BillingUserID)
		r.str = int32(len(x.text))
	}
	x.rows = append(x.rows, r)
}

// done sorts the indexes.
func (x *pairIndex) done() {
	x.rows = slices.Clip(x.rows)
	x.byUser = make([]int32, len(x.rows))
	x.byBill = make([]int32, len(x.rows))
	for i := range x.rows {
		x.byUser[i], x.byBill[i] = int32(i), int32(i)
	}
	slices.SortStableFunc(x.byUser, func(a, b int32) int { return cmp.Compare(x.rows[a].ticaga, x.rows[b].ticaga) })
	slices.SortStableFunc(x.byBill, func(a, b int32) int {
		ra, rb := &x.rows[a], &x.rows[b]
		if c := cmp.Compare(x.keys[ra.sys], x.keys[rb.sys]); c != 0 {
			return c
		}
		return x.billingKey(ra).compare(x.billingKey(rb))
	})
}

func (x *pairIndex) billingKey(r *pairRow) billingKey {
	if r.str != 0 {
		return billingKey{text: true, str: string(x.text[r.str-1])}
	}
	return billingKey{num: r.num}
}

func (x *pairIndex) pairing(i int32) Pairing {
	r := &x.rows[i]
	id := BillingIDOf(r.num)
	if r.str != 0 {
		id = x.text[r.str-1]
	}
	return Pairing{TicagaUserID: r.ticaga, BillingUserID: id, BillingSystem: x.systems[r.sys], CompanyID: r.company}
}

// len returns the number of rows.
func (x *pairIndex) len() int { return len(x.rows) }

// each yields every row, without its email, in table order.
func (x *pairIndex) each() iter.Seq[Pairing] {
	return func(yield func(Pairing) bool) {
		for i := range x.rows {
			if !yield(x.pairing(int32(i))) {
				return
			}
		}
	}
}

// byTicaga returns the row of Ticaga user id (the last one, should the
// rows name it twice).
func (x *pairIndex) byTicaga(id int64) (Pairing, bool) {
	i, found := slices.BinarySearchFunc(x.byUser, id, func(r int32, id int64) int { return cmp.Compare(x.rows[r].ticaga, id) })
	if !found {
		return Pairing{}, false
	}
	for i+1 < len(x.byUser) && x.rows[x.byUser[i+1]].ticaga == id {
		i++
	}
	return x.pairing(x.byUser[i]), true
}

// byBilling returns the rows pairing customer id of billing system system.
func (x *pairIndex) byBilling(system string, id BillingID) []Pairing {
	key, bk := SystemKey(system), keyOfBilling(id)
	cmpRow := func(r int32) int {
		if c := cmp.Compare(x.keys[x.rows[r].sys], key); c != 0 {
			return c
		}
		return x.billingKey(&x.rows[r]).compare(bk)
	}
	i, found := slices.BinarySearchFunc(x.byBill, 0, func(r int32, _ int) int { return cmpRow(r) })
	if !found {
		return nil
	}
	var out []Pairing
	for ; i < len(x.byBill) && cmpRow(x.byBill[i]) == 0; i++ {
		out = append(out, x.pairing(x.byBill[i]))
	}
	return out
}
