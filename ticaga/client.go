package ticaga

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"
)

// Client talks to one Ticaga instance. It is safe for concurrent use by many
// goroutines; pacing and statistics are shared by all of them.
type Client struct {
	base       *url.URL
	token      Secret
	adminEmail string
	userAgent  string
	hc         *http.Client
	timeout    time.Duration
	maxRetries int
	retryBase  time.Duration
	retryMax   time.Duration
	maxBody    int64
	limiter    *rate.Limiter
	pacer      *pacer
	stats      statsRecorder
	log        zerolog.Logger
	observer   func(endpoint string, status int, d time.Duration)
	now        func() time.Time
}

// New returns a Client for cfg. It returns an error naming the field when
// cfg is invalid (see Config.Validate); it makes no request.
func New(cfg Config) (*Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	base, _ := parseBaseURL(cfg.BaseURL)
	// Keep enough idle connections for every request a run has in flight
	// (SYNC_CONCURRENCY goes up to 64): the default transport keeps two
	// per host, so a third of requests would open a new TCP+TLS
	// connection (measured: 5,300 dials for 16k calls at concurrency 4).
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	hc := &http.Client{Transport: tr}
	if cfg.HTTPClient != nil {
		cp := *cfg.HTTPClient
		hc = &cp
	}
	if hc.CheckRedirect == nil {
		// A redirect means a wrong BaseURL or a login page; following it
		// would turn a POST into a GET.
		hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	c := &Client{
		base:       base,
		token:      cfg.Token,
		adminEmail: cfg.AdminEmail,
		userAgent:  cfg.UserAgent,
		hc:         hc,
		timeout:    cfg.Timeout,
		maxRetries: cfg.MaxRetries,
		retryBase:  cfg.RetryBaseDelay,
		retryMax:   cfg.RetryMaxDelay,
		maxBody:    cfg.MaxBodyBytes,
		pacer:      newPacer(cfg.PaceWindow),
		log:        cfg.Logger,
		observer:   cfg.Observer,
		now:        cfg.Now,
	}
	if cfg.RateLimit > 0 {
		c.limiter = rate.NewLimiter(rate.Limit(cfg.RateLimit), 1)
	}
	if c.pacer != nil {
		c.pacer.learned = func(configured, measured time.Duration) {
			c.log.Warn().Str("configured", configured.String()).Str("measured", measured.String()).
				Msg("ticaga: the throttle's window is shorter than TICAGA_RATE_LIMIT_WINDOW; pacing by the measured one (set TICAGA_RATE_LIMIT_WINDOW to it)")
		}
	}
	return c, nil
}

// BaseURL returns the Ticaga site the client talks to, without a trailing
// slash; it names the instance (e.g. as the directory target).
func (c *Client) BaseURL() string { return c.base.String() }

// String describes the client without its token.
func (c *Client) String() string { return "ticaga.Client(" + c.BaseURL() + ")" }

// GoString is String, so %#v does not print the token either.
func (c *Client) GoString() string { return c.String() }

// Stats returns a snapshot of the client's request counts.
func (c *Client) Stats() Stats { return c.stats.snapshot() }

// redactedMark replaces a secret in an answer.
const redactedMark = "[redacted]"

// call is one API call.
type call struct {
	name       string     // endpoint template, e.g. "customers/get"
	subject    string     // what it is about, e.g. "id 17" (see APIError.Subject)
	method     string     // GET or POST
	path       string     // below /api/, e.g. "customers/get/17"
	form       url.Values // POST body
	idempotent bool       // safe to repeat after it may have reached Ticaga
	// notFoundOnAuth makes a documented not-found body on a 401 or 403
	// ErrAuthUnproven rather than ErrUnauthorized.
	notFoundOnAuth bool
	// secrets are sent by the call (a new user's password) and cut out of
	// the answer, like the token, before any of it reaches an error.
	secrets []Secret
}

// label names cl in an error: "customers/get (id 17)".
func (cl call) label() string {
	if cl.subject == "" {
		return cl.name
	}
	return cl.name + " (" + cl.subject + ")"
}

// newError returns an *APIError about cl with status and message.
func (cl call) newError(status int, msg string) *APIError {
	return &APIError{Endpoint: cl.name, Subject: cl.subject, Method: cl.method, Status: status, Message: msg}
}

// reply is the JSON object of a 2xx answer.
type reply struct {
	status   int
	attempts int
	obj      map[string]json.RawMessage
}

// do makes cl, retrying as allowed, and returns the JSON object of a 2xx
// answer. Its errors are *APIError, or wrap ctx.Err().
func (c *Client) do(ctx context.Context, cl call) (reply, error) {
	var slept time.Duration // between retries, bounded by c.timeout
	for n := 1; ; n++ {
		r, e := c.attempt(ctx, cl)
		if e == nil {
			r.attempts = n
			return r, nil
		}
		if err := ctx.Err(); err != nil {
			return reply{}, fmt.Errorf("ticaga: %s: %w", cl.label(), err)
		}
		if e.Err == errWaitTurn {
			return reply{}, fmt.Errorf("ticaga: %s: %s: %w", cl.label(), e.Message, context.DeadlineExceeded)
		}
		e.Attempts = n
		d, ok := c.retryDecision(ctx, cl, n, slept, e)
		if !ok {
			return reply{}, e
		}
		slept += d
		c.stats.retry()
		lvl := zerolog.DebugLevel
		if e.Status == http.StatusTooManyRequests {
			lvl = zerolog.WarnLevel
		}
		c.log.WithLevel(lvl).Str("endpoint", cl.name).Int("status", e.Status).
			Int("attempt", n).Str("retry_in", d.String()).Msg("ticaga: retrying")
		if err := sleep(ctx, d); err != nil {
			return reply{}, fmt.Errorf("ticaga: %s: %w (while waiting to retry after: %s)", cl.label(), err, e.Message)
		}
	}
}

// errWaitTurn marks a failure to wait for the rate limiter.
var errWaitTurn = errors.New("rate limiter wait failed")

// attempt makes one HTTP attempt of cl.
func (c *Client) attempt(ctx context.Context, cl call) (reply, *APIError) {
	waitStart := time.Now()
	if c.limiter != nil {
		if err := c.limiter.Wait(ctx); err != nil {
			e := cl.newError(0, "rate limit: "+err.Error())
			e.Err = errWaitTurn
			return reply{}, e
		}
	}
	sent, err := c.pacer.wait(ctx)
	if err != nil {
		e := cl.newError(0, "pacing: "+err.Error())
		e.Err = errWaitTurn
		return reply{}, e
	}
	if waited := sent.Sub(waitStart); waited > time.Millisecond {
		c.stats.paced(waited)
		c.log.Debug().Str("endpoint", cl.name).Str("waited", waited.String()).Msg("ticaga: paced")
	}
	status, hdr := 0, http.Header(nil)
	defer func() {
		c.pacer.done(sent, status, hdr)
		c.stats.request(cl.name, status)
		if c.observer != nil {
			c.observer(cl.name, status, time.Since(sent))
		}
	}()

	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := c.newRequest(actx, cl)
	if err != nil {
		return reply{}, cl.newError(0, "build request: "+c.token.Scrub(err.Error()))
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return reply{}, c.networkError(cl, 0, err, actx)
	}
	status, hdr = resp.StatusCode, resp.Header
	body, err := readBody(resp.Body, c.maxBody)
	drainClose(resp.Body)
	// A server that echoes the request must not put the token or a
	// password into an error, not even a part of it that a shortened
	// message would keep.
	for _, sec := range append([]Secret{c.token}, cl.secrets...) {
		if v := sec.Reveal(); v != "" {
			body = bytes.ReplaceAll(body, []byte(v), []byte(redactedMark))
		}
	}
	switch {
	case errors.Is(err, errTooLarge):
		e := cl.newError(status, fmt.Sprintf("answer larger than %d bytes (cut off)", c.maxBody))
		e.Retryable, e.RetryAfter = retryableStatus(status), retryAfter(hdr)
		return reply{}, e
	case err != nil:
		return reply{}, c.networkError(cl, status, err, actx)
	}
	obj, e := interpret(cl, answer{status: status, header: hdr, body: body}, c.token)
	if e != nil {
		return reply{}, e
	}
	return reply{status: status, obj: obj}, nil
}

// shapeError reports a 2xx answer of cl whose JSON is not what the API
// documents. It is not retryable: the same answer would come back.
func (c *Client) shapeError(cl call, r reply, err error) *APIError {
	e := cl.newError(r.status, "unexpected answer: "+c.token.Scrub(printable(err.Error(), 300)))
	e.Attempts = r.attempts
	return e
}

// newRequest builds the HTTP request for cl.
func (c *Client) newRequest(ctx context.Context, cl call) (*http.Request, error) {
	u := *c.base
	u.Path = c.base.Path + "/api/" + cl.path
	var body io.Reader
	if cl.method == http.MethodPost {
		body = strings.NewReader(cl.form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, cl.method, u.String(), body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token.Reveal())
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if c.adminEmail != "" {
		req.Header.Set("X-Admin-Email", c.adminEmail)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return req, nil
}

// networkError describes a failure to get a whole answer. Its message comes
// from the innermost error, without the request URL.
func (c *Client) networkError(cl call, status int, err error, actx context.Context) *APIError {
	e := cl.newError(status, "")
	e.Retryable, e.Err = true, err
	var uerr *url.Error
	if errors.As(err, &uerr) {
		e.Err = uerr.Err
	}
	var op *net.OpError
	e.notSent = errors.As(err, &op) && op.Op == "dial"
	msg := e.Err.Error()
	if errors.Is(actx.Err(), context.DeadlineExceeded) {
		msg = fmt.Sprintf("no answer within %s", c.timeout)
	}
	if status > 0 {
		e.Message = "reading answer: " + c.token.Scrub(msg)
	} else {
		e.Message = "network error: " + c.token.Scrub(msg)
	}
	return e
}
