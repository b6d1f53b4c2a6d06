// Package secret holds the one type every package uses for a credential
// (the Ticaga API token, the SMTP password, a webhook URL): a string that
// never prints itself.
package secret

import (
	"fmt"
	"io"
	"strings"
)

// Redacted is what a Secret prints as.
const Redacted = "[redacted]"

// Secret is a string that never prints: String, GoString, every fmt verb,
// MarshalJSON and MarshalText all give "[redacted]". Reveal returns the value.
type Secret string

// Reveal returns the secret value itself. Use it only to put the value on
// the wire.
func (s Secret) Reveal() string { return string(s) }

// String returns "[redacted]".
func (s Secret) String() string { return Redacted }

// GoString returns "[redacted]", so %#v does not print the value either.
func (s Secret) GoString() string { return Redacted }

// Format prints "[redacted]" for every verb (quoted for %q).
func (s Secret) Format(f fmt.State, verb rune) {
	if verb == 'q' {
		_, _ = io.WriteString(f, `"`+Redacted+`"`)
		return
	}
	_, _ = io.WriteString(f, Redacted)
}

// MarshalJSON encodes the secret as the JSON string "[redacted]".
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + Redacted + `"`), nil }

// MarshalText encodes the secret as "[redacted]".
func (s Secret) MarshalText() ([]byte, error) { return []byte(Redacted), nil }

// Scrub replaces every occurrence of the secret in msg with "[redacted]":
// the last line of defence for text that came from outside (a server that
// echoes the Authorization header into its error body).
func (s Secret) Scrub(msg string) string {
	if s == "" {
		return msg
	}
	return strings.ReplaceAll(msg, string(s), Redacted)
}
