package ticaga

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ticaga/ticaga-sync/internal/syncbuf"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

// drive makes n Customer calls over workers goroutines and returns the
// errors.
func drive(ctx context.Context, c *Client, id int64, n, workers int) []error {
	var (
		mu   sync.Mutex
		errs []error
		wg   sync.WaitGroup
	)
	jobs := make(chan struct{})
	for range workers {
		wg.Go(func() {
			for range jobs {
				if _, err := c.Customer(ctx, id); err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
				}
			}
		})
	}
	for range n {
		jobs <- struct{}{}
	}
	close(jobs)
	wg.Wait()
	return errs
}

// newThrottledFake starts a fake throttled at 20 requests a second with one
// user, and returns it with the user's id.
func newThrottledFake(t *testing.T) (*ticagatest.Server, int64) {
	t.Helper()
	fake := ticagatest.New(ticagatest.Options{Token: testToken.Reveal()})
	t.Cleanup(fake.Close)
	id := fake.AddUser(ticagatest.User{Name: "Joe Doe", Email: "joedoe@example.com"})
	fake.Throttle(20, time.Second)
	return fake, id
}

func TestPacingAvoids429s(t *testing.T) {
	t.Parallel()
	for _, workers := range []int{1, 4} {
		t.Run("workers="+string(rune('0'+workers)), func(t *testing.T) {
			t.Parallel()
			fake, id := newThrottledFake(t)
			c := newClient(t, fake.URL(), func(c *Config) {
				c.PaceWindow = time.Second
				c.MaxRetries = -1 // a 429 would surface as an error
			})
			start := time.Now()
			errs := drive(t.Context(), c, id, 60, workers)
			if n := fake.TooManyRequests(); n > 1 {
				t.Errorf("the fake served %d 429s, want at most 1", n)
			}
			if len(errs) > 1 {
				t.Errorf("%d errors, first: %v", len(errs), errs[0])
			}
			if got := fake.Calls("customers/get"); got != 60 {
				t.Errorf("%d calls, want 60", got)
			}
			st := c.Stats()
			if st.PaceWaits == 0 || st.Throttled > 1 {
				t.Errorf("stats = %+v", st)
			}
			t.Logf("60 requests in %v, paced %d times for %v", time.Since(start), st.PaceWaits, st.PaceDelay)
		})
	}
}

// TestPacingSpendsEveryWindow drives a throttle of each Laravel variant
// (see ticagatest.ThrottleOptions) with 3.5 windows' worth of requests: the
// pacer spends each window's whole budget, so the throttle opens no more
// windows than the requests need, and answers at most one 429 per window.
func TestPacingSpendsEveryWindow(t *testing.T) {
	t.Parallel()
	const limit, n = 10, 35
	variants := map[string]ticagatest.ThrottleOptions{
		"redis":               {},
		"whole-second store":  {WholeSecondStore: true},
		"ceil Retry-After":    {CeilRetryAfter: true},
		"remaining after run": {RemainingAfterHandler: true},
	}
	for name, opt := range variants {
		for _, workers := range []int{2, 8} {
			t.Run(name+"/workers="+strconv.Itoa(workers), func(t *testing.T) {
				t.Parallel()
				fake, id := newThrottledFake(t)
				opt.Limit, opt.Window = limit, time.Second
				fake.ThrottleWith(opt)
				fake.ResetCalls()
				c := newClient(t, fake.URL(), func(c *Config) { c.PaceWindow = time.Second })
				if errs := drive(t.Context(), c, id, n, workers); len(errs) != 0 {
					t.Fatalf("%d errors, first: %v", len(errs), errs[0])
				}
				windows, throttled := fake.ThrottleWindows(), fake.TooManyRequests()
				if want := (n + limit - 1) / limit; windows != want {
					t.Errorf("%d requests took %d windows of %d, want %d", n, windows, limit, want)
				}
				if throttled > windows {
					t.Errorf("%d 429s in %d windows, want at most one per window", throttled, windows)
				}
				if got := fake.Calls("customers/get"); got != n+throttled {
					t.Errorf("%d calls, want %d", got, n+throttled)
				}
			})
		}
	}
}

