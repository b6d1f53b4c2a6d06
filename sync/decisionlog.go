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
	buf []byte
	off []uint32
	// big holds the offsets past 4 GiB: never in practice, but correct.
	big  map[int]int
	excl map[int]*Exclusion
}

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
	return len(l.off)
}

// add appends d and returns its index.
func (l *decisionLog) add(d Decision) int {
	i := len(l.off)
	l.off = append(l.off, 0)
	l.put(i, d)
	return i
}

// set replaces decision i by d.
func (l *decisionLog) set(i int, d Decision) { l.put(i, d) }

func (l *decisionLog) put(i int, d Decision) {
	at := len(l.buf)
	if at <= 1<<32-1 {
		l.off[i] = uint32(at)
		delete(l.big, i)
	} else {
		if l.big == nil {
			l.big = map[int]int{}
		}
		l.big[i] = at
	}
	c := d.Contact
	b := l.buf
	for _, s := range []string{string(c.BillingID), c.Email, c.FirstName, c.LastName, c.Company, c.Status, c.Problem} {
		b = appendString(b, s)
	}
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
	l.buf = b
	if d.Exclusion != nil {
		if l.excl == nil {
			l.excl = map[int]*Exclusion{}
		}
		l.excl[i] = d.Exclusion
	} else {
		delete(l.excl, i)
	}
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendCoded[T ~string](b []byte, list []T, v T) []byte {
	code := codeOf(list, v)
	b = append(b, code)
	if code == literal {
		b = appendString(b, string(v))
	}
	return b
}

// at returns decision i.
func (l *decisionLog) at(i int) Decision {
	at := int(l.off[i])
	if x, ok := l.big[i]; ok {
		at = x
	}
	r := logReader{b: l.buf[at:]}
	var d Decision
	d.Contact.BillingID = BillingID(r.str())
	d.Contact.Email = r.str()
	d.Contact.FirstName = r.str()
	d.Contact.LastName = r.str()
	d.Contact.Company = r.str()
	d.Contact.Status = r.str()
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
func (l *decisionLog) action(i int) Action { return l.at(i).Action }

type logReader struct{ b []byte }

func (r *logReader) str() string {
	n, k := binary.Uvarint(r.b)
	s := string(r.b[k : k+int(n)])
	r.b = r.b[k+int(n):]
	return s
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
	for d := range r.All() {
		c.Add(d.Action)
	}
	return c
}
