package ticagatest

import (
	"math"
	"net/http"
	"strconv"
	"time"
)

// throttle is a Laravel-like fixed-window limiter: the window starts at the
// first hit after the previous one expired; guarded by Server.mu.
type throttle struct {
	limit  int
	window time.Duration
	start  time.Time
	hits   int
	served int // 429 answers
}

// Throttle limits authorized requests to limit per window, as Laravel's
// throttle middleware does: every answer after it carries X-RateLimit-Limit
// and X-RateLimit-Remaining, and a request over the limit gets 429 {"message":
// "Too Many Attempts."} with Retry-After (seconds) and X-RateLimit-Reset.
// Each call starts a fresh window; a limit of 0 turns throttling off.
func (s *Server) Throttle(limit int, window time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = throttle{limit: limit, window: window, served: s.throttle.served}
}

// TooManyRequests returns how many 429 answers the throttle gave (since
// the last ResetCalls).
func (s *Server) TooManyRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttle.served
}

// hit counts one request at now, sets the rate-limit headers, and reports
// whether the request may proceed; when not, it has set the 429 headers and
// the caller answers 429. s.mu is held.
func (t *throttle) hit(w http.ResponseWriter, now time.Time) bool {
	if t.limit <= 0 {
		return true
	}
	if t.start.IsZero() || now.Sub(t.start) >= t.window {
		t.start, t.hits = now, 0
	}
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(t.limit))
	if t.hits >= t.limit {
		end := t.start.Add(t.window)
		secs := int(math.Ceil(end.Sub(now).Seconds()))
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("Retry-After", strconv.Itoa(max(secs, 1)))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(int64(math.Ceil(float64(end.UnixNano())/1e9)), 10))
		t.served++
		return false
	}
	t.hits++
	h.Set("X-RateLimit-Remaining", strconv.Itoa(t.limit-t.hits))
	return true
}
