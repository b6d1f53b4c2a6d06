package notify

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestWebhookErrorKeepsStateAndToken(t *testing.T) {
	h := newHook(t)
	const token, password = "tok-0123456789abcdef", "pw-fedcba9876543210"
	hookURL := strings.Replace(h.srv.URL, "http://", "http://ops:"+password+"@", 1) + "/hook?token=" + token
	n, logs := newNotifier(t, Config{WebhookURL: hookURL})
	a := conflict(1, "a@x.example")

	h.answer(500, 500)
	err := n.AfterRun(t.Context(), "blesta", report(1, a))
	if err == nil || !strings.Contains(err.Error(), "500") || !strings.HasPrefix(err.Error(), "webhook: ") {
		t.Fatalf("err %v, want a webhook error naming 500", err)
	}
	if got := h.take(); len(got) != 2 || got[0].query != "token="+token {
		t.Fatalf("%d requests, want 2 (one retry) carrying the token", len(got))
	}
	assertAbsent(t, "error", err.Error(), token, password)
	assertAbsent(t, "logs", logs.String(), token, password)
	if !strings.Contains(logs.String(), "not delivered") {
		t.Errorf("logs %s: want the failed delivery", logs.String())
	}

	// Not delivered: the next run sends the same news.
	if err := n.AfterRun(t.Context(), "blesta", report(2, a)); err != nil {
		t.Fatal(err)
	}
	if p := h.takeOne(t).payload; !slices.Equal(billingIDs(p), []int64{1}) || p.RunID != 2 {
		t.Errorf("resent payload: new %v run %d", billingIDs(p), p.RunID)
	}

	// 4xx is not retried; 503 then 200 is one retry and success.
	h.answer(404)
	err = n.AfterRun(t.Context(), "blesta", report(3, a, noMatch(2)))
	if err == nil || !strings.Contains(err.Error(), "404 Not Found") || len(h.take()) != 1 {
		t.Errorf("404: err %v", err)
	}
	h.answer(503)
	if err := n.AfterRun(t.Context(), "blesta", report(4, a, noMatch(2))); err != nil || len(h.take()) != 2 {
		t.Errorf("503 then 200: err %v", err)
	}

	// Unreachable: the network error names the host, not the token.
	h.srv.Close()
	err = n.AfterRun(t.Context(), "blesta", report(5, a))
	if err == nil {
		t.Fatal("unreachable hook: no error")
	}
	assertAbsent(t, "network error", err.Error(), token, password)
	assertAbsent(t, "logs", logs.String(), token, password)
}

func TestWebhookRedirectNotFollowed(t *testing.T) {
	h := newHook(t)
	n, _ := newNotifier(t, Config{WebhookURL: h.srv.URL})
	h.answer(http.StatusFound)
	err := n.AfterRun(t.Context(), "blesta", report(1, conflict(1, "a@x.example")))
	if err == nil || !strings.Contains(err.Error(), "302") {
		t.Errorf("err %v, want 302", err)
	}
}

func TestWebhookTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	n, _ := newNotifier(t, Config{WebhookURL: srv.URL + "?token=tok-timeout-1234", WebhookTimeout: 100 * time.Millisecond})
	start := time.Now()
	err := n.AfterRun(t.Context(), "blesta", report(1, conflict(1, "a@x.example")))
	if err == nil || !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Fatalf("err %v after %s, want a deadline", err, time.Since(start))
	}
	assertAbsent(t, "error", err.Error(), "tok-timeout-1234")
}

// Slack- and Discord-style hooks carry the token in the path.
func TestWebhookPathTokenNeverShown(t *testing.T) {
	h := newHook(t)
	const token = "T0K3N-secret-path-4242"
	n, logs := newNotifier(t, Config{WebhookURL: h.srv.URL + "/services/" + token})
	h.answer(404)
	err := n.AfterRun(t.Context(), "blesta", report(1, conflict(1, "a@x.example")))
	if err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("err %v, want a 404", err)
	}
	assertAbsent(t, "error", err.Error(), token)
	assertAbsent(t, "logs", logs.String(), token)
	h.srv.Close()
	err = n.AfterRun(t.Context(), "blesta", report(2, conflict(1, "a@x.example")))
	if err == nil {
		t.Fatal("unreachable hook: no error")
	}
	assertAbsent(t, "network error", err.Error(), token)
	assertAbsent(t, "logs", logs.String(), token)
}
