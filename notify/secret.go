package notify

import (
	"strings"

	"github.com/ticaga/ticaga-sync/internal/secret"
)

// Secret is a credential (the SMTP password): a string that never prints
// (every fmt verb, JSON and text give "[redacted]"). Reveal returns it.
type Secret = secret.Secret

// redacted is what a Secret prints as.
const redacted = secret.Redacted

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
