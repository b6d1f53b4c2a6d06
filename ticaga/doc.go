// Package ticaga is the HTTP client for the documented Ticaga API: every
// endpoint (connection, register, login, customers, tickets, responses) with
// typed results, plus the ticagasync.Ticaga adapter the sync engine uses.
//
// Failures come back as *APIError values that name the endpoint template,
// what the call was about and the HTTP status ("ticaga: customers/get
// (id 17): HTTP 502: ..."). Three outcomes are also sentinels to test with
// errors.Is:
//
//   - ErrNotFound: Ticaga answered with one of its documented "no such
//     thing" bodies ({"error": "User not authenticated"}, "No tickets found
//     for this user.", "Ticket not found") on a 2xx, 404 or 410. It wraps
//     ticagasync.ErrNotFound.
//   - ErrAuthUnproven: such a body came on a 401 or 403, which a revoked
//     token may also produce. It matches ErrNotFound and
//     ticagasync.ErrAuthUnproven; it means "no such thing" only once a
//     connection probe made after it succeeds.
//   - ErrUnauthorized: the credentials were rejected (401/403 without a
//     not-found body, or a connection answer other than "true"). It wraps
//     ticagasync.ErrUnauthorized.
//
// Everything else (timeouts, 5xx, HTML pages, garbled JSON, a malformed
// user) means "unknown", never "absent". Idempotent calls are retried with
// jittered exponential backoff on network errors, 5xx and 429, honouring
// Retry-After, within a sleep budget of one Timeout per call. Requests are
// paced by the X-RateLimit-Limit / X-RateLimit-Remaining headers Laravel sends
// so that a throttled server is not driven into 429s: each window's budget is
// spent at once, then the client waits for the window's end (see pacer); a
// 429 is retried when the pacer says rather than after a backoff.
//
// The API token is held in a Secret and never appears in an error, a log line
// or a formatted Config. A Client is safe for concurrent use.
package ticaga
