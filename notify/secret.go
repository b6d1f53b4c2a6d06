package notify

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

// scrubber replaces each of its secrets in a message with "[redacted]": the
// last line of defence for text that came from outside (a server echoing
// what it was sent).
type scrubber []string

// scrub returns msg without any of the secrets.
func (s scrubber) scrub(msg string) string {
	for _, v := range s {
		if v != "" {
			msg = strings.ReplaceAll(msg, v, redacted)
		}
	}
	return msg
}

// scrubbedError is an error whose text went through a scrubber; Unwrap keeps
// errors.Is working on the original.
type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// wrap returns err with its text scrubbed, nil for nil.
func (s scrubber) wrap(err error) error {
	if err == nil {
		return nil
	}
	msg := s.scrub(err.Error())
	if msg == err.Error() {
		return err
	}
	return &scrubbedError{msg: msg, err: err}
}
