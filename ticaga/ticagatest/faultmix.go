package ticagatest

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// FaultMix is a hostile network in front of Ticaga: each authorized
// request, to any endpoint, independently draws at most one fault, with
// these probabilities (each in [0, 1]; should they add up to more than 1,
// the later ones in this order get what is left). The zero FaultMix is off.
type FaultMix struct {
	// ServerError answers 500, 502 or 503 (equally likely) with
	// {"message": "Server Error"}.
	ServerError float64
	// TooManyRequests answers 429 {"message": "Too Many Attempts."} with a
	// Retry-After of RetryAfter in whole seconds (at least 1).
	TooManyRequests float64
	// Drop closes the connection with no answer. Go's client transparently
	// retries a GET once when a reused connection is dropped this way.
	Drop float64
	// HTML answers 502 with an nginx "Bad Gateway" HTML page.
	HTML float64
	// RetryAfter is the Retry-After of TooManyRequests answers (default 1s).
	RetryAfter time.Duration
}

// SetFaultMix turns the random faults of m on (the zero FaultMix turns
// them off). They are drawn from Options.Seed's generator after
// authentication, the throttle and the counted failures of FailNext,
// FailEndpoint, HTMLErrors and SetFailureRate.
func (s *Server) SetFaultMix(m FaultMix) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mix = m
}

// drawMix draws the FaultMix fault of one request: the fault, its status
// and, for faultTooMany, the Retry-After seconds. s.mu is held.
func (s *Server) drawMix() (f fault, status, retryAfter int) {
	m := s.mix
	if m == (FaultMix{}) {
		return faultNone, 0, 0
	}
	x := s.rng.Float64()
	if x -= m.ServerError; x < 0 {
		codes := []int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}
		return faultStatus, codes[s.rng.IntN(len(codes))], 0
	}
	if x -= m.TooManyRequests; x < 0 {
		ra := m.RetryAfter
		if ra <= 0 {
			ra = time.Second
		}
		return faultTooMany, http.StatusTooManyRequests, max(1, int(math.Ceil(ra.Seconds())))
	}
	if x -= m.Drop; x < 0 {
		return faultDrop, 0, 0
	}
	if x -= m.HTML; x < 0 {
		return faultHTML, http.StatusBadGateway, 0
	}
	return faultNone, 0, 0
}

// writeTooMany answers 429 with Retry-After secs, as Laravel's throttle.
func writeTooMany(w http.ResponseWriter, secs int) {
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeJSON(w, http.StatusTooManyRequests, map[string]string{"message": "Too Many Attempts."})
}
