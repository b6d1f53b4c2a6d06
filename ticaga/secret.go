package ticaga

import (
	"fmt"
	"io"
	"strings"
)

// redacted is what a Secret prints as.
const redacted = "[redacted]"

// Secret is a string that never prints: String, GoString, every fmt verb,
// MarshalJSON and MarshalText all give "[redacted]". Reveal returns the value.
type Secret string

// Reveal returns the secret value itself. Use it only to put the value on
// the wire.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]".
func (s Secret) String() string { return redacted }

// GoString returns "[redacted]", so %#v does not print the value either.
func (s Secret) GoString() string { return redacted }

// Format prints "[redacted]" for every verb (quoted for %q).
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = io.WriteString(f, `"`+redacted+`"`)
		return
	}
	_, _ = io.WriteString(f, redacted)
}

// MarshalJSON encodes the secret as the JSON string "[redacted]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }

// MarshalText encodes the secret as "[redacted]".
func (s Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// scrub replaces every occurrence of the secret in msg with "[redacted]".
// It is the last line of defence for text that came from outside (a server
// that echoes the Authorization header into its error body).
func (s Secret) scrub(msg string) string {
	if s == "" {
		return msg
	}
	return strings.ReplaceAll(msg, string(s), redacted)
}
