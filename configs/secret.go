package configs

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"

	"github.com/ticaga/ticaga-sync/internal/mysqlx"

	"github.com/ticaga/ticaga-sync/internal/secret"
)

// redacted is what a Secret prints instead of its value.
const redacted = secret.Redacted

// Secret is a string that never prints itself: fmt (every verb, including
// %#v and %q), encoding/json and encoding.TextMarshaler all see "[redacted]".
// Reveal returns the value for the one place that must send it.
type Secret = secret.Secret

// DSN is a go-sql-driver/mysql data source name
// (user:password@tcp(host:3306)/dbname). It prints with its password
// replaced by "***", or as "[invalid dsn]" when it does not parse, so a
// Config can be logged whole. Reveal returns the value to open a connection.
type DSN string

// Reveal returns the DSN with its password, for sql.Open and nothing else.
func (d DSN) Reveal() string { return string(d) }

// String returns the DSN with its password replaced by "***", "" for an
// empty DSN, or "[invalid dsn]" when it does not parse.
func (d DSN) String() string { return mysqlx.RedactDSN(string(d)) }

// GoString returns a Go expression of the redacted DSN, for %#v.
func (d DSN) GoString() string { return "configs.DSN(" + strconv.Quote(d.String()) + ")" }

// Format prints the redacted form (see String) for every verb.
func (d DSN) Format(f fmt.State, verb rune) { formatAs(f, verb, d.String(), d.GoString()) }

// MarshalJSON encodes the redacted form (see String) as a JSON string.
func (d DSN) MarshalJSON() ([]byte, error) { return json.Marshal(d.String()) }

// MarshalText encodes the redacted form (see String).
func (d DSN) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// formatAs writes shown for any verb: quoted for %q, goSyntax for %#v.
func formatAs(f fmt.State, verb rune, shown, goSyntax string) {
	switch {
	case verb == 'q':
		shown = strconv.Quote(shown)
	case verb == 'v' && f.Flag('#'):
		shown = goSyntax
	}
	_, _ = io.WriteString(f, shown)
}
