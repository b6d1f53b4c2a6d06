package billing

import (
	"fmt"
	"slices"
	"strings"
)

// DefaultStatuses returns the statuses read when none are configured:
// "active" (Blesta, FOSSBilling), "Active" (WHMCS), "1" (ClientExec); nil
// for an unknown kind.
func DefaultStatuses(kind string) []string {
	s, err := lookup(kind)
	if err != nil {
		return nil
	}
	return s.defaults()
}

// ValidStatuses returns the status words of billing system kind, as its
// database stores them; nil for an unknown kind. ClientExec's are numbers
// ("1", "0", "-1", "-2", "-3"); ValidateStatuses also accepts their names.
func ValidStatuses(kind string) []string {
	s, err := lookup(kind)
	if err != nil {
		return nil
	}
	return s.valid()
}

// ValidateStatuses checks configured status words (in any case) against
// billing system kind. Its error reads well after the name of the setting,
// as in "BILLING_STATUSES: unknown status "activ" for blesta (valid:
// active, inactive, fraud)". An empty list is valid: it means the defaults.
func ValidateStatuses(kind string, statuses []string) error {
	s, err := lookup(kind)
	if err != nil {
		return err
	}
	_, err = canonicalStatuses(s, statuses)
	return err
}

// CanonicalStatuses spells each of words as billing system kind's database
// stores it (ClientExec names become numbers), without duplicates; nil for
// none. An unknown word is an error as ValidateStatuses gives it.
func CanonicalStatuses(kind string, words []string) ([]string, error) {
	s, err := lookup(kind)
	if err != nil {
		return nil, err
	}
	return canonicalStatuses(s, words)
}

// canonicalStatuses spells each word as the database stores it (ClientExec
// names become numbers), without duplicates; nil for none.
func canonicalStatuses(s system, words []string) ([]string, error) {
	var out []string
	for _, w := range words {
		c, ok := canonicalStatus(s, w)
		if !ok {
			return nil, fmt.Errorf("unknown status %q for %s (valid: %s)", w, s.kind, validList(s))
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

func canonicalStatus(s system, word string) (string, bool) {
	if s.canonical != nil {
		return s.canonical(word)
	}
	word = strings.TrimSpace(word)
	for _, v := range s.valid() {
		if strings.EqualFold(v, word) {
			return v, true
		}
	}
	return "", false
}

// validList lists the valid words for an error message, as s labels them
// (ClientExec's numbers come with their names: "1/active").
func validList(s system) string {
	valid := s.valid()
	if s.label != nil {
		for i, v := range valid {
			valid[i] = s.label(v)
		}
	}
	return strings.Join(valid, ", ")
}
