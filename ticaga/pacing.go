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
//
// The window is configured (TICAGA_RATE_LIMIT_WINDOW), not announced: a
// Ticaga whose throttle counts per second or per 2 s, paced as if per
// minute, would idle 58 s of each minute. So the first time a window's
// budget is spent with more than earlyProbeAfter of it left, one request
// probes at once: its 429 says (Retry-After, X-RateLimit-Reset) when the
// server's window really ends. If that is well before the assumed end, the
// pacer takes the window it measured (whole seconds, rounded up) from then
// on and calls learned; either way it never probes early again. That costs
// one 429 per run, and nothing when the window is at most earlyProbeAfter.
type pacer struct {
	window time.Duration
	// learned is called once when the server's window turns out shorter
	// than the configured one (may be nil).
	learned func(configured, measured time.Duration)
	// tell calls learned once p.mu is released (it logs).
	tell func()

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
	early     bool // the probe in flight was sent before the window's assumed end
	checked   bool // an early probe was sent: the window is not probed early again
	// opened is when the request that opened the current window was sent,
	// openedAt when its answer arrived (zero when a 429, not a first
	// answer, set end).
	opened, openedAt time.Time
	// configured is the window configured; window is shorter once learned.
	configured time.Duration
	inflight   int
	changed    chan struct{} // closed and replaced on every answer
}

// newPacer returns a pacer for the given window, or nil (no pacing) when
// window is not positive.
func newPacer(window time.Duration) *pacer {
	if window <= 0 {
		return nil
	}
	return &pacer{window: window, configured: window, changed: make(chan struct{})}
}

// margin is what the pacer adds to a window's end against clock skew.
func (p *pacer) margin() time.Duration { return 5*time.Millisecond + p.window/500 }

// earlyProbeAfter is how much of an assumed window must be left when its
// budget is spent for the pacer to check the window with an early probe.
const earlyProbeAfter = 3 * time.Second

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
				p.early = p.known && now.Before(p.end)
				if p.early {
					p.checked = true // once, whatever its answer
				}
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
	case !p.checked && p.inflight == 0 && !p.opened.IsZero() && p.end.Sub(now) > earlyProbeAfter:
		return 0, true // spent early: ask the server when its window ends
	}
	return p.end.Sub(now), false
}

// done records the answer to a request sent at sent: status 0 and a nil
// header when none arrived.
func (p *pacer) done(sent time.Time, status int, h http.Header) {
	if p == nil {
		return
	}
	p.answer(sent, status, h)
	p.mu.Lock()
	tell := p.tell
	p.tell = nil
	p.mu.Unlock()
	if tell != nil {
		tell()
	}
}

// answer records an answer for done, under p.mu.
func (p *pacer) answer(sent time.Time, status int, h http.Header) {
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
	early := probe && p.early
	if status == http.StatusTooManyRequests {
		if early && p.earlyEnd(h, now) {
			return
		}
		if probe && !early && p.window < p.configured {
			// The window's end was due and the server says no: the
			// learned window is a second short (whole-second clocks).
			p.window = min(p.window+time.Second, p.configured)
		}
		p.throttled(sent, h, now)
		return
	}
	if !lok || !rok || limit <= 0 || remaining < 0 {
		if probe && !early {
			p.known = false // no rate-limit headers: nothing to pace by
		}
		// An early probe's answer without them (a proxy's 502) says
		// nothing of the window, still spent: keep waiting for its end.
		return
	}
	if early && !p.opened.IsZero() {
		// Answered before the assumed end: the server's window has ended
		// already, so it is at most as long as since it was opened.
		p.learn(p.opened, now)
	}
	switch {
	case probe || !p.known:
		// The first answer of a window: its request hit the server before
		// it arrived, so the window ends at the latest window after now.
		p.known, p.rem, p.obsAt, p.end, p.opened = true, remaining, now, now.Add(p.window+p.margin()), sent
		p.openedAt = now
	case remaining <= p.rem:
		p.rem, p.obsAt = remaining, now
	case sent.After(p.obsAt):
		// Sent after the answer that set rem, and more is left: the
		// server started a new window sooner than assumed.
		p.rem, p.obsAt, p.end, p.opened = remaining, now, now.Add(p.window+p.margin()), sent
		p.openedAt = now
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
	end := now.Add(wait + min(time.Second, max(p.window-wait, 0)) + p.margin())
	if p.known && p.end.After(now) && !sent.Before(p.epoch) {
		end = maxTime(p.end, now.Add(wait))
	}
	p.known, p.rem, p.obsAt, p.end = true, 0, now, end
	p.opened, p.openedAt = time.Time{}, time.Time{}
}

// earlyEnd takes the window's length and end from the 429 that answered
// an early probe at now, when they are well short of the assumed ones, and
// reports whether it did. p.mu is held.
//
// Laravel's timer is the window's end in whole Unix seconds: the second of
// the window's first hit, truncated, plus the window. Retry-After is the
// timer minus the server's current second, so the timer is about now's
// second plus Retry-After on this clock (X-RateLimit-Reset, the server's
// own, when Retry-After is missing). The request that opened the window was
// sent (opened) before it hit, so the timer minus opened's second is at
// least the window: a window learned from it is never shorter, but for the
// whole seconds of two clocks; a probe refused at the learned window's end
// adds the second back (done).
func (p *pacer) earlyEnd(h http.Header, now time.Time) bool {
	if p.opened.IsZero() {
		return false
	}
	var timer int64
	if ra, ok := headerInt(h, "Retry-After"); ok && ra >= 0 {
		timer = now.Unix() + int64(ra)
	} else if reset, ok := headerInt(h, "X-RateLimit-Reset"); ok {
		timer = int64(reset)
	} else {
		return false
	}
	measured := time.Duration(timer-p.opened.Unix()) * time.Second
	if measured < time.Second || measured > p.window-time.Second {
		return false
	}
	p.learn(p.opened, p.opened.Add(measured))
	p.known, p.rem, p.obsAt = true, 0, now
	p.end = maxTime(now, p.openedAt.Add(p.window+p.margin()))
	return true
}

// learn takes as the window the time from opened (a window's first
// answer) to ended (when it had ended), in whole seconds rounded up, when
// that is shorter than the window assumed. p.mu is held.
func (p *pacer) learn(opened, ended time.Time) {
	measured := max((ended.Sub(opened) + time.Second - 1).Truncate(time.Second), time.Second)
	if measured >= p.window {
		return
	}
	if p.learned != nil {
		configured := p.window
		p.tell = func() { p.learned(configured, measured) }
	}
	p.window = measured
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
