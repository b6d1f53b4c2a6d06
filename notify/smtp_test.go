package notify

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

func TestEmailRequiresSTARTTLSWhenRemote(t *testing.T) {
	f := startFakeSMTP(t, nil, "ticaga-sync", smtpPassword) // offers no STARTTLS
	n, logs := newNotifier(t, smtpConfig(f))
	emailChannel(t, n).isLoopback = func(string) bool { return false } // play a remote server
	err := n.AfterRun(t.Context(), "blesta", report(1, conflict(1, "a@x.example")))
	if !errors.Is(err, ErrNoStartTLS) || !strings.HasPrefix(err.Error(), "email: ") {
		t.Fatalf("err %v, want ErrNoStartTLS", err)
	}
	msgs, cmds := f.received()
	for _, c := range cmds {
		if verb, _, _ := strings.Cut(c, " "); verb != "EHLO" && verb != "QUIT" {
			t.Errorf("sent %q to a server without STARTTLS", verb)
		}
	}
	if len(msgs) != 0 {
		t.Errorf("%d messages sent in clear", len(msgs))
	}
	assertAbsent(t, "logs", logs.String(), smtpPassword)
	if s, _ := n.State("blesta").MarshalJSON(); strings.Contains(string(s), "billing_id") {
		t.Errorf("state advanced after a failed delivery: %s", s)
	}
}

func TestEmailSTARTTLS(t *testing.T) {
	serverTLS, pool := selfSigned(t)
	f := startFakeSMTP(t, serverTLS, "ticaga-sync", smtpPassword)
	cfg := smtpConfig(f)
	cfg.SMTP.TLSConfig = &tls.Config{RootCAs: pool}
	n, _ := newNotifier(t, cfg)
	emailChannel(t, n).isLoopback = func(string) bool { return false }
	if err := n.AfterRun(t.Context(), "blesta", report(1, conflict(1, "a@x.example"))); err != nil {
		t.Fatal(err)
	}
	msgs, _ := f.received()
	if len(msgs) != 1 || !msgs[0].tls || !msgs[0].authed {
		t.Fatalf("messages %+v, want one sent over TLS after AUTH", msgs)
	}

	// A certificate the client does not trust stops the conversation.
	cfg.SMTP.TLSConfig = nil
	n2, _ := newNotifier(t, cfg)
	emailChannel(t, n2).isLoopback = func(string) bool { return false }
	err := n2.AfterRun(t.Context(), "blesta", report(1, conflict(1, "a@x.example")))
	if err == nil || !strings.Contains(err.Error(), "starttls") {
		t.Errorf("untrusted certificate: err %v", err)
	}
}

func TestEmailAuthRejected(t *testing.T) {
	f := startFakeSMTP(t, nil, "ticaga-sync", "another-password")
	n, logs := newNotifier(t, smtpConfig(f))
	err := n.AfterRun(t.Context(), "blesta", report(1, conflict(1, "a@x.example")))
	if err == nil || !strings.Contains(err.Error(), "535") {
		t.Fatalf("err %v, want 535", err)
	}
	assertAbsent(t, "error", err.Error(), smtpPassword)
	assertAbsent(t, "logs", logs.String(), smtpPassword)
}

func TestEmailImplicitTLS(t *testing.T) {
	serverTLS, pool := selfSigned(t)
	f := startFakeSMTPS(t, serverTLS, "ticaga-sync", smtpPassword)
	cfg := smtpConfig(f)
	cfg.SMTP.TLS, cfg.SMTP.TLSConfig = TLSImplicit, &tls.Config{RootCAs: pool}
	n, _ := newNotifier(t, cfg)
	emailChannel(t, n).isLoopback = func(string) bool { return false }
	if err := n.AfterRun(t.Context(), "blesta", report(1, conflict(1, "a@x.example"))); err != nil {
		t.Fatal(err)
	}
	if msgs, _ := f.received(); len(msgs) != 1 || !msgs[0].tls || !msgs[0].authed {
		t.Fatalf("messages %+v, want one over TLS after AUTH", msgs)
	}
}

func TestEmailTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		conn, err := ln.Accept() // and never greet
		if err == nil {
			defer conn.Close()
			_, _ = io.Copy(io.Discard, conn)
		}
	}()
	cfg := Config{SMTP: SMTPConfig{Addr: ln.Addr().String(), From: "ops@example.com", To: []string{"a@example.com"},
		Timeout: 200 * time.Millisecond}}
	n, _ := newNotifier(t, cfg)
	start := time.Now()
	err = n.AfterRun(t.Context(), "blesta", report(1, conflict(1, "a@x.example")))
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("silent server: err %v after %s", err, time.Since(start))
	}
}
