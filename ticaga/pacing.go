package ticaga

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// pacer paces requests by Laravel's fixed-window throttle from the
// X-RateLimit-Limit and X-RateLimit-Remaining headers, so that the client
// goes as fast as the throttle allows without running into 429s.
//
// Laravel's window starts at the first request after the previous one
// expired and allows limit requests until it expires, window later. The
// fastest a client can go is to spend a window's whole budget as fast as
// its concurrency allows, wait until the window has ended, and open the
// next one: spacing requests out, or keeping a reserve, only moves the next
// window's start later. So:
//   - one request probes alone until the first answer;
//   - a request may start while rem - inflight > 0, rem being the lowest
//     remaining count the current window's answers reported (requests in
//     flight may already be counted in it: that holds requests back only
//     until their answers arrive, and then rem is exact);
//   - when rem is 0, requests wait until the window has certainly ended
//     (end): window after the arrival of its first answer, whose request
//     hit the server before, plus a small margin; after a 429, when
//     Retry-After (or X-RateLimit-Reset) says, allowing for their whole
//     seconds;
//   - from end on, one request probes alone: its answer opens the next
//     window, which is then spent again.
//
// Answers to requests sent before the probe (epoch) describe an earlier
// window and are ignored. A window shorter than the assumed one shows as
// an answer reporting more than rem to a request sent after the answer
// that set rem; a longer one as a 429 to the probe, once per window.
type pacer struct {
	window time.Duration
	margin time.Duration // added to end against clock skew

	mu        sync.Mutex
	answered  bool      // an answer has arrived
	known     bool      // rem and end describe the current window
	limit     int       // last X-RateLimit-Limit (0: unknown)
	rem       int       // requests left in the current window
	obsAt     time.Time // when the answer that set rem arrived
	end       time.Time // the current window has ended by then
	epoch     time.Time // answers to requests sent before this are stale
	probing   bool      // the probe sent at probeSent is in flight
	probeSent time.Time
	inflight  int
	changed   chan struct{} // closed and replaced on every answer
}

// newPacer returns a pacer for the given window, or nil (no pacing) when
// window is not positive.
func newPacer(window time.Duration) *pacer {
	if window <= 0 {
		return nil
	}
	return &pacer{window: window, margin: 5*time.Millisecond + window/500, changed: make(chan struct{})}
}

// wait blocks until a request may be sent, counts it as in flight and
// returns its send time. Every successful wait must be followed by exactly
// one done.
func (p *pacer) wait(ctx context.Context) (sent time.Time, err error) {
	if err := ctx.Err(); err != nil || p == nil {
		return time.Now(), err
	}
	for {
		p.mu.Lock()
		now := time.Now()
		d, probe := p.delay(now)
		if d <= 0 {
			p.inflight++
			if probe {
				p.probing, p.probeSent, p.epoch = true, now, now
			}
			p.mu.Unlock()
			return now, nil
		}
		changed := p.changed
		p.mu.Unlock()
		t := time.NewTimer(d)
		select {
		case <-ctx.Done():
			t.Stop()
			return time.Time{}, ctx.Err()
		case <-changed:
			t.Stop()
		case <-t.C:
		}
	}
}

// delay returns how long a request must still wait at now, and whether it
// is to probe. p.mu is held.
func (p *pacer) delay(now time.Time) (time.Duration, bool) {
	switch {
	case p.probing, !p.answered && p.inflight > 0:
		return p.window, false // until the probe's answer wakes the waiters
	case !p.answered:
		return 0, true
	case !p.known:
		return 0, false // the server does not say: no pacing
	case !now.Before(p.end):
		return 0, true // the window has ended: open the next one
	case p.rem-p.inflight > 0:
		return 0, false
	case p.rem > 0:
		return p.end.Sub(now), false // until answers in flight say what is left
	}
	return p.end.Sub(now), false
}

// done records the answer to a request sent at sent: status 0 and a nil
// header when none arrived.
func (p *pacer) done(sent time.Time, status int, h http.Header) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.inflight--
	// Wake the waiters: the budget changed either way.
	defer func() { close(p.changed); p.changed = make(chan struct{}) }()
	probe := p.probing && sent.Equal(p.probeSent)
	if probe {
		p.probing = false
	}
	if h == nil || sent.Before(p.epoch) {
		return
	}
	p.answered = true
	now := time.Now()
	limit, lok := headerInt(h, "X-RateLimit-Limit")
	remaining, rok := headerInt(h, "X-RateLimit-Remaining")
	if lok && limit > 0 {
		p.limit = limit
	}
	if status == http.StatusTooManyRequests {
		p.throttled(sent, h, now)
		return
	}
	if !lok || !rok || limit <= 0 || remaining < 0 {
		if probe {
			p.known = false // no rate-limit headers: nothing to pace by
		}
		return
	}
	switch {
	case probe || !p.known:
		// The first answer of a window: its request hit the server before
		// it arrived, so the window ends at the latest window after now.
		p.known, p.rem, p.obsAt, p.end = true, remaining, now, now.Add(p.window+p.margin)
	case remaining <= p.rem:
		p.rem, p.obsAt = remaining, now
	case sent.After(p.obsAt):
		// Sent after the answer that set rem, and more is left: the
		// server started a new window sooner than assumed.
		p.rem, p.obsAt, p.end = remaining, now, now.Add(p.window+p.margin)
	}
}

// throttled records a 429 answer to a request sent at sent: nothing is
// left until the server's window ends. Retry-After and X-RateLimit-Reset
// are whole seconds, and Laravel's Retry-After (its timer minus the
// current second) can be short by up to a second: unless the end of the
// window is known from its first answer, the pacer waits a second more,
// or a window when that is less.
func (p *pacer) throttled(sent time.Time, h http.Header, now time.Time) {
	wait := max(retryAfter(h), rateLimitReset(h, now))
	end := now.Add(wait + min(time.Second, max(p.window-wait, 0)) + p.margin)
	if p.known && p.end.After(now) && !sent.Before(p.epoch) {
		end = maxTime(p.end, now.Add(wait))
	}
	p.known, p.rem, p.obsAt, p.end = true, 0, now, end
}

// maxTime returns the later of a and b.
func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// headerInt parses an integer header.
func headerInt(h http.Header, key string) (int, bool) {
	v, err := strconv.Atoi(strings.TrimSpace(h.Get(key)))
	return v, err == nil
}
