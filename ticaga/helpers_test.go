package ticaga

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// testToken is the token every test client uses.
const testToken Secret = "tok-SECRET-9f8e7d"

// seen is one request a stub received.
type seen struct {
	Method string
	Path   string
	Header http.Header
	Form   url.Values
	Body   string
}

// stub is an httptest server that records requests and answers with a
// function of the request number (1 for the first).
type stub struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []seen
}

// newStub starts a stub closed at the end of the test.
func newStub(t *testing.T, answer func(w http.ResponseWriter, r *http.Request, n int)) *stub {
	t.Helper()
	s := &stub{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		form, _ := url.ParseQuery(string(body))
		s.mu.Lock()
		s.reqs = append(s.reqs, seen{r.Method, r.URL.Path, r.Header.Clone(), form, string(body)})
		n := len(s.reqs)
		s.mu.Unlock()
		answer(w, r, n)
	}))
	t.Cleanup(s.Close)
	return s
}

// jsonStub answers every request with status and body as JSON.
func jsonStub(t *testing.T, status int, body string) *stub {
	t.Helper()
	return newStub(t, func(w http.ResponseWriter, _ *http.Request, _ int) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}

// requests returns what the stub received.
func (s *stub) requests() []seen {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]seen(nil), s.reqs...)
}

// count returns how many requests the stub received.
func (s *stub) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.reqs)
}

// newClient returns a client for baseURL with fast retries; mods adjust
// its Config.
func newClient(t *testing.T, baseURL string, mods ...func(*Config)) *Client {
	t.Helper()
	cfg := Config{
		BaseURL:        baseURL,
		Token:          testToken,
		AdminEmail:     "admin@example.com",
		Timeout:        5 * time.Second,
		RetryBaseDelay: time.Millisecond,
		RetryMaxDelay:  5 * time.Millisecond,
		Logger:         zerolog.Nop(),
	}
	for _, m := range mods {
		m(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}
