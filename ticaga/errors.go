package ticaga

import (
	"fmt"
	"strings"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// kindError is a sentinel that also matches a ticagasync sentinel.
type kindError struct {
	msg  string
	base error
}

func (e *kindError) Error() string { return e.msg }
func (e *kindError) Unwrap() error { return e.base }

// Sentinels to test with errors.Is. Each also matches its ticagasync
// counterpart, so the engine need not import this package.
var (
	// ErrNotFound means Ticaga answered with a documented "no such thing"
	// body: {"error": "User not authenticated"} (customers), "No tickets
	// found for this user." or "Ticket not found" (tickets, responses), on a
	// 2xx, 401, 403 or 404 status. It wraps ticagasync.ErrNotFound.
	ErrNotFound error = &kindError{"not found", ticagasync.ErrNotFound}
	// ErrUnauthorized means the credentials were rejected: a 401 or 403
	// without a not-found body, or a connection answer other than "true".
	// It wraps ticagasync.ErrUnauthorized.
	ErrUnauthorized error = &kindError{"unauthorized", ticagasync.ErrUnauthorized}
)

// APIError is a failed call. Every error the endpoint methods return for a
// request that was attempted is an *APIError (context cancellation aside);
// errors.Is(err, ErrNotFound) and errors.Is(err, ErrUnauthorized) see
// through it. Its text never contains the token, headers or URL credentials.
type APIError struct {
	// Endpoint is the endpoint template, e.g. "customers/get".
	Endpoint string
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
	// Err is the cause: ErrNotFound, ErrUnauthorized, a network error or nil.
	Err error
	// serverMsg is Ticaga's own {"error": ...} text, if any.
	serverMsg string
	// notSent is set when the request certainly did not reach the server
	// (the connection could not be made).
	notSent bool
}

// Error returns e.g. "ticaga: customers/get: HTTP 502: unexpected HTML page
// (not JSON)".
func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("ticaga: ")
	b.WriteString(e.Endpoint)
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

// notFoundStatus reports whether a not-found body on this status means "no
// such thing". The status is undocumented, so 2xx and 404 qualify; a 401 or
// 403 stays an authentication failure whatever its body says, because
// treating a revoked token as "these users are gone" would purge the
// directory (unknown is not absent).
func notFoundStatus(status int) bool {
	return (status >= 200 && status < 300) || status == 404
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
