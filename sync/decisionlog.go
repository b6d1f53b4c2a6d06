package sync

import (
	"encoding/binary"
	"iter"
)

// decisionLog holds a run's decisions compactly, in the order they were
// added: each one encoded in a single byte arena (lengths as varints,
// actions and reasons as one-byte codes, the frequent details interned),
// about a third of a Decision's size with its strings. A decision replaced
// (by its outcome) is appended again and its old bytes left behind.
type decisionLog struct {
	arena arena
	// off is where each decision is, as the arena's chunk << 20 | the
	// offset in it: 4 bytes a decision while the arena has fewer than
	// 4096 chunks (4 GiB), the arena's own positions in wide after that.
	off     []uint32
	wide    []uint64
	scratch []byte
	excl    map[int]*Exclusion
	// statuses are the billing status words met (few), by their code.
	statuses []string
	statusOf map[string]byte
}

// arenaChunk is the size of an arena's chunks.
const arenaChunk = 1 << 20

// arena keeps records in chunks of arenaChunk bytes (a longer record gets
// a chunk of its own), so that it grows without copying what it holds.
type arena struct{ chunks [][]byte }

// add copies rec in and returns where it is.
func (a *arena) add(rec []byte) uint64 {
	n := len(a.chunks)
	if n == 0 || len(a.chunks[n-1])+len(rec) > cap(a.chunks[n-1]) {
		a.chunks = append(a.chunks, make([]byte, 0, max(arenaChunk, len(rec))))
		n++
	}
	c := a.chunks[n-1]
	pos := uint64(n-1)<<32 | uint64(len(c))
	a.chunks[n-1] = append(c, rec...)
	return pos
}

// at returns the bytes from pos to the end of its chunk.
func (a *arena) at(pos uint64) []byte { return a.chunks[pos>>32][pos&(1<<32-1):] }

// The codes of actions and reasons: the index in these lists, 255 when the
// value is not in them (the string follows).
var (
	actionCodes = []Action{ActionLink, ActionCreate, ActionAlreadyLinked, ActionNoMatch, ActionConflict,
		ActionInvalidEmail, ActionExcluded, ActionFailed}
	reasonCodes = []Reason{ReasonNone, ReasonNoTicagaUser, ReasonTicagaUserGone, ReasonTicagaEmailDiff,
		ReasonProvisionLimit, ReasonProvisionBlocked, ReasonTicagaEmailTaken, ReasonProvisionRefused,
		ReasonMalformedEmail, ReasonBadBillingRow, ReasonDuplicateBillingEmail, ReasonDuplicateTicagaEmail,
		ReasonTicagaOtherBillingID, ReasonTicagaOtherBillingSystem, ReasonClientPairedElsewhere,
		ReasonTicagaUserPairedElsewhere, ReasonTicagaUnknown, ReasonStoreWrite, ReasonCancelled,
		ReasonTicagaBusy, ReasonOperatorExcluded, ReasonTicagaRefused}
	// detailCodes are details many decisions share.
	detailCodes = []string{"", detailNoTicagaUser}
)

const detailNoTicagaUser = "no Ticaga user has this email"

const literal = 255

func codeOf[T comparable](list []T, v T) byte {
	for i, x := range list {
		if x == v {
			return byte(i)
		}
	}
	return literal
}

// Len returns the number of decisions.
func (l *decisionLog) Len() int {
	if l == nil {
		return 0
	}
	return max(len(l.off), len(l.wide))
}

// add appends d and returns its index.
func (l *decisionLog) add(d Decision) int {
	i := l.Len()
	if l.wide != nil {
		l.wide = append(l.wide, 0)
	} else {
		l.off = append(l.off, 0)
	}
	l.put(i, d)
	return i
}

// set replaces decision i by d.
func (l *decisionLog) set(i int, d Decision) { l.put(i, d) }

