package sync

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// BillingID is a billing system's customer id as the billing system spells
// it: a number for the database systems (Blesta clients.id, "17"), a string
// for TicketSource ("cst-dQyWKER4Orw5glVX"). It is what Ticaga stores as
// billing_id. The empty BillingID is no id.
//
// A numeric id (the decimal form of an int64, as BillingIDOf writes it)
// prints, sorts and encodes to JSON as the number it is, so the numeric
// systems look exactly as they did when ids were int64.
type BillingID string

// MaxBillingIDLen bounds a BillingID (the store's columns hold 64
// characters).
const MaxBillingIDLen = 64

// BillingIDOf is the BillingID of a numeric customer id.
func BillingIDOf(n int64) BillingID { return BillingID(strconv.FormatInt(n, 10)) }

// ParseBillingID reads an id given by a person or a remote system (sync
// --client, explain --client, an API answer): surrounding spaces are
// trimmed, a number is kept in its canonical form ("017" is 17), and an
// empty id, one longer than MaxBillingIDLen, or one with spaces or control
// characters inside is an error.
func ParseBillingID(s string) (BillingID, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("empty billing id")
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return BillingIDOf(n), nil
	}
	if len(s) > MaxBillingIDLen {
		return "", fmt.Errorf("billing id %.20q... is longer than %d characters", s, MaxBillingIDLen)
	}
	if i := strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == unicode.ReplacementChar }); i >= 0 {
		return "", fmt.Errorf("billing id %q holds a space or control character", s)
	}
	return BillingID(s), nil
}

// String is the id as written.
func (id BillingID) String() string { return string(id) }

// Int returns the id as a number when it is the canonical decimal form of
// an int64 (what BillingIDOf writes).
func (id BillingID) Int() (int64, bool) {
	n, err := strconv.ParseInt(string(id), 10, 64)
	if err != nil || strconv.FormatInt(n, 10) != string(id) {
		return 0, false
	}
	return n, true
}

// Numeric reports whether the id is a number (see Int).
func (id BillingID) Numeric() bool { _, ok := id.Int(); return ok }

// CompareBillingIDs orders ids: numbers first, by value (9 before 10), then
// the others in byte order. It returns -1, 0 or +1.
func CompareBillingIDs(a, b BillingID) int {
	an, aok := a.Int()
	bn, bok := b.Int()
	switch {
	case aok && bok:
		switch {
		case an < bn:
			return -1
		case an > bn:
			return 1
		}
		return 0
	case aok:
		return -1
	case bok:
		return 1
	}
	return strings.Compare(string(a), string(b))
}

// MarshalJSON writes a numeric id as a JSON number (17), any other as a
// string ("cst-..."), and no id as "".
func (id BillingID) MarshalJSON() ([]byte, error) {
	if _, ok := id.Int(); ok {
		return []byte(id), nil
	}
	return json.Marshal(string(id))
}

// UnmarshalJSON reads a number or a string (Ticaga sends billing_id both
// ways); null is no id.
func (id *BillingID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*id = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = BillingID(s)
		return nil
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return fmt.Errorf("billing id %s is neither a string nor an integer", b)
	}
	*id = BillingIDOf(n)
	return nil
}
