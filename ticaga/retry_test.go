package ticaga

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestRetryThenSuccess(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n < 3 {
			jsonAnswer(503, `{"message":"Service Unavailable"}`)(w, r, n)
			return
		}
		jsonAnswer(200, seedUser)(w, r, n)
	})
	c := newClient(t, s.URL)
	if _, err := c.Customer(t.Context(), 1); err != nil {
		t.Fatalf("Customer: %v", err)
	}
	st := c.Stats()
	if s.count() != 3 || st.Retries != 2 || st.Requests[RequestKey{"customers/get", "5xx"}] != 2 ||
		st.Requests[RequestKey{"customers/get", "2xx"}] != 1 || st.Total() != 3 || st.Endpoint("customers/get") != 3 {
		t.Errorf("calls %d, stats %+v", s.count(), st)
	}
}

func TestObserver(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			jsonAnswer(500, `{}`)(w, r, n)
			return
		}
		jsonAnswer(200, seedAssign)(w, r, n)
	})
	var mu sync.Mutex
	var got []int
	c := newClient(t, s.URL, func(c *Config) {
		c.Observer = func(endpoint string, status int, d time.Duration) {
			mu.Lock()
			defer mu.Unlock()
			if endpoint == "customers/assign" && d > 0 {
				got = append(got, status)
			}
		}
	})
	if err := c.Assign(t.Context(), 1, "2", "x"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != 500 || got[1] != 200 {
		t.Errorf("observed %v, want [500 200]", got)
	}
}

func TestRetryAfterHonoured(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			jsonAnswer(429, `{"message":"Too Many Attempts."}`)(w, r, n)
			return
		}
		jsonAnswer(200, seedAssign)(w, r, n)
	})
	c := newClient(t, s.URL)
	start := time.Now()
	if err := c.Assign(t.Context(), 1, "2", "blesta"); err != nil {
		t.Fatalf("Assign: %v", err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("retried after %v, want at least the Retry-After of 1s", d)
	}
	if st := c.Stats(); st.Throttled != 1 || st.Retries != 1 {
		t.Errorf("stats = %+v", st)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	h := http.Header{}
	for v, want := range map[string]time.Duration{
		"": 0, "0": 0, "-3": 0, "abc": 0, "2": 2 * time.Second, "100000": MaxRetryAfter,
	} {
		h.Set("Retry-After", v)
		if got := retryAfter(h); got != want {
			t.Errorf("retryAfter(%q) = %v, want %v", v, got, want)
		}
	}
	h.Set("Retry-After", time.Now().Add(30*time.Second).UTC().Format(http.TimeFormat))
	if got := retryAfter(h); got < 28*time.Second || got > 30*time.Second {
		t.Errorf("retryAfter(date in 30s) = %v", got)
	}
	h.Set("Retry-After", time.Now().Add(time.Hour).UTC().Format(http.TimeFormat))
	if got := retryAfter(h); got != MaxRetryAfter {
		t.Errorf("retryAfter(date in 1h) = %v, want the cap", got)
	}
}

func TestBackoffBounds(t *testing.T) {
	base, capd := 200*time.Millisecond, 10*time.Second
	for n := 1; n <= 12; n++ {
		d := min(base<<(n-1), capd)
		for range 50 {
			if got := backoff(n, base, capd); got < d/2 || got > d {
				t.Fatalf("backoff(%d) = %v, want in [%v, %v]", n, got, d/2, d)
			}
		}
	}
}

func TestRetriesExhausted(t *testing.T) {
	s := jsonStub(t, 500, `{"message":"Server Error"}`)
	c := newClient(t, s.URL, func(c *Config) { c.MaxRetries = 2 })
	_, err := c.Customer(t.Context(), 1)
	ae := apiError(t, err)
	if ae.Attempts != 3 || s.count() != 3 || !ae.Retryable || ae.Status != 500 {
		t.Errorf("error %+v after %d calls, want 3 attempts", ae, s.count())
	}
	if want := "ticaga: customers/get (id 1): HTTP 500: Server Error (after 3 attempts)"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	c = newClient(t, s.URL, func(c *Config) { c.MaxRetries = -1 })
	before := s.count()
	_, _ = c.Customer(t.Context(), 1)
	if s.count()-before != 1 {
		t.Errorf("MaxRetries -1 made %d calls, want 1", s.count()-before)
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "10")
		jsonAnswer(503, `{"message":"down"}`)(w, r, n)
	})
	// A Timeout above the Retry-After leaves the retry sleep budget room
	// for it.
	c := newClient(t, s.URL, func(c *Config) { c.Timeout = 30 * time.Second })
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := c.Customer(ctx, 1)
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("returned after %v, want promptly after cancel", d)
	}
	if !errors.Is(err, context.Canceled) || errors.Is(err, ErrNotFound) {
		t.Errorf("error = %v, want context.Canceled", err)
	}
	if s.count() != 1 {
		t.Errorf("%d calls, want 1", s.count())
	}
}

