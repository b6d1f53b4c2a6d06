package ticagatest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// do sends a request with the right token unless token is given.
func do(t *testing.T, s *Server, method, path string, form url.Values, token ...string) (*http.Response, map[string]any) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	tok := s.Token()
	if len(token) > 0 {
		tok = token[0]
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &v)
	return resp, v
}

func TestUnauthenticated(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	id := s.AddUser(User{Email: "a@b"})
	resp, v := do(t, s, "POST", "/api/customers/assign", url.Values{"ticaga_id": {"1"}, "billing_id": {"3"}}, "nope")
	if resp.StatusCode != 401 || v["message"] != "Unauthenticated." {
		t.Errorf("wrong token: %d %v", resp.StatusCode, v)
	}
	if u, _ := s.User(id); u.BillingID != "0" || len(s.Assignments()) != 0 {
		t.Errorf("an unauthenticated assign changed state: %+v", u)
	}
	if s.Calls("customers/assign") != 1 {
		t.Errorf("Calls = %d, want the refused call counted", s.Calls("customers/assign"))
	}
}

func TestShapes(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	_, v := do(t, s, "POST", "/api/register", url.Values{"name": {"M"}, "email": {"m@x"}, "password": {"p"}, "billing_id": {"2"}, "account_manager": {"1"}})
	u, _ := v["user"].(map[string]any)
	if u["id"] != 1.0 || u["billing_id"] != "2" || u["account_manager"] != "1" {
		t.Errorf("register = %v", v)
	}
	_, v = do(t, s, "GET", "/api/customers/get/1", nil)
	u, _ = v["user"].(map[string]any)
	if _, ok := u["email_verified_at"]; !ok || u["email_verified_at"] != nil || u["phone_number"] != "" {
		t.Errorf("customers/get = %v", v)
	}
	resp, v := do(t, s, "GET", "/api/customers/get/2", nil)
	if resp.StatusCode != 200 || v["error"] != "User not authenticated" {
		t.Errorf("missing user: %d %v", resp.StatusCode, v)
	}
	s.SetNotFoundStatus(404)
	if resp, _ := do(t, s, "GET", "/api/customers/get/2", nil); resp.StatusCode != 404 {
		t.Errorf("missing user with SetNotFoundStatus(404): %d", resp.StatusCode)
	}
	if resp, _ := do(t, s, "GET", "/api/nothing", nil); resp.StatusCode != 404 || s.Calls("unknown") != 1 {
		t.Errorf("unknown route: %d", resp.StatusCode)
	}
}

func TestThrottleHeaders(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	s.AddUser(User{Email: "a@b"})
	s.Throttle(3, 2*time.Second)
	for i := 1; i <= 4; i++ {
		resp, v := do(t, s, "GET", "/api/customers/get/1", nil)
		h := resp.Header
		if h.Get("X-RateLimit-Limit") != "3" {
			t.Errorf("request %d: X-RateLimit-Limit %q", i, h.Get("X-RateLimit-Limit"))
		}
		if i <= 3 {
			if resp.StatusCode != 200 || h.Get("X-RateLimit-Remaining") != strconv.Itoa(3-i) {
				t.Errorf("request %d: %d, remaining %q", i, resp.StatusCode, h.Get("X-RateLimit-Remaining"))
			}
			continue
		}
		reset, _ := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64)
		if resp.StatusCode != 429 || h.Get("Retry-After") != "2" || h.Get("X-RateLimit-Remaining") != "0" ||
			reset < time.Now().Unix() || v["message"] != "Too Many Attempts." {
			t.Errorf("request %d: %d %v %v", i, resp.StatusCode, h, v)
		}
	}
	if s.TooManyRequests() != 1 || s.Calls("customers/get") != 4 {
		t.Errorf("429s %d, calls %d", s.TooManyRequests(), s.Calls("customers/get"))
	}
	s.Throttle(0, 0)
	if resp, _ := do(t, s, "GET", "/api/customers/get/1", nil); resp.StatusCode != 200 || resp.Header.Get("X-RateLimit-Limit") != "" {
		t.Errorf("after Throttle(0): %d %v", resp.StatusCode, resp.Header)
	}
}

func TestHTMLAndDrop(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	s.HTMLErrors(1)
	resp, _ := do(t, s, "GET", "/api/customers/get/1", nil)
	if resp.StatusCode != 502 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Errorf("HTMLErrors: %d %v", resp.StatusCode, resp.Header)
	}
	s.DropConnections(1)
	req, _ := http.NewRequestWithContext(t.Context(), "POST", s.URL()+"/api/connection", strings.NewReader("a=b"))
	req.Header.Set("Authorization", "Bearer "+s.Token())
	if resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("DropConnections: got %d, want a network error", resp.StatusCode)
	}
}

func TestFailEndpointReplaces(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	s.AddUser(User{Email: "a@b"})
	s.FailEndpoint("customers/get", 1000, 503)
	if resp, _ := do(t, s, "GET", "/api/customers/get/1", nil); resp.StatusCode != 503 {
		t.Errorf("FailEndpoint: %d", resp.StatusCode)
	}
	if resp, _ := do(t, s, "POST", "/api/connection", url.Values{"api_token": {s.Token()}}); resp.StatusCode != 200 {
		t.Errorf("FailEndpoint hit another endpoint: %d", resp.StatusCode)
	}
	s.FailEndpoint("customers/get", 0, 0)
	if resp, _ := do(t, s, "GET", "/api/customers/get/1", nil); resp.StatusCode != 200 {
		t.Errorf("FailEndpoint(0) did not clear: %d", resp.StatusCode)
	}
	s.FailNext(2, 500)
	s.FailNext(1, 504)
	if resp, _ := do(t, s, "GET", "/api/customers/get/1", nil); resp.StatusCode != 504 {
		t.Errorf("FailNext replaced: %d", resp.StatusCode)
	}
	if resp, _ := do(t, s, "GET", "/api/customers/get/1", nil); resp.StatusCode != 200 {
		t.Errorf("after FailNext ran out: %d", resp.StatusCode)
	}
}