func TestWithoutPacingThrottled(t *testing.T) {
	t.Parallel()
	fake, id := newThrottledFake(t)
	c := newClient(t, fake.URL(), func(c *Config) {
		c.PaceWindow = -1
		c.MaxRetries = -1
	})
	errs := drive(t.Context(), c, id, 60, 4)
	if n := fake.TooManyRequests(); n < 30 {
		t.Errorf("the fake served %d 429s; the same load unpaced should hit many", n)
	}
	if len(errs) != fake.TooManyRequests() || c.Stats().Throttled != int64(len(errs)) {
		t.Errorf("%d errors, %d 429s served, stats %+v", len(errs), fake.TooManyRequests(), c.Stats())
	}
}

func TestPacing429ThenRecovers(t *testing.T) {
	t.Parallel()
	// Another consumer has used the whole window: the client's first answer
	// is a 429, and it waits out Retry-After instead of hammering.
	fake, id := newThrottledFake(t)
	fake.Throttle(3, time.Second)
	other := newClient(t, fake.URL(), func(c *Config) { c.PaceWindow = -1; c.MaxRetries = -1 })
	_ = drive(t.Context(), other, id, 3, 1)
	fake.ResetCalls()
	c := newClient(t, fake.URL(), func(c *Config) { c.PaceWindow = time.Second })
	errs := drive(t.Context(), c, id, 6, 2)
	if len(errs) != 0 {
		t.Fatalf("errors: %v", errs)
	}
	if n := fake.TooManyRequests(); n > 2 {
		t.Errorf("the fake served %d 429s, want at most one per worker", n)
	}
}

func TestRateLimitCap(t *testing.T) {
	t.Parallel()
	s := jsonStub(t, 200, seedUser)
	c := newClient(t, s.URL, func(c *Config) { c.RateLimit = 50 })
	start := time.Now()
	for range 6 {
		if _, err := c.Customer(t.Context(), 1); err != nil {
			t.Fatal(err)
		}
	}
	if d := time.Since(start); d < 90*time.Millisecond {
		t.Errorf("6 requests at 50/s took %v, want at least 100ms", d)
	}
}

// rl returns rate-limit headers.
func rl(limit, remaining int) http.Header {
	return http.Header{"X-Ratelimit-Limit": {strconv.Itoa(limit)}, "X-Ratelimit-Remaining": {strconv.Itoa(remaining)}}
}

