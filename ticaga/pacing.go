package ticaga

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// pacer spaces requests by the server's X-RateLimit-Limit and
// X-RateLimit-Remaining headers (Laravel's fixed-window throttle) so that
// the client does not run into 429s.
//
// It keeps an estimate rem of what is left in the current window that never
// exceeds the truth by more than the requests in flight: within a window it
// only lowers rem, and it believes the window was refilled only when a
// request sent after the answer that set rem reports more, or when resetAt
// (the latest the window can end) has passed. A request may start when
// rem - inflight > 0; when that is at most the reserve, requests are spaced
// window/limit apart; when it is 0, they wait for resetAt. Until the first
// answer arrives, one request at a time probes.
type pacer struct {
	window time.Duration
	margin time.Duration // added to resetAt against clock and rounding skew

	mu       sync.Mutex
	answered bool      // an answer has arrived: until then one request probes
	known    bool      // rem means something
	limit    int       // last X-RateLimit-Limit (0: unknown)
	rem      int       // estimated requests left in the window
	obsAt    time.Time // when the answer that set rem arrived
	epoch    time.Time // answers to requests sent before this are stale
	resetAt  time.Time // latest time the window can end (zero: unknown)
	inflight int
	lastSend time.Time
	changed  chan struct{} // closed and replaced on every answer
}

// newPacer returns a pacer for the given window, or nil (no pacing) when
// window is not positive.
func newPacer(window time.Duration) *pacer {
	if window <= 0 {
		return nil
	}
	return &pacer{window: window, margin: max(window/50, 5*time.Millisecond), changed: make(chan struct{})}
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
		d := p.delay(now)
		if d <= 0 {
			p.inflight++
			p.lastSend = now
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

// delay returns how long a request must still wait at now. p.mu is held.
func (p *pacer) delay(now time.Time) time.Duration {
	if !p.answered && p.inflight > 0 {
		return p.window // until the probe's answer wakes the waiters
	}
	if !p.known {
		return 0
	}
	if !p.resetAt.IsZero() && !now.Before(p.resetAt) {
		// The window has certainly refilled.
		p.rem, p.obsAt, p.epoch, p.resetAt = p.limit, now, now, time.Time{}
		p.known = p.limit > 0
		if !p.known {
			return 0
		}
	}
	budget := p.rem - p.inflight
	switch {
	case budget <= 0 && !p.resetAt.IsZero():
		return p.resetAt.Sub(now)
	case budget <= 0:
		return p.spacing() // more in flight than the window holds: trickle
	case budget <= p.reserve():
		return p.lastSend.Add(p.spacing()).Sub(now)
	}
	return 0
}

// spacing is the server's sustainable interval between requests.
func (p *pacer) spacing() time.Duration {
	if p.limit <= 0 {
		return p.margin
	}
	return p.window / time.Duration(p.limit)
}

// reserve is the remaining budget below which requests are spaced.
func (p *pacer) reserve() int { return max(2, p.limit/10) }

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
		wait := max(retryAfter(h), rateLimitReset(h, now))
		if wait > 0 {
			p.known, p.rem, p.obsAt = true, 0, now
			// The server knows when its window ends (rounded up to whole
			// seconds by Laravel): that beats the estimate.
			p.resetAt = now.Add(wait + 10*time.Millisecond)
		}
		return
	}
	if !lok || !rok || limit <= 0 || remaining < 0 {
		return
	}
	switch {
	case !p.known:
		p.known, p.rem, p.obsAt, p.resetAt = true, remaining, now, now.Add(p.window+p.margin)
	case remaining <= p.rem:
		p.rem, p.obsAt = remaining, now
		if p.resetAt.IsZero() {
			p.resetAt = now.Add(p.window + p.margin)
		}
	case sent.After(p.obsAt):
		// Sent after the answer that set rem, and more is left: the server
		// started a new window.
		p.rem, p.obsAt, p.resetAt = remaining, now, now.Add(p.window+p.margin)
	}
}

// headerInt parses an integer header.
func headerInt(h http.Header, key string) (int, bool) {
	v, err := strconv.Atoi(strings.TrimSpace(h.Get(key)))
	return v, err == nil
}
