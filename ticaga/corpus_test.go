package ticaga

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Malformed and hostile answers to customers/get: each must be an error
// that leaves the user unknown (neither ErrNotFound nor ErrUnauthorized)
// and says which call, which id and which status it was about.
func TestCustomerCorpus(t *testing.T) {
	const big = 20 << 20 // 20 MiB, five times DefaultMaxBodyBytes
	for _, tc := range []struct {
		name   string
		answer func(http.ResponseWriter, *http.Request, int)
		status int    // 0: no answer arrived
		want   string // what was wrong
		mods   []func(*Config)
		absent []string // must not appear in the error
	}{
		{name: "HTML on 200", answer: htmlPage(200), status: 200, want: "unexpected HTML page (not JSON)"},
		{name: "truncated JSON", answer: jsonAnswer(200, `{"user": {"id": 17, "email": "a@`), status: 200,
			want: "invalid JSON at byte"},
		{name: "empty body", answer: jsonAnswer(200, ``), status: 200, want: "empty answer"},
		{name: "empty object", answer: jsonAnswer(200, `{}`), status: 200, want: `no "user" in the answer`},
		{name: "user null", answer: jsonAnswer(200, `{"user": null}`), status: 200, want: `"user": expected an object, got null`},
		{name: "user array", answer: jsonAnswer(200, `{"user": []}`), status: 200, want: `"user": expected an object, got an array`},
		{name: "user string", answer: jsonAnswer(200, `{"user": "17"}`), status: 200, want: `"user": expected an object, got a string`},
		{name: "id boolean", answer: jsonAnswer(200, `{"user": {"id": true, "email": "a@example.com"}}`), status: 200,
			want: `"id" is a boolean, not a number or a string`},
		{name: "id fraction", answer: jsonAnswer(200, `{"user": {"id": 17.5, "email": "a@example.com"}}`), status: 200,
			want: "not an integer"},
		{name: "email number", answer: jsonAnswer(200, `{"user": {"id": 17, "email": 17}}`), status: 200,
			want: `"email" is a number, not a string`},
		{name: "email object", answer: jsonAnswer(200, `{"user": {"id": 17, "email": {"address": "a@example.com"}}}`), status: 200,
			want: `"email" is an object, not a string`},
		{name: "email null", answer: jsonAnswer(200, `{"user": {"id": 17, "email": null}}`), status: 200,
			want: `"email" is null, not a string`},
		{name: "another id", answer: jsonAnswer(200, `{"user": {"id": 18, "email": "b@example.com"}}`), status: 200,
			want: "answer is about user 18, not 17"},
		{name: "20 MiB body", answer: func(w http.ResponseWriter, _ *http.Request, _ int) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"user": {"id": 17, "email": "a@example.com", "biography": "`)
			chunk := strings.Repeat("x", 64<<10)
			for n := 0; n < big; n += len(chunk) {
				if _, err := io.WriteString(w, chunk); err != nil {
					return // the client hung up: it did not read it all
				}
			}
			_, _ = io.WriteString(w, `"}}`)
		}, status: 200, want: "answer larger than " + strconv.Itoa(DefaultMaxBodyBytes) + " bytes (cut off)"},
		{name: "NUL bytes", answer: jsonAnswer(200, "{\"user\": {\"id\": 17,\x00\x00 \"email\": \"a@example.com\"}}"), status: 200,
			want: "invalid JSON at byte 20: invalid character"},
		{name: "redirect", answer: func(w http.ResponseWriter, r *http.Request, _ int) {
			http.Redirect(w, r, "https://admin:hunter2@login.example/sso?token=abc#frag", http.StatusFound)
		}, status: 302, want: "redirected to https://login.example/sso (check BaseURL / TICAGA_URL)",
			absent: []string{"hunter2", "admin", "token=abc", "frag"}},
		{name: "unknown error on 200", answer: jsonAnswer(200, `{"error":"Something else"}`), status: 200,
			want: "Ticaga error: Something else"},
		{name: "unknown error on 500", answer: jsonAnswer(500, `{"error":"Something else"}`), status: 500,
			want: "Something else (after 7 attempts)"},
		{name: "slower than Timeout", answer: func(_ http.ResponseWriter, r *http.Request, _ int) {
			select {
			case <-r.Context().Done():
			case <-time.After(3 * time.Second):
			}
		}, want: "network error: no answer within 200ms",
			mods: []func(*Config){func(c *Config) { c.Timeout = 200 * time.Millisecond; c.MaxRetries = -1 }}},
		{name: "text/html with a PHP warning before the JSON", answer: func(w http.ResponseWriter, _ *http.Request, _ int) {
			w.Header().Set("Content-Type", "text/html; charset=UTF-8")
			_, _ = io.WriteString(w, "\nWarning: Undefined array key \"company\" in /var/www/ticaga/app/Http/Api.php on line 42\n"+
				`{"user": {"id": 17, "email": "a@example.com"}}`)
		}, status: 200, want: "unexpected HTML page (not JSON)"},
		{name: "text/html with a trailing comment", answer: func(w http.ResponseWriter, _ *http.Request, _ int) {
			w.Header().Set("Content-Type", "text/html")
			_, _ = io.WriteString(w, `{"user": {"id": 17, "email": "a@example.com"}}<!-- cached 0.02s -->`)
		}, status: 200, want: "unexpected HTML page (not JSON)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, newStub(t, tc.answer).URL, tc.mods...)
			u, err := c.Customer(t.Context(), 17)
			if err == nil {
				t.Fatalf("Customer(17) = %+v, nil; want an error", u)
			}
			ae := apiError(t, err)
			if errors.Is(err, ErrNotFound) || errors.Is(err, ErrUnauthorized) || errors.Is(err, ErrAuthUnproven) {
				t.Errorf("error %v claims to know: not found or unauthorized", err)
			}
			if ae.Status != tc.status {
				t.Errorf("Status = %d, want %d", ae.Status, tc.status)
			}
			msg := err.Error()
			want := []string{"ticaga: customers/get (id 17): ", tc.want}
			if tc.status != 0 {
				want = append(want, "HTTP "+strconv.Itoa(tc.status)+": ")
			}
			for _, w := range want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
			for _, a := range append(tc.absent, testToken.Reveal()) {
				if strings.Contains(msg, a) {
					t.Errorf("error %q contains %q", msg, a)
				}
			}
		})
	}
}