func TestDeadlineBeforeRetryAfter(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "30")
		jsonAnswer(429, `{"message":"Too Many Attempts."}`)(w, r, n)
	})
	c := newClient(t, s.URL, func(c *Config) { c.PaceWindow = -1 })
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	start := time.Now()
	_, err := c.Customer(ctx, 1)
	if d := time.Since(start); d > time.Second {
		t.Errorf("waited %v for a retry the deadline would not allow", d)
	}
	if ae := apiError(t, err); ae.Status != 429 || ae.RetryAfter != 30*time.Second {
		t.Errorf("error = %+v", ae)
	}
}

func TestAttemptTimeout(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n == 1 {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
			return
		}
		jsonAnswer(200, seedUser)(w, r, n)
	})
	c := newClient(t, s.URL, func(c *Config) { c.Timeout = 100 * time.Millisecond })
	if _, err := c.Customer(t.Context(), 1); err != nil {
		t.Fatalf("Customer after one slow attempt: %v", err)
	}
	slow := newStub(t, func(w http.ResponseWriter, r *http.Request, _ int) {
		select {
		case <-r.Context().Done():
		case <-time.After(2 * time.Second):
		}
	})
	c = newClient(t, slow.URL, func(c *Config) { c.Timeout = 100 * time.Millisecond; c.MaxRetries = -1 })
	_, err := c.Customer(t.Context(), 1)
	if ae := apiError(t, err); !ae.Retryable || ae.Status != 0 || ae.Message != "network error: no answer within 100ms" {
		t.Errorf("error = %+v", ae)
	}
}

func TestNonIdempotentNotRetried(t *testing.T) {
	for _, tc := range []struct {
		name string
		do   func(*Client) error
	}{
		{"register", func(c *Client) error {
			_, err := c.Register(context.Background(), RegisterParams{Name: "a", Email: "a@b", Password: "p"})
			return err
		}},
		{"login", func(c *Client) error { _, err := c.Login(context.Background(), "a@b", "p"); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := jsonStub(t, 502, `{"message":"Bad Gateway"}`)
			if err := tc.do(newClient(t, s.URL)); err == nil || s.count() != 1 {
				t.Errorf("after 502: err %v, %d calls, want 1", err, s.count())
			}
			dropped := newStub(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
				conn, _, _ := w.(http.Hijacker).Hijack()
				_ = conn.Close()
			})
			if err := tc.do(newClient(t, dropped.URL)); err == nil || dropped.count() != 1 {
				t.Errorf("after a dropped connection: err %v, %d calls, want 1", err, dropped.count())
			}
			// A refused connection never reached Ticaga: it is retried.
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			_ = ln.Close()
			err = tc.do(newClient(t, "http://"+ln.Addr().String(), func(c *Config) { c.MaxRetries = 1 }))
			if ae := apiError(t, err); ae.Attempts != 2 {
				t.Errorf("after a refused connection: %+v, want 2 attempts", ae)
			}
			// A 429 was refused before anything happened: it is retried.
			throttled := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) {
				if n == 1 {
					jsonAnswer(429, `{"message":"Too Many Attempts."}`)(w, r, n)
					return
				}
				_, _ = io.WriteString(w, `{"user": {"id": 3, "email": "a@b"}}`)
			})
			if err := tc.do(newClient(t, throttled.URL)); err != nil || throttled.count() != 2 {
				t.Errorf("after 429: err %v, %d calls, want success after 2", err, throttled.count())
			}
		})
	}
}

