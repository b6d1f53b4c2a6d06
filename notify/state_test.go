package notify

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

func TestStateSurvivesJSON(t *testing.T) {
	h := newHook(t)
	n, _ := newNotifier(t, Config{WebhookURL: h.srv.URL})
	a, b := conflict(1, "a@x.example"), noMatch(2)
	if err := n.AfterRun(t.Context(), "blesta", report(1, a, b)); err != nil {
		t.Fatal(err)
	}
	h.take()
	saved, err := json.Marshal(n.State("blesta"))
	if err != nil {
		t.Fatal(err)
	}
	want := `{"version":1,"channels":{"webhook":{"open":[` +
		`{"billing_id":1,"action":"conflict","reason":"duplicate_billing_email"},` +
		`{"billing_id":2,"action":"no_match","reason":"no_ticaga_user"}]}}}`
	if string(saved) != want {
		t.Errorf("state JSON\n%s\nwant\n%s", saved, want)
	}

	// A new process restores it: the same decisions are not news.
	var restored State
	if err := json.Unmarshal(saved, &restored); err != nil {
		t.Fatal(err)
	}
	n2, _ := newNotifier(t, Config{WebhookURL: h.srv.URL})
	n2.SetState("blesta", restored)
	if err := n2.AfterRun(t.Context(), "blesta", report(2, a, b)); err != nil {
		t.Fatal(err)
	}
	if got := h.take(); len(got) != 0 {
		t.Errorf("after restore: %d requests, want none", len(got))
	}

	// A failure is kept too.
	if err := n2.AfterRun(t.Context(), "blesta", failedReport(3, errors.New("boom"))); err != nil {
		t.Fatal(err)
	}
	h.take()
	saved, _ = json.Marshal(n2.State("blesta"))
	if !strings.Contains(string(saved), `"failed":true,"error":"boom"`) {
		t.Errorf("state JSON %s: want the failure", saved)
	}
	var again State
	if err := json.Unmarshal(saved, &again); err != nil {
		t.Fatal(err)
	}
	n3, _ := newNotifier(t, Config{WebhookURL: h.srv.URL})
	n3.SetState("blesta", again)
	if err := n3.AfterRun(t.Context(), "blesta", failedReport(4, errors.New("boom"))); err != nil {
		t.Fatal(err)
	}
	if got := h.take(); len(got) != 0 {
		t.Errorf("same failure after restore: %d requests, want none", len(got))
	}
}

func TestStateJSONErrors(t *testing.T) {
	var s State
	if err := json.Unmarshal([]byte(`{"version":2,"channels":{}}`), &s); err == nil {
		t.Error("version 2: no error")
	}
	if err := json.Unmarshal([]byte(`{"version":`), &s); err == nil {
		t.Error("truncated: no error")
	}
	if err := json.Unmarshal([]byte(`null`), &s); err != nil {
		t.Errorf("null: %v", err)
	}
	if b, _ := json.Marshal(State{}); string(b) != `{"version":1,"channels":{}}` {
		t.Errorf("zero state: %s", b)
	}
}

func TestStateIsACopy(t *testing.T) {
	h := newHook(t)
	n, _ := newNotifier(t, Config{WebhookURL: h.srv.URL})
	if err := n.AfterRun(t.Context(), "blesta", report(1, conflict(1, "a@x.example"))); err != nil {
		t.Fatal(err)
	}
	s := n.State("blesta")
	clear(s.channel("webhook").open)
	if err := n.AfterRun(t.Context(), "blesta", report(2, conflict(1, "a@x.example"))); err != nil {
		t.Fatal(err)
	}
	if got := h.take(); len(got) != 1 {
		t.Errorf("%d requests, want only the first run's", len(got))
	}
}

func TestSourcesAreIndependent(t *testing.T) {
	h := newHook(t)
	n, _ := newNotifier(t, Config{WebhookURL: h.srv.URL})
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			src := fmt.Sprintf("blesta:company-%d", i)
			for run := range 3 {
				rep := report(int64(run), conflict(1, "a@x.example"))
				if err := n.AfterRun(t.Context(), src, rep); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	got := h.take()
	seen := map[string]int{}
	for _, x := range got {
		seen[x.payload.Source]++
	}
	if len(got) != 8 || len(seen) != 8 {
		t.Errorf("%d requests over %d sources, want one per source", len(got), len(seen))
	}
}

func TestValidate(t *testing.T) {
	smtpOK := SMTPConfig{Addr: "smtp.example.com:587", From: "ops@example.com", To: []string{"a@example.com"}}
	for _, tc := range []struct {
		name string
		cfg  Config
		want string // "" = valid
	}{
		{"empty", Config{}, ""},
		{"webhook", Config{WebhookURL: "https://hooks.example.com/x?token=t"}, ""},
		{"smtp", Config{SMTP: smtpOK}, ""},
		{"webhook scheme", Config{WebhookURL: "ftp://x.example/"}, "WebhookURL: scheme"},
		{"webhook host", Config{WebhookURL: "https:///x"}, "WebhookURL: no host"},
		{"action", Config{Actions: []ticagasync.Action{ticagasync.ActionLink}}, `Actions: "link"`},
		{"smtp addr", Config{SMTP: SMTPConfig{Addr: "smtp.example.com", From: "o@example.com", To: []string{"a@example.com"}}}, "SMTP.Addr"},
		{"smtp from", Config{SMTP: SMTPConfig{Addr: "h:25", To: []string{"a@example.com"}}}, "SMTP.From"},
		{"smtp to", Config{SMTP: SMTPConfig{Addr: "h:25", From: "o@example.com"}}, "SMTP.To: required"},
		{"smtp bad to", Config{SMTP: SMTPConfig{Addr: "h:25", From: "o@example.com", To: []string{"nope"}}}, "SMTP.To: not"},
		{"smtp password", Config{SMTP: SMTPConfig{Addr: "h:25", From: "o@example.com", To: []string{"a@example.com"}, Username: "u"}}, "SMTP.Password"},
		{"smtp tls", Config{SMTP: SMTPConfig{Addr: "h:25", From: "o@example.com", To: []string{"a@example.com"}, TLS: "ssl"}}, "SMTP.TLS"},
	} {
		err := tc.cfg.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: err %v, want %q", tc.name, err, tc.want)
		}
	}
	// An invalid configuration makes AfterRun fail, naming the field.
	n := New(Config{WebhookURL: "ftp://x.example/"}, zerolog.Nop())
	if err := n.AfterRun(t.Context(), "blesta", report(1)); err == nil || !strings.Contains(err.Error(), "WebhookURL") {
		t.Errorf("AfterRun with a bad config: %v", err)
	}
	if New(Config{}, zerolog.Nop()).Enabled() {
		t.Error("empty config enabled")
	}
}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2-password")
	cfg := SMTPConfig{Password: s}
	text := fmt.Sprintf("%v %s %q %#v %+v %x %d", s, s, s, s, cfg, s, s)
	b, _ := json.Marshal(cfg)
	assertAbsent(t, "formatted secret", text+string(b), "hunter2")
	if s.Reveal() != "hunter2-password" {
		t.Error("Reveal")
	}
}
