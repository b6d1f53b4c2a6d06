package notify

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/mail"
	"net/url"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// Defaults applied by New to a zero field.
const (
	DefaultWebhookTimeout = 10 * time.Second
	DefaultSMTPTimeout    = 30 * time.Second
	DefaultUserAgent      = "ticaga-sync"
)

// Config says where notifications go. Both channels are optional and
// independent: an empty WebhookURL disables the webhook, an empty SMTP.Addr
// disables email.
type Config struct {
	// WebhookURL receives a JSON Payload by POST. It may carry a token in
	// its user info or query: neither ever appears in an error or a log line.
	WebhookURL string
	// WebhookTimeout bounds each webhook attempt (default 10s).
	WebhookTimeout time.Duration
	// HTTPClient sends the webhook; nil means a client of its own. Redirects
	// are never followed (a 3xx is reported as an error), even with a
	// client given here.
	HTTPClient *http.Client
	// UserAgent is sent with the webhook ("ticaga-sync/1.4.0"; default
	// "ticaga-sync").
	UserAgent string
	// SMTP is the email channel.
	SMTP SMTPConfig
	// Actions are the open actions worth a notification; nil means every
	// open one (no_match, conflict, invalid_email, failed). link and
	// already_linked are never open and are ignored here.
	Actions []ticagasync.Action
	// Now gives the time of the Date header (default time.Now).
	Now func() time.Time
}

// TLSMode is how the email channel protects its SMTP connection.
type TLSMode string

// The TLS modes.
const (
	// TLSStartTLS (the default, also the empty string) upgrades the
	// connection with STARTTLS and refuses to send when the server does not
	// offer it, except to a loopback address (a local relay), where STARTTLS
	// is used when offered and plain text is accepted otherwise.
	TLSStartTLS TLSMode = "starttls"
	// TLSImplicit speaks TLS from the first byte (port 465, "submissions").
	TLSImplicit TLSMode = "tls"
	// TLSNone never uses TLS: for a relay on a trusted network. net/smtp
	// then refuses PLAIN authentication to anything but localhost, so a
	// password is never sent in clear.
	TLSNone TLSMode = "none"
)

// SMTPConfig is the email channel: plain-text messages through an SMTP
// submission server.
type SMTPConfig struct {
	// Addr is the server, "host:port" ("smtp.example.com:587"); empty
	// disables email.
	Addr string
	// Username and Password authenticate with AUTH PLAIN; no authentication
	// when Username is empty.
	Username string
	Password Secret
	// From is the sender address ("ticaga-sync <ops@example.com>").
	From string
	// To are the recipients; at least one.
	To []string
	// TLS is the transport security (default TLSStartTLS).
	TLS TLSMode
	// TLSConfig, when set, is used for STARTTLS and implicit TLS (a private
	// CA in RootCAs); ServerName defaults to Addr's host.
	TLSConfig *tls.Config
	// Timeout bounds the whole SMTP conversation (default 30s).
	Timeout time.Duration
}

// Validate reports every problem of the configuration, each naming the
// field at fault ("SMTP.To: required when SMTP.Addr is set"), joined with
// errors.Join; nil when it is usable. Messages never contain the webhook's
// token or the SMTP password.
func (c Config) Validate() error {
	var errs []error
	bad := func(field, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s: "+format, append([]any{field}, a...)...))
	}
	if c.WebhookURL != "" {
		u, err := url.Parse(c.WebhookURL)
		switch {
		case err != nil:
			bad("WebhookURL", "not a URL")
		case u.Scheme != "http" && u.Scheme != "https":
			bad("WebhookURL", "scheme must be http or https, got %q", u.Scheme)
		case u.Host == "":
			bad("WebhookURL", "no host")
		}
	}
	if c.WebhookTimeout < 0 {
		bad("WebhookTimeout", "must not be negative")
	}
	for _, a := range c.Actions {
		if !isOpen(a) {
			bad("Actions", "%q is not an open action (no_match, conflict, invalid_email, failed)", a)
		}
	}
	if s := c.SMTP; s.Addr != "" {
		if host, port, err := net.SplitHostPort(s.Addr); err != nil || host == "" || port == "" {
			bad("SMTP.Addr", "must be host:port, got %q", s.Addr)
		}
		if _, err := mail.ParseAddress(s.From); err != nil {
			bad("SMTP.From", "not an email address: %q", s.From)
		}
		if len(s.To) == 0 {
			bad("SMTP.To", "required when SMTP.Addr is set")
		}
		for _, to := range s.To {
			if _, err := mail.ParseAddress(to); err != nil {
				bad("SMTP.To", "not an email address: %q", to)
			}
		}
		if s.Username == "" && s.Password != "" {
			bad("SMTP.Username", "required with a password")
		}
		if s.Username != "" && s.Password == "" {
			bad("SMTP.Password", "required with a username")
		}
		switch s.TLS {
		case "", TLSStartTLS, TLSImplicit, TLSNone:
		default:
			bad("SMTP.TLS", "must be starttls, tls or none, got %q", s.TLS)
		}
		if s.Timeout < 0 {
			bad("SMTP.Timeout", "must not be negative")
		}
	}
	return errors.Join(errs...)
}

// isOpen reports whether a is an action that leaves the customer unlinked.
func isOpen(a ticagasync.Action) bool {
	switch a {
	case ticagasync.ActionNoMatch, ticagasync.ActionConflict, ticagasync.ActionInvalidEmail, ticagasync.ActionFailed:
		return true
	}
	return false
}