// The time a call sleeps between retries is bounded by Timeout: a retry
// whose delay would take the total past it is not made, and the call
// returns its last error.
func TestRetrySleepBudget(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "1")
		jsonAnswer(503, `{"message":"Service Unavailable"}`)(w, r, n)
	})
	// Retry-After 1s each time, a budget of 2.5s: two retries (2s), not a
	// third (3s), although MaxRetries would allow six.
	c := newClient(t, s.URL, func(c *Config) { c.Timeout = 2500 * time.Millisecond; c.PaceWindow = -1 })
	start := time.Now()
	_, err := c.Customer(t.Context(), 17)
	d := time.Since(start)
	ae := apiError(t, err)
	if ae.Attempts != 3 || s.count() != 3 || ae.Status != 503 || !ae.Retryable {
		t.Errorf("error %+v after %d calls, want 3 attempts", ae, s.count())
	}
	if d < 2*time.Second || d > 2900*time.Millisecond {
		t.Errorf("call took %v, want about 2s of Retry-After sleep", d)
	}
	if want := "ticaga: customers/get (id 17): HTTP 503: Service Unavailable (after 3 attempts)"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if st := c.Stats(); st.Retries != 2 {
		t.Errorf("stats = %+v, want 2 retries", st)
	}

	// A 429 is waited for as the server says, beyond the budget: giving
	// up would make a throttled answer unknown.
	throttled := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) {
		if n < 3 {
			w.Header().Set("Retry-After", "1")
			jsonAnswer(429, `{"message":"Too Many Attempts."}`)(w, r, n)
			return
		}
		_, _ = io.WriteString(w, `{"user": {"id": 17, "email": "a@b"}}`)
	})
	c = newClient(t, throttled.URL, func(c *Config) { c.Timeout = 500 * time.Millisecond; c.PaceWindow = -1 })
	if _, err := c.Customer(t.Context(), 17); err != nil || throttled.count() != 3 {
		t.Errorf("after two 429s with Retry-After beyond the budget: %v, %d calls", err, throttled.count())
	}

	// A Retry-After beyond the whole budget is not waited for at all.
	long := newStub(t, func(w http.ResponseWriter, r *http.Request, n int) {
		w.Header().Set("Retry-After", "10")
		jsonAnswer(503, `{"message":"Service Unavailable"}`)(w, r, n)
	})
	c = newClient(t, long.URL, func(c *Config) { c.Timeout = 5 * time.Second; c.PaceWindow = -1 })
	start = time.Now()
	_, err = c.Customer(t.Context(), 17)
	if ae := apiError(t, err); ae.Attempts != 1 || ae.RetryAfter != 10*time.Second || time.Since(start) > time.Second {
		t.Errorf("error %+v after %v, want one attempt and no wait", ae, time.Since(start))
	}

	// Backoff counts too: with delays of 50-100ms and a budget of 250ms,
	// two to five retries fit, never the six allowed.
	flaky := jsonStub(t, 500, `{"message":"Server Error"}`)
	c = newClient(t, flaky.URL, func(c *Config) {
		c.Timeout = 250 * time.Millisecond
		c.RetryBaseDelay, c.RetryMaxDelay = 100*time.Millisecond, 100*time.Millisecond
	})
	_, err = c.Customer(t.Context(), 17)
	if ae := apiError(t, err); ae.Attempts < 3 || ae.Attempts > 6 {
		t.Errorf("error %+v, want 3 to 6 attempts within the budget", ae)
	}
}

func TestDefaultMaxRetries(t *testing.T) {
	s := jsonStub(t, 502, `{"message":"Bad Gateway"}`)
	_, err := newClient(t, s.URL).Customer(t.Context(), 17)
	if ae := apiError(t, err); ae.Attempts != 7 || s.count() != 7 || DefaultMaxRetries != 6 {
		t.Errorf("error %+v after %d calls, want 1 + 6 retries", ae, s.count())
	}
}
