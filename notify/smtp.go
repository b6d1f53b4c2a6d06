package notify

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"strings"
	"time"
)

// ErrNoStartTLS is returned (wrapped) when the SMTP server does not offer
// STARTTLS, TLS mode is starttls and the server is not on a loopback
// address: nothing is sent in clear.
var ErrNoStartTLS = errors.New("smtp server does not offer STARTTLS; refusing to send in clear (SMTP TLS mode starttls)")

// email sends plain-text messages through an SMTP server.
type email struct {
	cfg     SMTPConfig
	host    string
	from    *mail.Address
	to      []*mail.Address
	now     func() time.Time
	helo    string
	secrets scrubber
	// isLoopback reports whether host is this machine; tests replace it to
	// play a remote server on 127.0.0.1.
	isLoopback func(host string) bool
}

// newEmail returns the email channel of cfg (validated).
func newEmail(cfg SMTPConfig, now func() time.Time) *email {
	host, _, _ := net.SplitHostPort(cfg.Addr)
	e := &email{cfg: cfg, host: host, now: now, helo: "localhost", isLoopback: isLoopback}
	e.from, _ = mail.ParseAddress(cfg.From)
	for _, to := range cfg.To {
		a, _ := mail.ParseAddress(to)
		e.to = append(e.to, a)
	}
	if h, err := os.Hostname(); err == nil && strings.Contains(h, ".") {
		e.helo = h
	}
	if p := cfg.Password.Reveal(); p != "" {
		plain := "\x00" + cfg.Username + "\x00" + p
		e.secrets = scrubber{p, base64.StdEncoding.EncodeToString([]byte(plain))}
	}
	return e
}

// name implements channel.
func (e *email) name() string { return "email" }

// send implements channel: one message to every recipient.
func (e *email) send(ctx context.Context, ev event) error {
	msg := compose(e.from, e.to, subjectOf(ev), bodyOf(ev), e.now())
	return e.secrets.wrap(e.deliver(ctx, msg))
}

// deliver carries out one SMTP conversation, bounded by the timeout.
func (e *email) deliver(ctx context.Context, msg []byte) (err error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Timeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.cfg.Addr)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	defer func() {
		if err != nil && ctx.Err() != nil {
			err = fmt.Errorf("%w: %w", ctx.Err(), err)
		}
	}()
	if e.cfg.TLS == TLSImplicit {
		conn = tls.Client(conn, e.tlsConfig())
	}
	c, err := smtp.NewClient(conn, e.host)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(e.helo); err != nil {
		return fmt.Errorf("ehlo: %w", err)
	}
	if e.cfg.TLS == TLSStartTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(e.tlsConfig()); err != nil {
				return fmt.Errorf("starttls: %w", err)
			}
		} else if !e.isLoopback(e.host) {
			return ErrNoStartTLS
		}
	}
	if e.cfg.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("auth: the server offers no AUTH")
		}
		auth := smtp.PlainAuth("", e.cfg.Username, e.cfg.Password.Reveal(), e.host)
		if err := c.Auth(auth); err != nil {
			return fmt.Errorf("auth as %q: %w", e.cfg.Username, err)
		}
	}
	if err := c.Mail(e.from.Address); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	for _, to := range e.to {
		if err := c.Rcpt(to.Address); err != nil {
			return fmt.Errorf("rcpt to %s: %w", to.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("data: %w", err)
	}
	_ = c.Quit() // the message was accepted at the end of DATA
	return nil
}

// tlsConfig returns the TLS settings for the server.
func (e *email) tlsConfig() *tls.Config {
	cfg := &tls.Config{}
	if e.cfg.TLSConfig != nil {
		cfg = e.cfg.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		cfg.ServerName = e.host
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

// isLoopback reports whether host names this machine: "localhost" or a
// loopback IP. Names are not resolved.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
