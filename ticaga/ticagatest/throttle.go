package ticagatest

import (
	"net/http"
	"strconv"
	"time"
)

// ThrottleOptions describe a Laravel throttle (the ThrottleRequests
// middleware over the cache-based Illuminate\Cache\RateLimiter). Laravel
// does, per key:
//
//	if attempts >= limit: if the ":timer" key exists answer 429, else reset attempts
//	hit: add(":timer", now+decay, decay); add(key, 0, decay); increment(key)
//	handle the request, then X-RateLimit-Remaining = limit - attempts
//
// so the window starts at the first hit after the previous one expired, a
// 429 is not counted, and on a 429 Retry-After is availableIn = timer -
// now in whole seconds (the timer holds a Unix time in seconds),
// X-RateLimit-Reset the timer and X-RateLimit-Remaining 0. What Laravel
// leaves to the cache store and the real Ticaga does not document are the
// variants below; the zero value is Redis' (precise expiry), with the
// remaining count read when the hit is made.
type ThrottleOptions struct {
	// Limit is the number of requests a window allows (0: no throttle).
	Limit int
	// Window is the decay time; Laravel's is a whole number of seconds.
	Window time.Duration
	// WholeSecondStore makes the window end at the timer's whole second
	// (floor(start) + Window), as the file, database and array cache
	// stores expire keys; otherwise it ends Window after its first hit, as
	// Redis and Memcached do.
	WholeSecondStore bool
	// CeilRetryAfter makes Retry-After the time left in the window rounded
	// up to whole seconds (at least 1), as a proxy or a custom limiter
	// would compute it, instead of Laravel's timer - floor(now), which can
	// be short by up to a second, and 0, with a precise store.
	CeilRetryAfter bool
	// RemainingAfterHandler reads X-RateLimit-Remaining after the request
	// was handled, as Laravel does, so that it also counts the hits of
	// concurrent requests that arrived meanwhile (and reads the full limit
	// when the window expired meanwhile); otherwise limit - hits right
	// after this request's hit.
	RemainingAfterHandler bool
}

// throttle is the state of a ThrottleOptions limiter; guarded by Server.mu.
type throttle struct {
	ThrottleOptions
	start   time.Time // the first hit of the current window (zero: none)
	hits    int
	served  int // 429 answers
	windows int // windows opened
}

// Throttle limits authorized requests to limit per window, as Laravel's
// throttle middleware does with the Redis cache store (see
// ThrottleOptions): every answer after it carries X-RateLimit-Limit and
// X-RateLimit-Remaining, and a request over the limit gets 429 {"message":
// "Too Many Attempts."} with Retry-After (seconds) and X-RateLimit-Reset.
// Each call starts a fresh window; a limit of 0 turns throttling off.
func (s *Server) Throttle(limit int, window time.Duration) {
	s.ThrottleWith(ThrottleOptions{Limit: limit, Window: window})
}

// ThrottleWith is Throttle with one of the variants ThrottleOptions
// describes.
func (s *Server) ThrottleWith(o ThrottleOptions) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.throttle = throttle{ThrottleOptions: o, served: s.throttle.served, windows: s.throttle.windows}
}

// ThrottleWindows returns how many windows the throttle opened (since the
// last ResetCalls): a client that spends every window's budget needs
// ceil(requests / limit).
func (s *Server) ThrottleWindows() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttle.windows
}

// TooManyRequests returns how many 429 answers the throttle gave (since
// the last ResetCalls).
func (s *Server) TooManyRequests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttle.served
}

// end returns when the current window expires. t.start is not zero.
func (t *throttle) end() time.Time {
	if t.WholeSecondStore {
		return time.Unix(t.start.Unix(), 0).Add(t.Window)
	}
	return t.start.Add(t.Window)
}

// timer is the value Laravel stores in the ":timer" key: the Unix time in
// whole seconds at which the window ends (availableAt(decay)).
func (t *throttle) timer() int64 {
	return t.start.Unix() + int64(t.Window/time.Second)
}

// expire forgets the window when it has expired at now.
func (t *throttle) expire(now time.Time) {
	if !t.start.IsZero() && !now.Before(t.end()) {
		t.start, t.hits = time.Time{}, 0
	}
}

// hit counts one request at now, sets the rate-limit headers, and reports
// whether the request may proceed; when not, it has set the 429 headers and
// the caller answers 429. s.mu is held.
func (t *throttle) hit(w http.ResponseWriter, now time.Time) bool {
	if t.Limit <= 0 {
		return true
	}
	t.expire(now)
	h := w.Header()
	h.Set("X-RateLimit-Limit", strconv.Itoa(t.Limit))
	if t.hits >= t.Limit { // tooManyAttempts: checked before the hit, which is not made
		var wait int64
		if t.CeilRetryAfter {
			left := t.end().Sub(now)
			wait = max(int64((left+time.Second-1)/time.Second), 1)
		} else {
			wait = max(t.timer()-now.Unix(), 0) // availableIn
		}
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("Retry-After", strconv.FormatInt(wait, 10))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(now.Unix()+wait, 10))
		t.served++
		return false
	}
	if t.start.IsZero() {
		t.start = now
		t.windows++
	}
	t.hits++
	h.Set("X-RateLimit-Remaining", strconv.Itoa(t.Limit-t.hits))
	return true
}

// remaining sets X-RateLimit-Remaining as Laravel does after the request
// was handled, when RemainingAfterHandler asks for it. s.mu is held.
func (t *throttle) remaining(h http.Header, now time.Time) {
	if t.Limit <= 0 || !t.RemainingAfterHandler || h.Get("X-RateLimit-Limit") == "" {
		return
	}
	t.expire(now)
	h.Set("X-RateLimit-Remaining", strconv.Itoa(max(t.Limit-t.hits, 0)))
}
