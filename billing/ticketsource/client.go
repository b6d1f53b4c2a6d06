// Package ticketsource reads TicketSource customers over TicketSource's
// HTTP API (https://api.ticketsource.io) as a ticaga-sync billing source,
// and records each link as a note on the TicketSource customer.
//
// The client pages GET /customers?per_page=100&page=N, following
// links.next to the end, with a bearer key; it bounds every request by a
// timeout, retries network errors, 408, 429 and 5xx with backoff (honouring
// Retry-After), caps bodies at 4 MiB, never follows a redirect, never sends
// the key to another host, and names the page and status of every answer
// it cannot use. The key never appears in an error or a log.
package ticketsource

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// DefaultURL is TicketSource's API (TICKETSOURCE_URL's default).
const DefaultURL = "https://api.ticketsource.io"

// PerPage is the page size asked for: the API's maximum.
const PerPage = 100

// MaxBody caps an answer's body.
const MaxBody = 4 << 20

// maxPages bounds one listing (a server whose links.next never ends).
const maxPages = 100_000

// Config configures a Client.
type Config struct {
	// BaseURL is the API's base URL (default DefaultURL).
	BaseURL string
	// Key is the API key, sent as a bearer token.
	Key string
	// Timeout bounds one attempt, body included, and the sleeps of one
	// call's retries (default 30s).
	Timeout time.Duration
	// Retries is how many times a retryable answer is retried (0: the
	// default 6; negative: never).
	Retries int
	// UserAgent is sent with every request.
	UserAgent string
	// Transport, when set, replaces http.DefaultTransport (TLS
	// verification stays on unless it turns it off).
	Transport http.RoundTripper
}

// Client talks to one TicketSource account.
type Client struct {
	base    *url.URL
	key     string
	timeout time.Duration
	retries int
	ua      string
	http    *http.Client
	sleep   func(context.Context, time.Duration) error
}