func TestPacerEstimate(t *testing.T) {
	p := newPacer(time.Minute)
	ctx := t.Context()
	begin := func() time.Time {
		t.Helper()
		sent, err := p.wait(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return sent
	}
	delay := func(at time.Time) (time.Duration, bool) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.delay(at)
	}
	// Until the first answer, one request at a time probes.
	probe := begin()
	waited := make(chan struct{})
	go func() { begin(); close(waited) }()
	select {
	case <-waited:
		t.Fatal("a second request started before the probe's answer")
	case <-time.After(50 * time.Millisecond):
	}
	p.done(probe, 200, rl(60, 55))
	<-waited
	p.done(time.Now(), 200, nil)
	if p.rem != 55 || !p.known || p.end.Sub(p.obsAt) != time.Minute+p.margin() {
		t.Fatalf("after the first answer: rem %d known %v end-obs %v", p.rem, p.known, p.end.Sub(p.obsAt))
	}
	// Two requests in flight; their answers arrive out of order.
	a, b := begin(), begin()
	p.done(b, 200, rl(60, 50))
	p.done(a, 200, rl(60, 51)) // sent before the answer that said 50: ignored
	if p.rem != 50 || p.inflight != 0 {
		t.Fatalf("rem %d inflight %d, want 50 0", p.rem, p.inflight)
	}
	// A request sent after that answer reports more: a new window.
	c := begin()
	p.done(c, 200, rl(60, 59))
	if p.rem != 59 {
		t.Fatalf("rem %d after a reset, want 59", p.rem)
	}
	// The whole budget is spent without spacing; requests in flight count
	// against it until their answers arrive.
	p.mu.Lock()
	p.rem, p.inflight = 3, 2
	p.mu.Unlock()
	if d, probe := delay(time.Now()); d != 0 || probe {
		t.Errorf("delay with 1 left = %v %v, want 0", d, probe)
	}
	p.mu.Lock()
	p.inflight = 3
	p.mu.Unlock()
	if d, _ := delay(time.Now()); d < 50*time.Second {
		t.Errorf("delay with 3 left and 3 in flight = %v, want until an answer or the window's end", d)
	}
	p.mu.Lock()
	p.rem, p.inflight = 0, 0
	end := p.end
	p.mu.Unlock()
	// Spent with most of the window left, the first time in the run: one
	// request probes at once to check the window; after that, none.
	if d, probe := delay(time.Now()); d != 0 || !probe {
		t.Errorf("spent early the first time: delay %v probe %v, want an early probe", d, probe)
	}
	p.mu.Lock()
	p.checked = true
	p.mu.Unlock()
	if d, _ := delay(time.Now()); d < 50*time.Second {
		t.Errorf("delay with nothing left = %v, want until the window ends", d)
	}
	// Once the window has certainly ended, one request probes alone.
	if d, probe := delay(end); d != 0 || !probe {
		t.Errorf("at the window's end: delay %v probe %v, want a probe now", d, probe)
	}
	p.mu.Lock()
	p.end = time.Now()
	p.mu.Unlock()
	stale := time.Now().Add(-time.Second)
	p.mu.Lock()
	p.inflight++ // a request of the old window, still in flight
	p.mu.Unlock()
	pr := begin()
	if !p.probing {
		t.Fatal("the request after the window's end is not a probe")
	}
	if d, _ := delay(time.Now()); d <= 0 {
		t.Error("a request may start while the probe is in flight")
	}
	p.done(stale, 200, rl(60, 0)) // about the old window: ignored
	if p.rem != 0 || !p.probing {
		t.Fatalf("a stale answer changed the state: rem %d probing %v", p.rem, p.probing)
	}
	p.done(pr, 200, rl(60, 59))
	if p.rem != 59 || p.probing || !p.end.After(time.Now().Add(50*time.Second)) {
		t.Fatalf("after the probe: rem %d probing %v", p.rem, p.probing)
	}
	// A 429 within a window whose end is known keeps that end.
	known := p.end
	e := begin()
	h := rl(60, 0)
	h.Set("Retry-After", "7")
	p.done(e, 429, h)
	if p.rem != 0 || !p.end.Equal(known) {
		t.Errorf("429 in a known window: rem %d, end moved by %v", p.rem, p.end.Sub(known))
	}
	// A 429 to a probe: Retry-After, plus a second for its rounding.
	p.mu.Lock()
	p.end = time.Now()
	p.mu.Unlock()
	e = begin()
	p.done(e, 429, h)
	if d, _ := delay(time.Now()); d < 7*time.Second || d > 8*time.Second+p.margin() {
		t.Errorf("delay after 429 Retry-After 7 = %v", d)
	}
	// A probe answered without rate-limit headers: no pacing.
	p.mu.Lock()
	p.end = time.Now()
	p.mu.Unlock()
	e = begin()
	p.done(e, 200, http.Header{})
	if d, probe := delay(time.Now()); d != 0 || probe || p.known {
		t.Errorf("after an answer without headers: delay %v probe %v known %v", d, probe, p.known)
	}
	var nilPacer *pacer
	if _, err := nilPacer.wait(ctx); err != nil {
		t.Errorf("nil pacer wait = %v", err)
	}
	nilPacer.done(time.Now(), 200, nil)
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer = syncbuf.Buffer

// A Ticaga whose throttle counts per second, paced as if per minute (the
// default TICAGA_RATE_LIMIT_WINDOW): once the first window's budget is
// spent, one early probe's 429 says when the server's window ends, and the
// pacer measures the window and warns, instead of idling most of a minute
// per window. Without that, 35 requests at 10 a window would take three
// minutes and the deadline would fail them.
func TestPacingMeasuresAShorterWindow(t *testing.T) {
	t.Parallel()
	const limit, n = 10, 35
	fake, id := newThrottledFake(t)
	fake.Throttle(limit, time.Second)
	fake.ResetCalls()
	var logs syncBuffer
	c := newClient(t, fake.URL(), func(c *Config) {
		c.PaceWindow = DefaultPaceWindow
		c.Logger = zerolog.New(&logs)
	})
	ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
	defer cancel()
	if errs := drive(ctx, c, id, n, 2); len(errs) != 0 {
		t.Fatalf("%d errors, first: %v", len(errs), errs[0])
	}
	windows, throttled := fake.ThrottleWindows(), fake.TooManyRequests()
	if throttled > 1 {
		t.Errorf("%d 429s, want the early probe's one at most", throttled)
	}
	if want := (n + limit - 1) / limit; windows != want {
		t.Errorf("%d requests took %d windows of %d, want %d (every window spent)", n, windows, limit, want)
	}
	if !strings.Contains(logs.String(), "shorter than TICAGA_RATE_LIMIT_WINDOW") || !strings.Contains(logs.String(), `"configured":"1m0s"`) {
		t.Errorf("no warning that the window was measured:\n%s", logs.String())
	}
}

// A window as long as configured, and longer than earlyProbeAfter: the
// early probe's 429 confirms it (one 429 in the run, no warning) and the
// pacer keeps it.
func TestPacingEarlyProbeConfirmsTheWindow(t *testing.T) {
	t.Parallel()
	const limit, n, window = 10, 15, 4 * time.Second
	fake, id := newThrottledFake(t)
	fake.Throttle(limit, window)
	fake.ResetCalls()
	var logs syncBuffer
	c := newClient(t, fake.URL(), func(c *Config) {
		c.PaceWindow = window
		c.Logger = zerolog.New(&logs)
	})
	if errs := drive(t.Context(), c, id, n, 2); len(errs) != 0 {
		t.Fatalf("%d errors, first: %v", len(errs), errs[0])
	}
	if throttled := fake.TooManyRequests(); throttled != 1 {
		t.Errorf("%d 429s, want the early probe's one", throttled)
	}
	if windows := fake.ThrottleWindows(); windows != 2 {
		t.Errorf("%d windows, want 2", windows)
	}
	if strings.Contains(logs.String(), "shorter than") {
		t.Errorf("warned of a shorter window for the right one:\n%s", logs.String())
	}
}

// A run that starts in a window another client has spent: its first answer
// is a 429, which says when that window ends but not when it opened, so no
// early probe measures it; the next window, opened by the client, is
// checked and found right: no warning, at most one 429 per window.
func TestPacingStartsInASpentWindow(t *testing.T) {
	t.Parallel()
	const limit, window = 10, 4 * time.Second
	fake, id := newThrottledFake(t)
	fake.Throttle(limit, window)
	other := newClient(t, fake.URL(), func(c *Config) { c.PaceWindow = -1; c.MaxRetries = -1 })
	_ = drive(t.Context(), other, id, limit, 1)
	time.Sleep(1200 * time.Millisecond) // the spent window is a second old
	fake.ResetCalls()
	var logs syncBuffer
	c := newClient(t, fake.URL(), func(c *Config) {
		c.PaceWindow = window
		c.Logger = zerolog.New(&logs)
	})
	if errs := drive(t.Context(), c, id, 15, 2); len(errs) != 0 {
		t.Fatalf("%d errors, first: %v", len(errs), errs[0])
	}
	if throttled, windows := fake.TooManyRequests(), fake.ThrottleWindows(); throttled > windows+1 {
		t.Errorf("%d 429s in %d windows (and the spent one), want at most one each", throttled, windows)
	}
	if strings.Contains(logs.String(), "shorter than") {
		t.Errorf("learned a shorter window from a window it did not open:\n%s", logs.String())
	}
}

// An early probe whose answer says nothing of the window (a proxy's 502
// without rate-limit headers, or no answer at all) leaves the spent window
// as it was: pacing stays on, the window's end stays, and no second early
// probe follows.
func TestPacerEarlyProbeWithoutAnAnswer(t *testing.T) {
	for name, h := range map[string]http.Header{"502 without headers": {}, "no answer": nil} {
		t.Run(name, func(t *testing.T) {
			p := newPacer(time.Minute)
			open, err := p.wait(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			p.done(open, 200, rl(60, 0)) // the window's budget is spent at once
			end := p.end
			sent, err := p.wait(t.Context()) // returns at once: the early probe
			if err != nil {
				t.Fatal(err)
			}
			if !p.early || !p.checked {
				t.Fatalf("not an early probe: early %v checked %v", p.early, p.checked)
			}
			p.done(sent, 502, h)
			p.mu.Lock()
			d, probe := p.delay(time.Now())
			known, gotEnd := p.known, p.end
			p.mu.Unlock()
			if !known || !gotEnd.Equal(end) || probe || d < 50*time.Second {
				t.Errorf("after the early probe's %s: known %v, end moved by %v, probe %v, delay %v; want the spent window kept",
					name, known, gotEnd.Sub(end), probe, d)
			}
		})
	}
}