func (l *decisionLog) put(i int, d Decision) {
	c := d.Contact
	b := appendBillingID(l.scratch[:0], c.BillingID)
	for _, s := range []string{c.Email, c.FirstName, c.LastName, c.Company} {
		b = appendString(b, s)
	}
	b = l.appendStatus(b, c.Status)
	b = appendString(b, c.Problem)
	b = binary.AppendVarint(b, c.CompanyID)
	b = binary.AppendVarint(b, d.TicagaID)
	var flags byte
	if d.Assigned {
		flags |= 1
	}
	b = append(b, flags)
	b = appendCoded(b, actionCodes, d.Action)
	b = appendCoded(b, reasonCodes, d.Reason)
	b = appendCoded(b, detailCodes, d.Detail)
	l.scratch = b
	l.setPos(i, l.arena.add(b))
	if d.Exclusion != nil {
		if l.excl == nil {
			l.excl = map[int]*Exclusion{}
		}
		l.excl[i] = d.Exclusion
	} else {
		delete(l.excl, i)
	}
}

// appendStatus appends the code of status, or literal and the word once
// 255 words are known.
func (l *decisionLog) appendStatus(b []byte, status string) []byte {
	code, ok := l.statusOf[status]
	if !ok && len(l.statuses) < literal {
		if l.statusOf == nil {
			l.statusOf = map[string]byte{}
		}
		code, ok = byte(len(l.statuses)), true
		l.statusOf[status] = code
		l.statuses = append(l.statuses, status)
	}
	if !ok {
		return appendString(append(b, literal), status)
	}
	return append(b, code)
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendBillingID appends id: a number (see BillingID.Int) from 0 to
// 2^62-1 as the varint 2n+1, in 1 to 4 bytes for the ids billing systems
// hand out, any other id as a string whose length is shifted left by one.
func appendBillingID(b []byte, id BillingID) []byte {
	if n, ok := id.Int(); ok && n >= 0 && n < 1<<62 {
		return binary.AppendUvarint(b, uint64(n)<<1|1)
	}
	b = binary.AppendUvarint(b, uint64(len(id))<<1)
	return append(b, id...)
}

func appendCoded[T ~string](b []byte, list []T, v T) []byte {
	code := codeOf(list, v)
	b = append(b, code)
	if code == literal {
		b = appendString(b, string(v))
	}
	return b
}

// narrowChunks is the number of chunks whose positions fit 32 bits: a
// chunk's offsets are below arenaChunk (a longer record starts a chunk).
// A variable so that a test can cross it.
var narrowChunks uint64 = 1 << (32 - 20)

// The 32-bit positions keep 20 bits for the offset in a chunk.
var (
	_ [arenaChunk - 1<<20]struct{}
	_ [1<<20 - arenaChunk]struct{}
)

// setPos records that decision i is at pos in the arena.
func (l *decisionLog) setPos(i int, pos uint64) {
	if chunk := pos >> 32; l.wide == nil && chunk >= narrowChunks {
		l.wide = make([]uint64, len(l.off))
		for j, p := range l.off {
			l.wide[j] = l.widen(p)
		}
		l.off = nil
	}
	if l.wide != nil {
		l.wide[i] = pos
		return
	}
	l.off[i] = uint32(pos>>32<<20 | pos&(arenaChunk-1))
}

func (l *decisionLog) widen(p uint32) uint64 { return uint64(p>>20)<<32 | uint64(p&(arenaChunk-1)) }

// record returns the bytes of decision i (and whatever follows in its
// chunk).
func (l *decisionLog) record(i int) []byte {
	if l.wide != nil {
		return l.arena.at(l.wide[i])
	}
	return l.arena.at(l.widen(l.off[i]))
}

// at returns decision i.
func (l *decisionLog) at(i int) Decision {
	r := logReader{b: l.record(i)}
	var d Decision
	d.Contact.BillingID = r.billingID()
	d.Contact.Email = r.str()
	d.Contact.FirstName = r.str()
	d.Contact.LastName = r.str()
	d.Contact.Company = r.str()
	if code := r.byte(); code == literal {
		d.Contact.Status = r.str()
	} else {
		d.Contact.Status = l.statuses[code]
	}
	d.Contact.Problem = r.str()
	d.Contact.CompanyID = r.varint()
	d.TicagaID = r.varint()
	d.Assigned = r.byte()&1 != 0
	d.Action = readCoded(&r, actionCodes)
	d.Reason = readCoded(&r, reasonCodes)
	d.Detail = readCoded(&r, detailCodes)
	d.Exclusion = l.excl[i]
	return d
}

// action returns the action of decision i without decoding the rest.
func (l *decisionLog) action(i int) Action {
	r := logReader{b: l.record(i)}
	r.billingID()
	for range 4 {
		r.skip()
	}
	if r.byte() == literal {
		r.skip()
	}
	r.skip()
	r.varint()
	r.varint()
	r.byte()
	return readCoded(&r, actionCodes)
}

type logReader struct{ b []byte }

func (r *logReader) str() string {
	n, k := binary.Uvarint(r.b)
	s := string(r.b[k : k+int(n)])
	r.b = r.b[k+int(n):]
	return s
}

func (r *logReader) billingID() BillingID {
	v, k := binary.Uvarint(r.b)
	if v&1 == 1 {
		r.b = r.b[k:]
		return BillingIDOf(int64(v >> 1))
	}
	n := int(v >> 1)
	id := BillingID(r.b[k : k+n])
	r.b = r.b[k+n:]
	return id
}

func (r *logReader) skip() {
	n, k := binary.Uvarint(r.b)
	r.b = r.b[k+int(n):]
}

func (r *logReader) varint() int64 {
	v, k := binary.Varint(r.b)
	r.b = r.b[k:]
	return v
}

func (r *logReader) byte() byte {
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func readCoded[T ~string](r *logReader, list []T) T {
	code := r.byte()
	if code == literal {
		return T(r.str())
	}
	return list[code]
}

// all yields the decisions in order.
func (l *decisionLog) all() iter.Seq[Decision] {
	return func(yield func(Decision) bool) {
		for i := range l.Len() {
			if !yield(l.at(i)) {
				return
			}
		}
	}
}

// All yields every decision of the run, one per selected customer in the
// order the billing source passed them. A run keeps them compactly rather
// than in Decisions; a Report built by hand (or from a JSON report) has
// them in Decisions, which All then yields.
func (r *Report) All() iter.Seq[Decision] {
	if r.log != nil {
		return r.log.all()
	}
	return func(yield func(Decision) bool) {
		for _, d := range r.Decisions {
			if !yield(d) {
				return
			}
		}
	}
}

// Select yields the decisions of the run whose action keep accepts, in
// the order of All; a run's compact log decodes only those.
func (r *Report) Select(keep func(Action) bool) iter.Seq[Decision] {
	if r.log == nil {
		return func(yield func(Decision) bool) {
			for _, d := range r.Decisions {
				if keep(d.Action) && !yield(d) {
					return
				}
			}
		}
	}
	return r.log.selected(keep)
}

// selected yields the decisions whose action keep accepts.
func (l *decisionLog) selected(keep func(Action) bool) iter.Seq[Decision] {
	return func(yield func(Decision) bool) {
		for i := range l.Len() {
			if keep(l.action(i)) && !yield(l.at(i)) {
				return
			}
		}
	}
}

// NumDecisions returns how many decisions All yields.
func (r *Report) NumDecisions() int {
	if r.log != nil {
		return r.log.Len()
	}
	return len(r.Decisions)
}

// tally counts the decisions of r.
func (r *Report) tally() Counts {
	var c Counts
	if r.log != nil {
		for i := range r.log.Len() {
			c.Add(r.log.action(i))
		}
		return c
	}
	for _, d := range r.Decisions {
		c.Add(d.Action)
	}
	return c
}
