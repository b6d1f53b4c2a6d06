package ticagatest

import (
	"net/http"
	"time"
)

// faults are the failure knobs; guarded by Server.mu.
type faults struct {
	latency        time.Duration
	down           bool
	drops          int
	htmlErrors     int
	failAny        pending            // failures for the next requests to any endpoint
	failEndpoint   map[string]pending // failures for the next requests to one endpoint
	failRate       float64
	failRateStatus int
	notFoundStatus int
}

// pending is a number of requests still to fail with a status.
type pending struct{ n, status int }

// take consumes one failure, if any is left.
func (p *pending) take() (int, bool) {
	if p.n <= 0 {
		return 0, false
	}
	p.n--
	return p.status, true
}

// SetLatency delays every answer by d (0: none).
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.latency = d
}

// Down makes every request fail with 503 {"message": "Service Unavailable"}
// (as Laravel's maintenance mode does) while down is true.
func (s *Server) Down(down bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.down = down
}

// DropConnections makes the next n requests end with the connection closed
// and no answer. Note that Go's client transparently retries a GET once when
// a reused connection is closed this way.
func (s *Server) DropConnections(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.drops = n
}

// HTMLErrors makes the next n authorized requests answer 502 with an HTML
// page, as a reverse proxy in front of a dead PHP does.
func (s *Server) HTMLErrors(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.htmlErrors = n
}

// FailNext makes the next n authorized requests, to any endpoint, answer
// status with {"message": "Server Error"}. It replaces what an earlier
// FailNext left pending; n = 0 clears it.
func (s *Server) FailNext(n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults.failAny = pending{n, status}
}

// FailEndpoint makes the next n authorized requests to endpoint (a template
// as in Calls) answer status with {"message": "Server Error"}. It replaces
// what an earlier FailEndpoint left pending for endpoint; n = 0 clears it.
// Endpoint failures are used before FailNext ones.
func (s *Server) FailEndpoint(endpoint string, n, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults.failEndpoint == nil {
		s.faults.failEndpoint = make(map[string]pending)
	}
	s.faults.failEndpoint[endpoint] = pending{n, status}
}

// SetFailureRate makes each authorized request fail with status (500 when
// 0) with probability rate (0: never), drawn from Options.Seed.
func (s *Server) SetFailureRate(rate float64, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 0 {
		status = http.StatusInternalServerError
	}
	s.faults.failRate, s.faults.failRateStatus = rate, status
}

// SetNotFoundStatus sets the status the documented not-found bodies
// ({"error": "User not authenticated"}, "No tickets found for this user.",
// "Ticket not found", "No responses found for this ticket.") come with,
// since Ticaga does not document it: 200 (the default), 404, 410, or 401 /
// 403 to model a Ticaga whose missing users look like a rejected token.
// Any status is sent as given; 0 restores 200.
func (s *Server) SetNotFoundStatus(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if status == 0 {
		status = http.StatusOK
	}
	s.faults.notFoundStatus = status
}

// fault is what to do with one request instead of serving it.
type fault int

const (
	faultNone    fault = iota
	faultDrop          // close the connection, no answer
	faultHTML          // the status with an nginx HTML page
	faultStatus        // the status with {"message": "Server Error"}
	faultTooMany       // 429 with a Retry-After
)

// takeFault picks the injected failure for a request to endpoint that
// passed auth and the throttle, consuming it. s.mu is held.
func (s *Server) takeFault(endpoint string) (fault, int) {
	f := &s.faults
	if f.htmlErrors > 0 {
		f.htmlErrors--
		return faultHTML, http.StatusBadGateway
	}
	if p, ok := f.failEndpoint[endpoint]; ok {
		status, ok := p.take()
		f.failEndpoint[endpoint] = p
		if ok {
			return faultStatus, status
		}
	}
	if status, ok := f.failAny.take(); ok {
		return faultStatus, status
	}
	if f.failRate > 0 && s.rng.Float64() < f.failRate {
		return faultStatus, f.failRateStatus
	}
	return faultNone, 0
}

// badGatewayPage is what HTMLErrors answers.
const badGatewayPage = `<!DOCTYPE html>
<html><head><title>502 Bad Gateway</title></head>
<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>
`

// dropConnection closes the client's connection without an answer.
func dropConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // net/http closes the connection
	}
	conn, _, err := hj.Hijack()
	if err == nil {
		_ = conn.Close()
	}
}
