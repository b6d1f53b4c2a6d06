package ticaga

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// htmlPage answers status with an HTML page.
func htmlPage(status int) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, "<html><head><title>Oops</title></head><body>Bad Gateway</body></html>")
	}
}

// apiError asserts err is an *APIError and returns it.
func apiError(t *testing.T, err error) *APIError {
	t.Helper()
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("error %v (%T) is not an *APIError", err, err)
	}
	return ae
}

func TestErrorShapes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		answer    func(http.ResponseWriter, *http.Request, int)
		status    int
		retryable bool
		kind      error // ErrNotFound, ErrAuthUnproven, ErrUnauthorized or nil
		message   string
	}{
		{"401 laravel", jsonAnswer(401, `{"message":"Unauthenticated."}`), 401, false, ErrUnauthorized, "credentials rejected: Unauthenticated."},
		{"403 empty", jsonAnswer(403, ``), 403, false, ErrUnauthorized, "credentials rejected"},
		{"401 html", htmlPage(401), 401, false, ErrUnauthorized, "HTML"},
		{"401 not-found body", jsonAnswer(401, seedUserNotFound), 401, false, ErrAuthUnproven, "not yet proven: the token may be revoked): User not authenticated"},
		{"403 not-found body", jsonAnswer(403, seedUserNotFound), 403, false, ErrAuthUnproven, "HTTP 403: not found, on an authentication status"},
		{"401 other error body", jsonAnswer(401, `{"error":"Invalid token"}`), 401, false, ErrUnauthorized, "credentials rejected: Invalid token"},
		{"403 html", htmlPage(403), 403, false, ErrUnauthorized, "credentials rejected (unexpected HTML page (not JSON))"},
		{"200 not-found body", jsonAnswer(200, seedUserNotFound), 200, false, ErrNotFound, "HTTP 200: not found: User not authenticated"},
		{"404 not-found body", jsonAnswer(404, seedUserNotFound), 404, false, ErrNotFound, "HTTP 404: not found: User not authenticated"},
		{"410 not-found body", jsonAnswer(410, seedUserNotFound), 410, false, ErrNotFound, "HTTP 410: not found: User not authenticated"},
		{"410 json without body", jsonAnswer(410, `{"message":"Gone"}`), 410, false, nil, "HTTP 410: Gone"},
		{"404 html", htmlPage(404), 404, false, nil, "unexpected HTML page (not JSON)"},
		{"404 json without body", jsonAnswer(404, `{"message":"Not Found"}`), 404, false, nil, "Not Found"},
		{"500 json", jsonAnswer(500, `{"message":"Server Error"}`), 500, true, nil, "HTTP 500: Server Error"},
		{"502 html", htmlPage(502), 502, true, nil, "HTTP 502: unexpected HTML page (not JSON)"},
		{"200 html", htmlPage(200), 200, false, nil, "unexpected HTML page (not JSON)"},
		{"400", jsonAnswer(400, `{"message":"Bad request"}`), 400, false, nil, "HTTP 400: Bad request"},
		{"422", jsonAnswer(422, `{"message":"The email field is required.","errors":{"email":["x"]}}`), 422, false, nil, "email field is required"},
		{"broken json", jsonAnswer(200, `{"user": {"id": 1,`), 200, false, nil, "invalid JSON"},
		{"json array", jsonAnswer(200, `[1,2]`), 200, false, nil, "not a JSON object"},
		{"json null", jsonAnswer(200, `null`), 200, false, nil, "null"},
		{"empty 200", jsonAnswer(200, ``), 200, false, nil, "empty answer"},
		{"user null", jsonAnswer(200, `{"user": null}`), 200, false, nil, "expected an object, got null"},
		{"user without email", jsonAnswer(200, `{"user": {"id": 1}}`), 200, false, nil, `missing "email"`},
		{"user id zero", jsonAnswer(200, `{"user": {"id": "", "email": "a@b"}}`), 200, false, nil, "not positive"},
		{"user id garbage", jsonAnswer(200, `{"user": {"id": "x1", "email": "a@b"}}`), 200, false, nil, "not an integer"},
		{"other error on 200", jsonAnswer(200, `{"error":"Something broke"}`), 200, false, nil, "Ticaga error: Something broke"},
		{"redirect", func(w http.ResponseWriter, r *http.Request, _ int) {
			http.Redirect(w, r, "https://u:p@elsewhere.example/login?next=x", http.StatusFound)
		}, 302, false, nil, "redirected to https://elsewhere.example/login (check BaseURL / TICAGA_URL)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStub(t, tc.answer)
			c := newClient(t, s.URL)
			_, err := c.Customer(t.Context(), 1)
			ae := apiError(t, err)
			if ae.Endpoint != "customers/get" || ae.Method != "GET" || ae.Status != tc.status || ae.Retryable != tc.retryable {
				t.Errorf("error = %+v, want customers/get GET status %d retryable %v", ae, tc.status, tc.retryable)
			}
			if !strings.Contains(err.Error(), tc.message) || !strings.HasPrefix(err.Error(), "ticaga: customers/get (id 1): ") {
				t.Errorf("error %q does not contain %q", err, tc.message)
			}
			// ErrAuthUnproven also matches ErrNotFound; each of ours also
			// matches its ticagasync counterpart.
			for _, k := range []struct{ ours, theirs error }{
				{ErrNotFound, ticagasync.ErrNotFound},
				{ErrAuthUnproven, ticagasync.ErrAuthUnproven},
				{ErrUnauthorized, ticagasync.ErrUnauthorized},
			} {
				want := tc.kind != nil && errors.Is(tc.kind, k.ours)
				if errors.Is(err, k.ours) != want || errors.Is(err, k.theirs) != want {
					t.Errorf("errors.Is(%v, %v) = %v/%v, want %v", err, k.ours,
						errors.Is(err, k.ours), errors.Is(err, k.theirs), want)
				}
			}
			wantCalls := 1
			if tc.retryable {
				wantCalls = 1 + DefaultMaxRetries
			}
			if s.count() != wantCalls {
				t.Errorf("%d calls, want %d", s.count(), wantCalls)
			}
		})
	}
}

