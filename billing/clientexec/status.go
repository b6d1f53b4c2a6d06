package clientexec

import (
	"strconv"
	"strings"
)

// ClientExec keeps a user's status as a number (users.status).
const (
	StatusActive    = 1
	StatusPending   = 0
	StatusInactive  = -1
	StatusCancelled = -2
	StatusFraud     = -3
)

var statusNames = []struct {
	n    int
	name string
}{
	{StatusActive, "active"},
	{StatusPending, "pending"},
	{StatusInactive, "inactive"},
	{StatusCancelled, "cancelled"},
	{StatusFraud, "fraud"},
}

// Statuses returns ClientExec's statuses as the numbers users.status holds,
// written as strings: "1", "0", "-1", "-2", "-3".
func Statuses() []string {
	s := make([]string, len(statusNames))
	for i, st := range statusNames {
		s[i] = strconv.Itoa(st.n)
	}
	return s
}

// DefaultStatuses returns the statuses read when none are selected: "1".
func DefaultStatuses() []string { return []string{strconv.Itoa(StatusActive)} }

// ParseStatus reads a status given as its number ("1", "-2") or its name
// ("active", "pending", "inactive", "cancelled", "fraud"; any case).
func ParseStatus(word string) (int, bool) {
	word = strings.TrimSpace(word)
	for _, st := range statusNames {
		if word == strconv.Itoa(st.n) || strings.EqualFold(word, st.name) {
			return st.n, true
		}
	}
	return 0, false
}

// StatusName returns the name of status n ("active" for 1), or "" for a
// number ClientExec does not define.
func StatusName(n int) string {
	for _, st := range statusNames {
		if st.n == n {
			return st.name
		}
	}
	return ""
}
