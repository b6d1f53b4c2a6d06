package notify

import (
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

const smtpPassword = "smtp-pw-5ecret-0987"

// smtpConfig returns an email-only configuration for the fake server.
func smtpConfig(f *fakeSMTP) Config {
	return Config{SMTP: SMTPConfig{Addr: f.addr, Username: "ticaga-sync", Password: Secret(smtpPassword),
		From: "Ticaga Sync <ops@example.com>", To: []string{"a@example.com", "Zoë <zoe@example.com>"},
		Timeout: 5 * time.Second}}
}

// emailChannel returns n's email channel.
func emailChannel(t *testing.T, n *Notifier) *email {
	t.Helper()
	for _, ch := range n.channels {
		if e, ok := ch.(*email); ok {
			return e
		}
	}
	t.Fatal("no email channel")
	return nil
}

// parse reads a captured message and decodes its body.
func parse(t *testing.T, m fakeMessage) (*mail.Message, string) {
	t.Helper()
	msg, err := mail.ReadMessage(strings.NewReader(m.data))
	if err != nil {
		t.Fatalf("message: %v\n%s", err, m.data)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatalf("body: %v", err)
	}
	return msg, string(body)
}

func TestEmailMessage(t *testing.T) {
	f := startFakeSMTP(t, nil, "ticaga-sync", smtpPassword)
	n, logs := newNotifier(t, smtpConfig(f))
	zoe := conflict(5, "zoë@bücher.example")
	zoe.Detail = "billing clients 5, 6 share this email"
	rep := report(42, zoe, conflict(6, "zoë@bücher.example"), noMatch(7), linked(1, ticagasync.ActionLink))
	if err := n.AfterRun(t.Context(), "bücher", rep); err != nil {
		t.Fatal(err)
	}
	msgs, cmds := f.received()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m := msgs[0]
	if !m.authed || m.from != "ops@example.com" || !slices.Equal(m.to, []string{"a@example.com", "zoe@example.com"}) {
		t.Errorf("envelope: authed %v from %q to %v", m.authed, m.from, m.to)
	}
	msg, body := parse(t, m)
	h := msg.Header
	if raw := h.Get("Subject"); !strings.HasPrefix(raw, "=?utf-8?q?") {
		t.Errorf("Subject %q: want a Q-encoded word", raw)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || subject != "ticaga-sync bücher: 2 new conflicts, 1 new unmatched customer" {
		t.Errorf("Subject %q (%v)", subject, err)
	}
	if from, err := mail.ParseAddress(h.Get("From")); err != nil || from.Address != "ops@example.com" || from.Name != "Ticaga Sync" {
		t.Errorf("From %q", h.Get("From"))
	}
	if to, err := h.AddressList("To"); err != nil || len(to) != 2 || to[1].Name != "Zoë" {
		t.Errorf("To %q (%v)", h.Get("To"), err)
	}
	if d, err := h.Date(); err != nil || !d.Equal(t0.Add(time.Minute)) {
		t.Errorf("Date %q (%v)", h.Get("Date"), err)
	}
	if id := h.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.com>") {
		t.Errorf("Message-ID %q", id)
	}
	if h.Get("MIME-Version") != "1.0" || h.Get("Content-Type") != "text/plain; charset=utf-8" ||
		h.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Errorf("MIME headers %v", h)
	}
	for _, want := range []string{
		"Source bücher, run 42: completed at 2026-05-04 10:15:02 UTC (took 2s).",
		"3 new open decision(s) since the last message, 0 resolved; 3 open in all.",
		"4 contacts: 1 linked, 0 already linked, 1 no match, 2 conflict, 0 invalid email, 0 failed",
		"- client 5 <zoë@bücher.example>\n  conflict: duplicate_billing_email, no Ticaga user\n  billing clients 5, 6 share this email\n",
		"- client 7 <nobody@example.com>\n  no_match: no_ticaga_user",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if strings.Index(body, "client 6") > strings.Index(body, "client 7") {
		t.Errorf("conflicts not listed first:\n%s", body)
	}
	assertAbsent(t, "message", m.data, smtpPassword)
	assertAbsent(t, "logs", logs.String(), smtpPassword)
	if !slices.ContainsFunc(cmds, func(c string) bool { return c == "QUIT" }) {
		t.Errorf("commands %v: no QUIT", cmds)
	}

	// The same decisions: no second message.
	if err := n.AfterRun(t.Context(), "bücher", report(43, rep.Decisions...)); err != nil {
		t.Fatal(err)
	}
	if msgs, _ := f.received(); len(msgs) != 1 {
		t.Errorf("%d messages after an identical run, want 1", len(msgs))
	}
}

func TestEmailFailedAndRecovered(t *testing.T) {
	f := startFakeSMTP(t, nil, "ticaga-sync", smtpPassword)
	n, _ := newNotifier(t, smtpConfig(f))
	if err := n.AfterRun(t.Context(), "blesta", failedReport(1, errors.New("preflight: ticaga: unauthorized"))); err != nil {
		t.Fatal(err)
	}
	if err := n.AfterRun(t.Context(), "blesta", report(2, conflict(3, "c@x.example"))); err != nil {
		t.Fatal(err)
	}
	msgs, _ := f.received()
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2", len(msgs))
	}
	for i, want := range []struct{ subject, body string }{
		{"ticaga-sync blesta: run failed", "The run failed:\n  preflight: ticaga: unauthorized\n"},
		{"ticaga-sync blesta: recovered, 1 new conflict", "Runs go through again after a failure."},
	} {
		msg, body := parse(t, msgs[i])
		if got := msg.Header.Get("Subject"); got != want.subject {
			t.Errorf("message %d: Subject %q, want %q", i, got, want.subject)
		}
		if !strings.Contains(body, want.body) {
			t.Errorf("message %d: body lacks %q:\n%s", i, want.body, body)
		}
	}
}

func TestChannelsAreIndependent(t *testing.T) {
	f := startFakeSMTP(t, nil, "ticaga-sync", smtpPassword)
	h := newHook(t)
	cfg := smtpConfig(f)
	cfg.WebhookURL = h.srv.URL
	n, _ := newNotifier(t, cfg)
	a := conflict(1, "a@x.example")

	h.answer(500, 500)
	err := n.AfterRun(t.Context(), "blesta", report(1, a))
	if err == nil || !strings.Contains(err.Error(), "webhook: ") || strings.Contains(err.Error(), "email: ") {
		t.Fatalf("err %v, want the webhook's only", err)
	}
	if msgs, _ := f.received(); len(msgs) != 1 {
		t.Fatalf("%d messages, want the email sent despite the webhook", len(msgs))
	}
	h.take()

	// The next run: the webhook gets the news it missed, the email is not
	// sent twice.
	if err := n.AfterRun(t.Context(), "blesta", report(2, a)); err != nil {
		t.Fatal(err)
	}
	if p := h.takeOne(t).payload; !slices.Equal(billingIDs(p), []int64{1}) {
		t.Errorf("webhook new %v, want [1]", billingIDs(p))
	}
	if msgs, _ := f.received(); len(msgs) != 1 {
		t.Errorf("%d messages, want still 1", len(msgs))
	}
}
