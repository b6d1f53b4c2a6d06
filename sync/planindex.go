package sync

import (
	"cmp"
	"hash/maphash"
	"iter"
	"slices"
	"strings"
)

// userIndex finds Ticaga users by id (through get, the directory's own
// lookup) and by normalised email, with two lists sorted together: the top
// 32 bits of each user's email hash and the user's id, 12 bytes a user
// instead of a map of strings. A hash names candidates only: each is
// checked against the user's real email.
type userIndex struct {
	get  func(id int64) (TicagaUser, bool)
	seed maphash.Seed
	hs   []uint32
	ids  []int64
}

// newUserIndex indexes the users all yields (about n of them); get finds
// one by id.
func newUserIndex(get func(id int64) (TicagaUser, bool), all iter.Seq[TicagaUser], n int) *userIndex {
	x := &userIndex{get: get, seed: maphash.MakeSeed()}
	type hashID struct {
		h  uint32
		id int64
	}
	byHash := make([]hashID, 0, n)
	for u := range all {
		if key, ok := NormalizeEmail(u.Email); ok {
			byHash = append(byHash, hashID{h: x.hash32(key), id: u.ID})
		}
	}
	slices.SortFunc(byHash, func(a, b hashID) int {
		if c := cmp.Compare(a.h, b.h); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	x.hs, x.ids = make([]uint32, len(byHash)), make([]int64, len(byHash))
	for i, e := range byHash {
		x.hs[i], x.ids[i] = e.h, e.id
	}
	return x
}

// hash returns the 64-bit hash of a normalised email.
func (x *userIndex) hash(key string) uint64 { return maphash.String(x.seed, key) }

// hash32 returns its top 32 bits.
func (x *userIndex) hash32(key string) uint32 { return uint32(x.hash(key) >> 32) }

// withEmail returns the users whose normalised email is key, in id order.
func (x *userIndex) withEmail(key string) []TicagaUser {
	h := x.hash32(key)
	i, _ := slices.BinarySearch(x.hs, h)
	var out []TicagaUser
	for ; i < len(x.hs) && x.hs[i] == h; i++ {
		u, ok := x.get(x.ids[i])
		if !ok {
			continue
		}
		if k, ok := NormalizeEmail(u.Email); ok && k == key {
			out = append(out, u)
		}
	}
	return out
}

// pairIndex holds the pairing rows compactly (the billing system and
// company interned, the email only when asked for) and finds them by
// Ticaga user and by billing customer.
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
	// groups are the (billing system, company) pairs the rows name (few).
	groups  []pairGroup
	groupOf map[pairGroup]uint32
	text    []BillingID
	// emails holds each row's email when it is kept (not nil): explain
	// shows them, runs do not need them.
	emails []string
}

// pairRow is a row in 24 bytes.
type pairRow struct {
	ticaga int64
	// num is the billing id when it is a number (see BillingID.Int),
	// text[str-1] when str is not 0: numbers take no string.
	num int64
	str int32
	// grp is the row's billing system and company, in groups.
	grp uint32
}

type pairGroup struct {
	sys     uint16
	company int64
}

func (x *pairIndex) sys(r *pairRow) uint16 { return x.groups[r.grp].sys }

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

func newPairIndex() *pairIndex {
	return &pairIndex{sysOf: map[string]uint16{}, groupOf: map[pairGroup]uint32{}}
}

// add adds a row; done must be called after the last.
func (x *pairIndex) add(p Pairing) {
	s, ok := x.sysOf[p.BillingSystem]
	if !ok {
		s = uint16(len(x.systems))
		x.sysOf[p.BillingSystem] = s
		x.systems = append(x.systems, p.BillingSystem)
		x.keys = append(x.keys, SystemKey(p.BillingSystem))
	}
	g := pairGroup{sys: s, company: p.CompanyID}
	grp, ok := x.groupOf[g]
	if !ok {
		grp = uint32(len(x.groups))
		x.groupOf[g] = grp
		x.groups = append(x.groups, g)
	}
	r := pairRow{ticaga: p.TicagaUserID, grp: grp}
	if n, ok := p.BillingUserID.Int(); ok {
		r.num = n
	} else {
		x.text = append(x.text, p.BillingUserID)
		r.str = int32(len(x.text))
	}
	x.rows = append(x.rows, r)
	if x.emails != nil {
		x.emails = append(x.emails, p.Email)
	}
}

// done sorts the indexes.
func (x *pairIndex) done() {
	// Exactly as long as needed: append's spare room would stay for the run.
	x.rows = append(make([]pairRow, 0, len(x.rows)), x.rows...)
	x.byUser = make([]int32, len(x.rows))
	x.byBill = make([]int32, len(x.rows))
	for i := range x.rows {
		x.byUser[i], x.byBill[i] = int32(i), int32(i)
	}
	slices.SortStableFunc(x.byUser, func(a, b int32) int { return cmp.Compare(x.rows[a].ticaga, x.rows[b].ticaga) })
	slices.SortStableFunc(x.byBill, func(a, b int32) int {
		ra, rb := &x.rows[a], &x.rows[b]
		if c := cmp.Compare(x.keys[x.sys(ra)], x.keys[x.sys(rb)]); c != 0 {
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
	g := x.groups[r.grp]
	p := Pairing{TicagaUserID: r.ticaga, BillingUserID: id, BillingSystem: x.systems[g.sys], CompanyID: g.company}
	if x.emails != nil {
		p.Email = x.emails[i]
	}
	return p
}

// len returns the number of rows.
func (x *pairIndex) len() int { return len(x.rows) }

// each yields every row in table order, without its email unless the
// index keeps them.
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
		if c := cmp.Compare(x.keys[x.sys(&x.rows[r])], key); c != 0 {
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
