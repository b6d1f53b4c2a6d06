package ticagatest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
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
		// Laravel's Retry-After: the window's end in whole seconds minus
		// the current second.
		if ra := h.Get("Retry-After"); resp.StatusCode != 429 || (ra != "1" && ra != "2") || h.Get("X-RateLimit-Remaining") != "0" ||
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

// outcome is what one raw request got.
type outcome struct {
	status int
	header http.Header
	body   []byte
	err    error // a network error: no answer
}

// try sends one request with token over a fresh transport (so that a
// dropped connection is not retried) and returns what came back.
func try(t *testing.T, s *Server, method, path string, form url.Values, token string) outcome {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL()+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return outcome{err: err}
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return outcome{status: resp.StatusCode, header: resp.Header, body: raw, err: err}
}

func TestFaultMix(t *testing.T) {
	s := New(Options{Seed: 7})
	defer s.Close()
	s.SetFaultMix(FaultMix{ServerError: 0.3, TooManyRequests: 0.1, Drop: 0.05, HTML: 0.05, RetryAfter: 2500 * time.Millisecond})
	const n = 1000
	counts := map[string]int{}
	for range n {
		// POST, so that no client retries a dropped connection.
		o := try(t, s, "POST", "/api/connection", url.Values{"api_token": {s.Token()}}, s.Token())
		switch {
		case o.err != nil:
			counts["drop"]++
		case o.status == 200:
			counts["ok"]++
		case o.status == 429:
			if o.header.Get("Retry-After") != "3" || !strings.Contains(string(o.body), "Too Many Attempts.") {
				t.Errorf("429: Retry-After %q, body %s", o.header.Get("Retry-After"), o.body)
			}
			counts["429"]++
		case o.status == 502 && strings.HasPrefix(o.header.Get("Content-Type"), "text/html"):
			if !strings.Contains(string(o.body), "nginx") {
				t.Errorf("HTML fault body = %s", o.body)
			}
			counts["html"]++
		case o.status == 500 || o.status == 502 || o.status == 503:
			if !strings.Contains(string(o.body), `"Server Error"`) {
				t.Errorf("server error body = %s", o.body)
			}
			counts["5xx"]++
		default:
			t.Errorf("unexpected answer %d %s", o.status, o.body)
		}
	}
	for kind, p := range map[string]float64{"ok": 0.5, "5xx": 0.3, "429": 0.1, "drop": 0.05, "html": 0.05} {
		if got := float64(counts[kind]) / n; got < p-0.05 || got > p+0.05 {
			t.Errorf("%s: %d of %d, want about %.0f%%", kind, counts[kind], n, p*100)
		}
	}
	if s.Calls("connection") != n {
		t.Errorf("Calls = %d, want %d (faults are counted)", s.Calls("connection"), n)
	}

	// A request that fails authentication draws no fault.
	for range 50 {
		if o := try(t, s, "GET", "/api/customers/get/1", nil, "wrong"); o.status != 401 {
			t.Fatalf("wrong token under a fault mix: %d %v", o.status, o.err)
		}
	}
	// The default Retry-After is 1s; the zero FaultMix is off.
	s.SetFaultMix(FaultMix{TooManyRequests: 1})
	if o := try(t, s, "GET", "/api/customers/get/1", nil, s.Token()); o.status != 429 || o.header.Get("Retry-After") != "1" {
		t.Errorf("TooManyRequests 1: %d, Retry-After %q", o.status, o.header.Get("Retry-After"))
	}
	s.SetFaultMix(FaultMix{})
	for range 20 {
		if o := try(t, s, "GET", "/api/customers/get/1", nil, s.Token()); o.status != 200 {
			t.Fatalf("zero FaultMix: %d %v", o.status, o.err)
		}
	}
}

func TestUserFault(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	id := s.AddUser(User{Name: "A", Email: "a@example.com"})
	other := s.AddUser(User{Name: "B", Email: "b@example.com"})
	get := func(id int64) outcome {
		return try(t, s, "GET", "/api/customers/get/"+strconv.FormatInt(id, 10), nil, s.Token())
	}
	assign := func(id int64) outcome {
		return try(t, s, "POST", "/api/customers/assign",
			url.Values{"ticaga_id": {strconv.FormatInt(id, 10)}, "billing_id": {"9"}, "billing_system": {"blesta"}}, s.Token())
	}

	body := []byte("{\"user\": \x00 nul}")
	s.SetUserFault(id, UserFault{Status: 500, Body: body})
	body[0] = 'X' // the fault keeps its own copy
	if o := get(id); o.status != 500 || string(o.body) != "{\"user\": \x00 nul}" || o.header.Get("Content-Type") != "application/json" {
		t.Errorf("Status 500 fault: %d %q %v", o.status, o.body, o.header)
	}
	if o := assign(id); o.status != 500 {
		t.Errorf("assign under a fault: %d", o.status)
	}
	if u, _ := s.User(id); u.BillingID != "0" || len(s.Assignments()) != 0 {
		t.Errorf("an assign answered by a fault changed the user: %+v", u)
	}
	if o := get(other); o.status != 200 {
		t.Errorf("another user: %d", o.status)
	}

	s.SetUserFault(id, UserFault{Status: 200, Body: []byte("<html>hi</html>"), Header: http.Header{"Content-Type": {"text/html"}}})
	if o := get(id); o.status != 200 || o.header.Get("Content-Type") != "text/html" || string(o.body) != "<html>hi</html>" {
		t.Errorf("HTML 200 fault: %d %q %v", o.status, o.body, o.header)
	}
	s.SetUserFault(id, UserFault{Status: 200, Body: BigBody(id, 5<<20)})
	if o := get(id); o.status != 200 || len(o.body) < 5<<20 || !json.Valid(o.body) {
		t.Errorf("big body fault: %d, %d bytes", o.status, len(o.body))
	}
	s.SetUserFault(id, UserFault{Drop: true})
	if o := get(id); o.err == nil {
		t.Errorf("Drop fault answered %d", o.status)
	}
	s.SetUserFault(id, UserFault{Delay: 200 * time.Millisecond})
	start := time.Now()
	if o := get(id); o.status != 200 || time.Since(start) < 200*time.Millisecond {
		t.Errorf("Delay fault: %d after %v", o.status, time.Since(start))
	}
	s.ClearUserFault(id)
	if o := get(id); o.status != 200 {
		t.Errorf("after ClearUserFault: %d", o.status)
	}
	// A fault of a user that does not exist answers too.
	s.SetUserFault(99, UserFault{Status: 200, Body: []byte(`{"user":{"id":18,"email":"x@y"}}`)})
	if o := get(99); o.status != 200 || !strings.Contains(string(o.body), `"id":18`) {
		t.Errorf("fault of a missing user: %d %s", o.status, o.body)
	}
}

