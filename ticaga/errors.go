package ticaga

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// kindError is a sentinel that also matches the errors it wraps.
type kindError struct {
	msg   string
	bases []error
}

func (e *kindError) Error() string   { return e.msg }
func (e *kindError) Unwrap() []error { return e.bases }

// Sentinels to test with errors.Is. Each also matches its ticagasync
// counterpart, so the engine need not import this package.
var (
	// ErrNotFound means Ticaga answered with a documented "no such thing"
	// body: {"error": "User not authenticated"} (customers), "No tickets
	// found for this user." or "Ticket not found" (tickets, responses). On
	// a 2xx, 404 or 410 status it is plain; on a 401 or 403 it comes as
	// ErrAuthUnproven, which also matches ErrNotFound. It wraps
	// ticagasync.ErrNotFound.
	ErrNotFound error = &kindError{"not found", []error{ticagasync.ErrNotFound}}
	// ErrAuthUnproven means a documented not-found body came with a 401 or
	// 403 status (customers/get, customers/assign, tickets and responses
	// endpoints): some Ticagas answer a missing user that way, but a revoked
	// token may look the same, so it means "no such thing" only once a
	// connection probe made after the answer succeeds. It matches
	// ErrNotFound, ticagasync.ErrNotFound and ticagasync.ErrAuthUnproven,
	// never ErrUnauthorized.
	ErrAuthUnproven error = &kindError{"not found on an authentication status, not yet proven",
		[]error{ErrNotFound, ticagasync.ErrAuthUnproven}}
	// ErrUnauthorized means the credentials were rejected: a 401 or 403
	// without a not-found body, or a connection answer other than "true".
	// It wraps ticagasync.ErrUnauthorized.
	ErrUnauthorized error = &kindError{"unauthorized", []error{ticagasync.ErrUnauthorized}}
)

// APIError is a failed call. Every error the endpoint methods return for a
// request that was attempted is an *APIError (context cancellation aside);
// errors.Is(err, ErrNotFound), errors.Is(err, ErrAuthUnproven) and
// errors.Is(err, ErrUnauthorized) see through it. Its text never contains
// the token, headers or URL credentials.
type APIError struct {
	// Endpoint is the endpoint template, e.g. "customers/get".
	Endpoint string
	// Subject names what the call was about, as the request named it:
	// "id 17" (customers/get, tickets/get/all), "ticaga_id 17"
	// (customers/assign), "id 2, ticket_id 8" (tickets/get),
	// "customer_id 2, ticket_id 8" (tickets/close), "ticket_id 8"
	// (responses/get); "" for connection, register and login.
	Subject string
	// Method is the HTTP method.
	Method string
	// Status is the HTTP status, or 0 when no answer arrived.
	Status int
	// Message says what went wrong, e.g. "unexpected HTML page (not JSON)".
	Message string
	// Retryable reports whether the same call may succeed later (network
	// errors, 408, 429, 5xx).
	Retryable bool
	// RetryAfter is the server's Retry-After, capped at MaxRetryAfter.
	RetryAfter time.Duration
	// Attempts is how many HTTP attempts were made in all.
	Attempts int
	// Err is the cause: ErrNotFound, ErrAuthUnproven (a not-found body on
	// a 401 or 403), ErrUnauthorized, a network error or nil.
	Err error
	// serverMsg is Ticaga's own {"error": ...} text, if any.
	serverMsg string
	// notSent is set when the request certainly did not reach the server
	// (the connection could not be made).
	notSent bool
}

// Error returns e.g. "ticaga: customers/get (id 17): HTTP 502: unexpected
// HTML page (not JSON) (after 7 attempts)".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("ticaga: ")
	b.WriteString(e.Endpoint)
	if e.Subject != "" {
		b.WriteString(" (")
		b.WriteString(e.Subject)
		b.WriteString(")")
	}
	b.WriteString(": ")
	if e.Status > 0 {
		fmt.Fprintf(&b, "HTTP %d: ", e.Status)
	}
	b.WriteString(e.Message)
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *APIError) Unwrap() error { return e.Err }

// retryableStatus reports whether an answer with this status may succeed on
// a later attempt.
func retryableStatus(status int) bool {
	return status == 408 || status == 429 || status >= 500
}

// notFoundMessages are Ticaga's documented "no such thing" bodies, in the
// form normMessage gives them.
var notFoundMessages = map[string]bool{
	"user not authenticated":         true,
	"no tickets found for this user": true,
	"ticket not found":               true,
}

// noResponsesMessage is the responses/get body for a ticket without answers.
const noResponsesMessage = "no responses found for this ticket"

// normMessage lower-cases msg and trims spaces and a final period.
func normMessage(msg string) string {
	return strings.TrimSuffix(strings.ToLower(strings.TrimSpace(msg)), ".")
}

// notFoundStatus reports whether a not-found body on this status plainly
// means "no such thing". The status is undocumented, so 2xx, 404 and 410
// qualify. A 401 or 403 does not (see authStatus): treating a revoked token
// as "these users are gone" would purge the directory (unknown is not
// absent).
func notFoundStatus(status int) bool {
	return (status >= 200 && status < 300) || status == http.StatusNotFound || status == http.StatusGone
}

// authStatus reports whether status is an authentication failure status:
// a not-found body on it is ErrAuthUnproven, anything else ErrUnauthorized.
func authStatus(status int) bool {
	return status == http.StatusUnauthorized || status == http.StatusForbidden
}

// printable shortens s to about n bytes and replaces control characters, for
// putting text that came from the server into a message.
func printable(s string, n int) string {
	var b strings.Builder
	for i, r := range s {
		if i >= n {
			b.WriteString("...")
			break
		}
		if r < 0x20 || r == 0x7f {
			r = ' '
		}
		b.WriteRune(r)
	}
	return b.String()
}