// New checks cfg and returns a client. An error names the setting.
func New(cfg Config) (*Client, error) {
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultURL
	}
	u, err := url.Parse(strings.TrimRight(cfg.BaseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return nil, errors.New("TICKETSOURCE_URL: must be an http(s) URL without credentials or query, e.g. " + DefaultURL)
	}
	key := strings.TrimSpace(cfg.Key)
	if key == "" || strings.ContainsFunc(key, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return nil, errors.New("TICKETSOURCE_API_KEY: required, without spaces or control characters")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = 6
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	tr := cfg.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	return &Client{base: u, key: key, timeout: cfg.Timeout, retries: cfg.Retries, ua: cfg.UserAgent,
		http:  &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		sleep: sleepCtx}, nil
}

// URL is the API's base URL.
func (c *Client) URL() string { return c.base.String() }

// Customer is one customer as the list answers it.
type Customer struct {
	ID        string
	FirstName string
	LastName  string
	// Email is "" when the customer has none (null or missing).
	Email string
}

// Note is one customer note.
type Note struct {
	ID          string
	Description string
	CreatedBy   string
}

// Error is an answer the client could not use. It names the call, the
// page or customer, and the status; it never holds the key.
type Error struct {
	Call   string // "GET /customers (page 3)"
	Status int    // 0 when there was no answer
	Msg    string
	Err    error // a wrapped cause (ticagasync.ErrUnauthorized for 401/403)
}

func (e *Error) Error() string {
	s := "ticketsource: " + e.Call
	if e.Status != 0 {
		s += fmt.Sprintf(": HTTP %d", e.Status)
	}
	return s + ": " + e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// EachCustomer calls fn for every customer, page by page in the API's
// order, following links.next from /customers?per_page=100&page=1 to the
// end. An error from fn stops it and is returned as is; any other error
// names the page and means the listing is incomplete.
func (c *Client) EachCustomer(ctx context.Context, fn func(Customer) error) error {
	return c.eachPage(ctx, "/customers", func(call string, raw json.RawMessage) error {
		cu, err := decodeCustomer(raw)
		if err != nil {
			return &Error{Call: call, Status: http.StatusOK, Msg: err.Error()}
		}
		return fn(cu)
	}, 0)
}

// FirstPage reads one customer at most (a check of the key and the
// answer's shape) and returns how many the page held.
func (c *Client) FirstPage(ctx context.Context) (int, error) {
	n := 0
	err := c.eachPage(ctx, "/customers", func(call string, raw json.RawMessage) error {
		if _, err := decodeCustomer(raw); err != nil {
			return &Error{Call: call, Status: http.StatusOK, Msg: err.Error()}
		}
		n++
		return nil
	}, 1)
	return n, err
}

// Customer reads customer id (GET /customers/{id}). found is false when
// TicketSource answers 404 with its JSON error document (a 404 page of
// anything else, a proxy say, is an error: the answer is unknown).
func (c *Client) Customer(ctx context.Context, id string) (cu Customer, found bool, err error) {
	call := "GET /customers/" + id
	st, b, err := c.do(ctx, call, http.MethodGet, c.base.String()+"/customers/"+url.PathEscape(id), nil, true)
	if err != nil {
		return Customer{}, false, err
	}
	var doc struct {
		Data   json.RawMessage   `json:"data"`
		Errors []json.RawMessage `json:"errors"`
	}
	jerr := json.Unmarshal(b, &doc)
	switch {
	case st == http.StatusNotFound && jerr == nil && len(doc.Errors) > 0:
		return Customer{}, false, nil
	case st != http.StatusOK:
		return Customer{}, false, &Error{Call: call, Status: st, Msg: errorText(b)}
	case jerr != nil:
		return Customer{}, false, &Error{Call: call, Status: st, Msg: "answer is not the expected JSON: " + jsonProblem(jerr, b)}
	case len(doc.Data) == 0 || string(doc.Data) == "null":
		return Customer{}, false, &Error{Call: call, Status: st, Msg: `answer has no "data" customer: ` + bodyHint(b)}
	}
	if cu, err = decodeCustomer(doc.Data); err != nil {
		return Customer{}, false, &Error{Call: call, Status: st, Msg: err.Error()}
	}
	if cu.ID != id {
		return Customer{}, false, &Error{Call: call, Status: st, Msg: fmt.Sprintf("answer is about customer %s", clip(cu.ID, 80))}
	}
	return cu, true, nil
}

// Notes returns every note of customer id.
func (c *Client) Notes(ctx context.Context, id string) ([]Note, error) {
	var out []Note
	err := c.eachPage(ctx, "/customers/"+url.PathEscape(id)+"/notes", func(call string, raw json.RawMessage) error {
		n, err := decodeNote(raw)
		if err != nil {
			return &Error{Call: call, Status: http.StatusOK, Msg: err.Error()}
		}
		out = append(out, n)
		return nil
	}, 0)
	return out, err
}

// AddNote creates a note on customer id (POST /customers/{id}/notes) and
// returns its id. It is retried only on 429 (the request was not taken);
// after a network error or a 5xx the note may exist.
func (c *Client) AddNote(ctx context.Context, id, description, createdBy string) (string, error) {
	body, _ := json.Marshal(map[string]any{"data": map[string]any{"type": "customer_note",
		"attributes": map[string]string{"description": description, "created_by": createdBy}}})
	call := "POST /customers/" + id + "/notes"
	st, b, err := c.do(ctx, call, http.MethodPost, c.base.String()+"/customers/"+url.PathEscape(id)+"/notes", body, false)
	if err != nil {
		return "", err
	}
	if st != http.StatusCreated && st != http.StatusOK {
		return "", &Error{Call: call, Status: st, Msg: "note refused: " + errorText(b)}
	}
	var doc struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(b, &doc); err != nil || len(doc.Data) == 0 {
		return "", &Error{Call: call, Status: st, Msg: "answer is not a note: " + bodyHint(b)}
	}
	n, err := decodeNote(doc.Data)
	if err != nil {
		return "", &Error{Call: call, Status: st, Msg: err.Error()}
	}
	return n.ID, nil
}

// eachPage walks a paginated list from path?per_page=...&page=1 along
// links.next, calling item for each element of data. limit > 0 asks for
// one page of that size.
func (c *Client) eachPage(ctx context.Context, path string, item func(call string, raw json.RawMessage) error, limit int) error {
	per := PerPage
	if limit > 0 {
		per = limit
	}
	next := fmt.Sprintf("%s%s?per_page=%d&page=1", c.base.String(), path, per)
	seen := map[string]bool{}
	for page := 1; next != ""; page++ {
		call := fmt.Sprintf("GET %s (page %d)", path, page)
		if page > maxPages {
			return &Error{Call: call, Msg: fmt.Sprintf("more than %d pages: links.next never ends", maxPages)}
		}
		seen[next] = true
		st, b, err := c.do(ctx, call, http.MethodGet, next, nil, true)
		if err != nil {
			return err
		}
		if st != http.StatusOK {
			return &Error{Call: call, Status: st, Msg: errorText(b)}
		}
		var doc struct {
			Data  *[]json.RawMessage `json:"data"`
			Links *struct {
				Next *string `json:"next"`
			} `json:"links"`
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return &Error{Call: call, Status: st, Msg: "answer is not the expected JSON: " + jsonProblem(err, b)}
		}
		if doc.Data == nil {
			return &Error{Call: call, Status: st, Msg: `answer has no "data" list: ` + bodyHint(b)}
		}
		for _, raw := range *doc.Data {
			if err := item(call, raw); err != nil {
				return err
			}
		}
		if limit > 0 {
			return nil
		}
		next = ""
		if doc.Links != nil && doc.Links.Next != nil {
			next = strings.TrimSpace(*doc.Links.Next)
		}
		if next == "" {
			return nil
		}
		u, err := c.base.Parse(next)
		switch {
		case err != nil:
			return &Error{Call: call, Status: st, Msg: fmt.Sprintf("links.next %q is not a URL", clip(next, 100))}
		case u.Scheme != c.base.Scheme || u.Host != c.base.Host:
			// The key is never sent to another host.
			return &Error{Call: call, Status: st, Msg: fmt.Sprintf("links.next points to %s://%s, not to TICKETSOURCE_URL's host", u.Scheme, u.Host)}
		}
		next = u.String()
		if seen[next] {
			return &Error{Call: call, Status: st, Msg: "links.next points back to a page already read"}
		}
		if len(*doc.Data) == 0 {
			return &Error{Call: call, Status: st, Msg: "an empty page with a links.next"}
		}
	}
	return nil
}

// do makes one call with retries and returns the final status and body.
// idempotent calls are retried on network errors, 408, 429 and 5xx; others
// only on 429.
func (c *Client) do(ctx context.Context, call, method, target string, body []byte, idempotent bool) (int, []byte, error) {
	var slept time.Duration
	backoff := 200 * time.Millisecond
	for attempt := 0; ; attempt++ {
		st, hdr, b, err := c.once(ctx, method, target, body)
		retry := false
		var wait time.Duration
		switch {
		case err != nil && ctx.Err() != nil:
			return 0, nil, &Error{Call: call, Msg: "stopped: " + ctx.Err().Error(), Err: ctx.Err()}
		case errors.Is(err, errTooLarge):
			return 0, nil, &Error{Call: call, Status: st, Msg: err.Error()}
		case err != nil:
			retry = idempotent
		case st == http.StatusUnauthorized || st == http.StatusForbidden:
			return st, b, &Error{Call: call, Status: st, Msg: "the API key was rejected (check TICKETSOURCE_API_KEY): " + errorText(b), Err: ticagasync.ErrUnauthorized}
		case st >= 300 && st < 400:
			return st, b, &Error{Call: call, Status: st, Msg: fmt.Sprintf("redirected to %q (fix TICKETSOURCE_URL)", clip(hdr.Get("Location"), 200))}
		case st == http.StatusTooManyRequests:
			retry, wait = true, retryAfter(hdr.Get("Retry-After"))
		case st == http.StatusRequestTimeout || st >= 500:
			retry, wait = idempotent, retryAfter(hdr.Get("Retry-After"))
		}
		if !retry || attempt >= c.retries {
			if err != nil {
				return 0, nil, &Error{Call: call, Msg: err.Error()}
			}
			if retry {
				return st, b, &Error{Call: call, Status: st, Msg: fmt.Sprintf("%s (after %d attempts)", errorText(b), attempt+1)}
			}
			return st, b, nil
		}
		if wait <= 0 {
			wait = backoff/2 + time.Duration(rand.Int64N(int64(backoff/2)+1))
			backoff = min(2*backoff, 10*time.Second)
		}
		if slept+wait > c.timeout {
			msg := fmt.Sprintf("gave up: waiting %s more would exceed TICKETSOURCE_TIMEOUT (%s)", wait, c.timeout)
			if err != nil {
				return 0, nil, &Error{Call: call, Msg: err.Error() + "; " + msg}
			}
			return st, b, &Error{Call: call, Status: st, Msg: errorText(b) + "; " + msg}
		}
		if err := c.sleep(ctx, wait); err != nil {
			return 0, nil, &Error{Call: call, Msg: "stopped: " + err.Error(), Err: err}
		}
		slept += wait
	}
}

// once makes one attempt.
func (c *Client) once(ctx context.Context, method, target string, body []byte) (int, http.Header, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.ua != "" {
		req.Header.Set("User-Agent", c.ua)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, scrubURLError(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBody+1))
	if err != nil {
		return 0, nil, nil, fmt.Errorf("HTTP %d: reading the body: %w", resp.StatusCode, scrubURLError(err))
	}
	if len(b) > MaxBody {
		return resp.StatusCode, resp.Header, nil, fmt.Errorf("%w (%d MiB)", errTooLarge, MaxBody>>20)
	}
	return resp.StatusCode, resp.Header, b, nil
}

// errTooLarge is a body over MaxBody.
var errTooLarge = errors.New("body larger than the cap")

// scrubURLError drops the URL from a *url.Error (the message names the
// call instead).
func scrubURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryAfter reads a Retry-After header (seconds or an HTTP date).
func retryAfter(v string) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return max(time.Duration(n)*time.Second, time.Millisecond)
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), time.Millisecond)
	}
	return 0
}

