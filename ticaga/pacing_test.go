package ticaga

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

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
	// Two requests in flight; their answers arrive out of order.
	a, b := begin(), begin()
	p.done(b, 200, rl(60, 50))
	p.done(a, 200, rl(60, 51)) // sent before the answer that said 50: stale, ignored
	if p.rem != 50 || p.inflight != 0 {
		t.Fatalf("rem %d inflight %d, want 50 0", p.rem, p.inflight)
	}
	// A request sent after that answer reports more: a new window.
	c := begin()
	p.done(c, 200, rl(60, 59))
	if p.rem != 59 {
		t.Fatalf("rem %d after a reset, want 59", p.rem)
	}
	// Budget: requests in flight count against what is left.
	p.mu.Lock()
	p.rem = 3
	p.inflight = 3
	d := p.delay(time.Now())
	p.inflight = 0
	p.mu.Unlock()
	if d < 50*time.Second {
		t.Errorf("delay with nothing left = %v, want until the window ends", d)
	}
	p.mu.Lock()
	p.rem, p.lastSend = 2, time.Now()
	d = p.delay(time.Now())
	p.mu.Unlock()
	if d < 900*time.Millisecond || d > time.Second {
		t.Errorf("delay within the reserve = %v, want window/limit = 1s", d)
	}
	// A 429 with Retry-After blocks until then.
	p.mu.Lock()
	p.rem = 59
	p.mu.Unlock()
	e := begin()
	h := rl(60, 0)
	h.Set("Retry-After", "7")
	p.done(e, 429, h)
	p.mu.Lock()
	d = p.delay(time.Now())
	p.mu.Unlock()
	if d < 6*time.Second || d > 8*time.Second {
		t.Errorf("delay after 429 Retry-After 7 = %v", d)
	}
	// Once the window has certainly ended, the budget is full again.
	p.mu.Lock()
	d = p.delay(p.resetAt)
	rem := p.rem
	p.mu.Unlock()
	if d != 0 || rem != 60 {
		t.Errorf("after resetAt: delay %v rem %d", d, rem)
	}
	var nilPacer *pacer
	if _, err := nilPacer.wait(ctx); err != nil {
		t.Errorf("nil pacer wait = %v", err)
	}
	nilPacer.done(time.Now(), 200, nil)
}
