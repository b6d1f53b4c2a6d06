package ticagatest

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

// TestThrottleLaravel checks the throttle's arithmetic against Laravel's
// RateLimiter at chosen instants: the window opens at the first hit after
// the last one expired, a 429 is not counted, and a 429's Retry-After is
// the timer (a whole second) minus the current second, in each variant.
func TestThrottleLaravel(t *testing.T) {
	t0 := time.Unix(1000, 700_000_000) // 1000.7 s
	at := func(s float64) time.Time { return t0.Add(time.Duration(s * float64(time.Second))) }
	type step struct {
		at                      float64 // seconds after t0
		status                  int
		remaining, retry, reset string
	}
	ok := func(at float64, remaining int) step {
		return step{at: at, status: 200, remaining: strconv.Itoa(remaining)}
	}
	tooMany := func(at float64, retry, reset int) step {
		return step{at, 429, "0", strconv.Itoa(retry), strconv.Itoa(reset)}
	}
	for _, tc := range []struct {
		name  string
		opt   ThrottleOptions
		steps []step
	}{
		{"redis", ThrottleOptions{Limit: 2, Window: 2 * time.Second}, []step{
			ok(0, 1), ok(0.1, 0),
			tooMany(0.2, 2, 1002),                         // timer 1000+2, now 1000
			tooMany(1.35, 0, 1002),                        // now 1002.05: the key lives until 1002.7
			ok(2.0, 1),                                    // 1002.7: expired, a new window from here
			ok(2.5, 0), tooMany(2.6, 1, 1004), ok(4.0, 1), // 1003.3: timer 1004
		}},
		{"whole-second store", ThrottleOptions{Limit: 2, Window: 2 * time.Second, WholeSecondStore: true}, []step{
			ok(0, 1), ok(0.1, 0),
			tooMany(0.2, 2, 1002),
			ok(1.3, 1), // 1002.0: the key expired at the timer's second
			ok(1.4, 0), tooMany(3.2, 1, 1004), ok(3.3, 1),
		}},
		{"ceil Retry-After", ThrottleOptions{Limit: 2, Window: 2 * time.Second, CeilRetryAfter: true}, []step{
			ok(0, 1), ok(0.1, 0),
			tooMany(0.2, 2, 1002), // 1.8 s left
			tooMany(1.5, 1, 1003), // 0.5 s left: 1, never 0
			ok(2.0, 1),
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := throttle{ThrottleOptions: tc.opt}
			served := 0
			for i, s := range tc.steps {
				w := httptest.NewRecorder()
				allowed := th.hit(w, at(s.at))
				h := w.Header()
				status := 200
				if !allowed {
					status, served = 429, served+1
				}
				if status != s.status || h.Get("X-RateLimit-Limit") != "2" || h.Get("X-RateLimit-Remaining") != s.remaining ||
					h.Get("Retry-After") != s.retry || h.Get("X-RateLimit-Reset") != s.reset {
					t.Errorf("step %d at +%.2fs: %d %v, want %d remaining %q Retry-After %q reset %q",
						i, s.at, status, h, s.status, s.remaining, s.retry, s.reset)
				}
			}
			if th.served != served || th.windows != 3 && tc.name != "ceil Retry-After" {
				t.Errorf("served %d (want %d), windows %d", th.served, served, th.windows)
			}
		})
	}
}

// TestThrottleRemainingAfterHandler checks that the variant reads
// X-RateLimit-Remaining after the request was handled, so that it counts a
// hit made meanwhile, as Laravel does.
func TestThrottleRemainingAfterHandler(t *testing.T) {
	for _, after := range []bool{false, true} {
		s := New(Options{})
		defer s.Close()
		s.ThrottleWith(ThrottleOptions{Limit: 5, Window: time.Minute, RemainingAfterHandler: after})
		req := httptest.NewRequest("GET", "/api/customers/get/1", nil)
		req.Header.Set("Authorization", "Bearer "+s.Token())
		w := httptest.NewRecorder()
		s.serve("customers/get", w, req, func(w http.ResponseWriter, r *http.Request) {
			// Another request's hit while this one is handled.
			s.mu.Lock()
			s.throttle.hit(httptest.NewRecorder(), time.Now())
			s.mu.Unlock()
			writeJSON(w, 200, map[string]string{})
		})
		want := "4"
		if after {
			want = "3"
		}
		if got := w.Result().Header.Get("X-RateLimit-Remaining"); w.Code != 200 || got != want {
			t.Errorf("RemainingAfterHandler %v: %d remaining %q, want %q", after, w.Code, got, want)
		}
		if s.ThrottleWindows() != 1 {
			t.Errorf("windows %d, want 1", s.ThrottleWindows())
		}
	}
}