// decodeCustomer reads one element of a customers list.
func decodeCustomer(raw json.RawMessage) (Customer, error) {
	var v struct {
		ID         *string `json:"id"`
		Type       string  `json:"type"`
		Attributes *struct {
			FirstName *string `json:"first_name"`
			LastName  *string `json:"last_name"`
			Email     *string `json:"email"`
		} `json:"attributes"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return Customer{}, fmt.Errorf("a customer is not the expected JSON: %s", jsonProblem(err, raw))
	}
	if v.ID == nil || strings.TrimSpace(*v.ID) == "" {
		return Customer{}, fmt.Errorf("a customer has no id: %s", bodyHint(raw))
	}
	id, err := ticagasync.ParseBillingID(*v.ID)
	if err != nil || id.Numeric() {
		return Customer{}, fmt.Errorf("customer id %q is not a TicketSource id (cst-...)", clip(*v.ID, 80))
	}
	if v.Type != "" && v.Type != "customer" {
		return Customer{}, fmt.Errorf("customer %s has type %q, not customer", id, clip(v.Type, 40))
	}
	if v.Attributes == nil {
		return Customer{}, fmt.Errorf("customer %s has no attributes", id)
	}
	c := Customer{ID: string(id)}
	if a := v.Attributes; a.FirstName != nil {
		c.FirstName = *a.FirstName
	}
	if a := v.Attributes; a.LastName != nil {
		c.LastName = *a.LastName
	}
	if a := v.Attributes; a.Email != nil {
		c.Email = strings.TrimSpace(*a.Email)
	}
	return c, nil
}

func decodeNote(raw json.RawMessage) (Note, error) {
	var v struct {
		ID         string `json:"id"`
		Attributes struct {
			Description string `json:"description"`
			CreatedBy   string `json:"created_by"`
		} `json:"attributes"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return Note{}, fmt.Errorf("a note is not the expected JSON: %s", jsonProblem(err, raw))
	}
	if v.ID == "" {
		return Note{}, fmt.Errorf("a note has no id: %s", bodyHint(raw))
	}
	return Note{ID: v.ID, Description: v.Attributes.Description, CreatedBy: v.Attributes.CreatedBy}, nil
}

// errorText is the message of a JSON:API error body, or a hint of the body.
func errorText(b []byte) string {
	var e struct {
		Errors []struct {
			Title  string `json:"title"`
			Detail string `json:"detail"`
		} `json:"errors"`
	}
	if json.Unmarshal(b, &e) == nil && len(e.Errors) > 0 {
		msg := strings.TrimSpace(e.Errors[0].Title + ": " + e.Errors[0].Detail)
		return clip(strings.Trim(msg, ": "), 200)
	}
	return bodyHint(b)
}

// bodyHint describes a body for an error without quoting much of it.
func bodyHint(b []byte) string {
	t := bytes.TrimSpace(b)
	switch {
	case len(t) == 0:
		return "empty body"
	case t[0] == '<':
		return "unexpected HTML page (not JSON)"
	}
	return strconv.Quote(clip(string(t), 120))
}

func jsonProblem(err error, b []byte) string {
	if len(bytes.TrimSpace(b)) == 0 || bytes.TrimSpace(b)[0] == '<' {
		return bodyHint(b)
	}
	return clip(err.Error(), 120)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