// jsonAnswer answers status with a JSON body.
func jsonAnswer(status int, body string) func(http.ResponseWriter, *http.Request, int) {
	return func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestErrorMessageFormat(t *testing.T) {
	c := newClient(t, newStub(t, htmlPage(502)).URL, func(c *Config) { c.MaxRetries = -1 })
	_, err := c.Customer(t.Context(), 17)
	if got, want := err.Error(), "ticaga: customers/get (id 17): HTTP 502: unexpected HTML page (not JSON)"; got != want {
		t.Errorf("error = %q, want %q", got, want)
	}
}

func TestOversizedBody(t *testing.T) {
	big := `{"user": {"id": 1, "email": "a@b", "biography": "` + strings.Repeat("x", 2000) + `"}}`
	c := newClient(t, jsonStub(t, 200, big).URL, func(c *Config) { c.MaxBodyBytes = 1000 })
	_, err := c.Customer(t.Context(), 1)
	if ae := apiError(t, err); ae.Status != 200 || ae.Retryable || !strings.Contains(ae.Message, "larger than 1000 bytes") {
		t.Errorf("error = %+v", ae)
	}
	// Just under the cap is fine.
	c = newClient(t, jsonStub(t, 200, big).URL, func(c *Config) { c.MaxBodyBytes = int64(len(big)) })
	if _, err := c.Customer(t.Context(), 1); err != nil {
		t.Errorf("body of exactly the cap: %v", err)
	}
}

func TestDefaultBodyCap(t *testing.T) {
	huge := strings.Repeat(" ", DefaultMaxBodyBytes+1)
	c := newClient(t, jsonStub(t, 200, huge).URL)
	_, err := c.Customer(t.Context(), 1)
	if ae := apiError(t, err); !strings.Contains(ae.Message, "larger than") {
		t.Errorf("error = %v", err)
	}
}

func TestDroppedConnection(t *testing.T) {
	s := newStub(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = conn.Close()
		}
	})
	c := newClient(t, s.URL, func(c *Config) { c.MaxRetries = 2 })
	_, err := c.Customer(t.Context(), 1)
	ae := apiError(t, err)
	if ae.Status != 0 || !ae.Retryable || !strings.Contains(ae.Message, "network error") || ae.Attempts != 3 {
		t.Errorf("error = %+v", ae)
	}
	if st := c.Stats(); st.Requests[RequestKey{"customers/get", "network"}] != 3 || st.Retries != 2 {
		t.Errorf("stats = %+v", st)
	}
}

func TestNetworkErrorClosedPort(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	c := newClient(t, "http://"+addr, func(c *Config) { c.MaxRetries = 1 })
	_, err = c.Customer(t.Context(), 1)
	ae := apiError(t, err)
	if ae.Status != 0 || !ae.Retryable || !ae.notSent || ae.Attempts != 2 {
		t.Errorf("error = %+v", ae)
	}
	if !strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), addr+"/api") {
		t.Errorf("error = %q; want the cause without the URL", err)
	}
}

// Every error names the endpoint, what the call was about and the status.
func TestErrorNamesSubject(t *testing.T) {
	s := jsonStub(t, 502, `{"message":"Bad Gateway"}`)
	c := newClient(t, s.URL, func(c *Config) { c.MaxRetries = -1 })
	ctx := t.Context()
	for _, tc := range []struct {
		want string
		do   func() error
	}{
		{"ticaga: customers/get (id 17): HTTP 502: Bad Gateway", func() error { _, err := c.Customer(ctx, 17); return err }},
		{"ticaga: customers/get (id 17): HTTP 502: Bad Gateway", func() error { _, err := c.LookupUser(ctx, 17); return err }},
		{"ticaga: customers/assign (ticaga_id 17): HTTP 502: Bad Gateway", func() error { return c.Assign(ctx, 17, "4", "blesta") }},
		{"ticaga: customers/assign (ticaga_id 18): HTTP 502: Bad Gateway", func() error { return c.ClearBilling(ctx, 18, "blesta") }},
		{"ticaga: tickets/get (id 2, ticket_id 8): HTTP 502: Bad Gateway", func() error { _, err := c.Ticket(ctx, 2, 8); return err }},
		{"ticaga: tickets/get/all (id 2): HTTP 502: Bad Gateway", func() error { _, err := c.Tickets(ctx, 2); return err }},
		{"ticaga: tickets/close (customer_id 2, ticket_id 8): HTTP 502: Bad Gateway", func() error {
			_, err := c.CloseTicket(ctx, 2, 8)
			return err
		}},
		{"ticaga: responses/get (ticket_id 8): HTTP 502: Bad Gateway", func() error { _, err := c.Responses(ctx, 8); return err }},
		{"ticaga: connection: HTTP 502: Bad Gateway", func() error { return c.Connection(ctx) }},
		{"ticaga: login: HTTP 502: Bad Gateway", func() error { _, err := c.Login(ctx, "a@b", "pw"); return err }},
	} {
		if err := tc.do(); err == nil || err.Error() != tc.want {
			t.Errorf("error = %v, want %q", err, tc.want)
		}
	}

	// A cancelled call names its subject too.
	ctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.Customer(ctx, 17); err == nil || !strings.HasPrefix(err.Error(), "ticaga: customers/get (id 17): ") ||
		!errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}
