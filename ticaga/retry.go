package ticaga

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// retryAfter parses a Retry-After header, in seconds or as an HTTP date,
// capped at MaxRetryAfter; 0 when absent, unparsable or in the past.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs > int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		d = time.Duration(secs) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = time.Until(t)
	}
	if d <= 0 {
		return 0
	}
	return min(d, MaxRetryAfter)
}

// rateLimitReset parses Laravel's X-RateLimit-Reset (a Unix time in
// seconds) into a duration from now, capped at MaxRetryAfter; 0 when absent.
func rateLimitReset(h http.Header, now time.Time) time.Duration {
	secs, err := strconv.ParseInt(strings.TrimSpace(h.Get("X-RateLimit-Reset")), 10, 64)
	if err != nil || secs <= 0 {
		return 0
	}
	d := time.Unix(secs, 0).Sub(now)
	if d <= 0 {
		return 0
	}
	return min(d, MaxRetryAfter)
}

// backoff returns the jittered delay before retry n (1 for the first):
// uniformly in [d/2, d] with d = base·2^(n-1) capped at max.
func backoff(n int, base, max time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < max; i++ {
		d *= 2
	}
	d = min(d, max)
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits for d or until ctx is done, whichever comes first, and returns
// ctx.Err() in the second case.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryDecision says whether the failed attempt n of cl is retried and
// after how long. slept is the time the call already spent sleeping between
// its retries: a retry whose backoff would take that past c.timeout is not
// made, so a failing call spends at most Timeout sleeping (plus its
// attempts). A 429 is the exception: the server said when to come back
// (Retry-After, at most MaxRetryAfter), and giving up would turn a
// throttled answer into an unknown one.
func (c *Client) retryDecision(ctx context.Context, cl call, n int, slept time.Duration, e *APIError) (time.Duration, bool) {
	if !e.Retryable || n > c.maxRetries {
		return 0, false
	}
	// register and login create or touch state: retry them only when the
	// request cannot have been acted on.
	if !cl.idempotent && !e.notSent && e.Status != http.StatusTooManyRequests {
		return 0, false
	}
	d := max(backoff(n, c.retryBase, c.retryMax), e.RetryAfter)
	wait := d // until the retry is sent
	if e.Status == http.StatusTooManyRequests && c.pacer != nil {
		// The pacer holds the retry until the window ends, which it knows
		// better than Retry-After's whole seconds; a backoff on top would
		// only idle.
		// It may hold it a second past Retry-After (whole seconds).
		d, wait = 0, e.RetryAfter+time.Second
	}
	if slept+d > c.timeout && e.Status != http.StatusTooManyRequests {
		c.log.Debug().Str("endpoint", cl.name).Int("status", e.Status).Int("attempt", n).
			Str("retry_in", d.String()).Str("slept", slept.String()).Msg("ticaga: retry budget spent, giving up")
		return 0, false
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		return 0, false // the caller would give up before the retry
	}
	return d, true
}