func TestNotFoundStatuses(t *testing.T) {
	s := New(Options{})
	defer s.Close()
	for _, status := range []int{200, 401, 403, 404, 410} {
		s.SetNotFoundStatus(status)
		o := try(t, s, "GET", "/api/customers/get/5", nil, s.Token())
		if o.status != status || !strings.Contains(string(o.body), `"User not authenticated"`) {
			t.Errorf("SetNotFoundStatus(%d): %d %s", status, o.status, o.body)
		}
		o = try(t, s, "GET", "/api/responses/get/5", nil, s.Token())
		if o.status != status || !strings.Contains(string(o.body), `"Ticket not found"`) {
			t.Errorf("SetNotFoundStatus(%d), responses: %d %s", status, o.status, o.body)
		}
	}
	s.SetNotFoundStatus(0)
	if o := try(t, s, "GET", "/api/customers/get/5", nil, s.Token()); o.status != 200 {
		t.Errorf("SetNotFoundStatus(0): %d", o.status)
	}
}

func TestAuthFailureAndRevoke(t *testing.T) {
	s := New(Options{Token: "old"})
	defer s.Close()
	s.AddUser(User{Name: "A", Email: "a@example.com"})
	if o := try(t, s, "GET", "/api/customers/get/1", nil, "wrong"); o.status != 401 || string(o.body) != `{"message":"Unauthenticated."}` {
		t.Errorf("default auth failure: %d %s", o.status, o.body)
	}
	s.SetAuthFailure(401, `{"error":"User not authenticated"}`)
	if o := try(t, s, "GET", "/api/customers/get/1", nil, "wrong"); o.status != 401 || string(o.body) != `{"error":"User not authenticated"}` {
		t.Errorf("SetAuthFailure: %d %s", o.status, o.body)
	}
	if o := try(t, s, "GET", "/api/customers/get/1", nil, "old"); o.status != 200 {
		t.Errorf("right token: %d", o.status)
	}

	s.RevokeToken()
	if s.Token() != "" {
		t.Errorf("Token after RevokeToken = %q", s.Token())
	}
	for _, tok := range []string{"old", ""} {
		if o := try(t, s, "GET", "/api/customers/get/1", nil, tok); o.status != 401 || !strings.Contains(string(o.body), "User not authenticated") {
			t.Errorf("revoked, token %q: %d %s", tok, o.status, o.body)
		}
		if o := try(t, s, "POST", "/api/connection", url.Values{"api_token": {tok}}, tok); o.status != 401 {
			t.Errorf("revoked, connection with token %q: %d %s", tok, o.status, o.body)
		}
	}

	s.SetToken("new")
	if o := try(t, s, "GET", "/api/customers/get/1", nil, "new"); o.status != 200 {
		t.Errorf("new token: %d", o.status)
	}
	o := try(t, s, "POST", "/api/connection", url.Values{"api_token": {"old"}}, "new")
	if o.status != 200 || !strings.Contains(string(o.body), `"result":"false"`) {
		t.Errorf("connection with the old api_token: %d %s", o.status, o.body)
	}
	if o := try(t, s, "POST", "/api/connection", url.Values{"api_token": {"new"}}, "new"); !strings.Contains(string(o.body), `"result":"true"`) {
		t.Errorf("connection with the new api_token: %d %s", o.status, o.body)
	}
	s.SetAuthFailure(0, "")
	if o := try(t, s, "GET", "/api/customers/get/1", nil, "old"); o.status != 401 || !strings.Contains(string(o.body), "Unauthenticated.") {
		t.Errorf("SetAuthFailure(0) did not restore the default: %d %s", o.status, o.body)
	}
}

// The knobs may be turned while requests are served (run with -race).
func TestKnobsWhileServing(t *testing.T) {
	s := New(Options{Token: "tok"})
	defer s.Close()
	s.AddUser(User{Name: "A", Email: "a@example.com"})
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			s.SetFaultMix(FaultMix{ServerError: float64(i%3) / 10})
			s.SetUserFault(1, UserFault{Status: 500 + i%3})
			s.ClearUserFault(1)
			s.SetAuthFailure(401+i%3, `{}`)
			s.SetNotFoundStatus([]int{200, 401, 410}[i%3])
			s.SetToken("tok")
			time.Sleep(time.Millisecond)
		}
	}()
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 25 {
				_ = try(t, s, "GET", "/api/customers/get/"+strconv.Itoa(1+j%2), nil, s.Token())
			}
		}()
	}
	wg.Wait()
	close(stop)
	<-done
}
