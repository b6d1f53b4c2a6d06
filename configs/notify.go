package configs

import (
	"net"
	"net/mail"
	"net/url"
	"slices"
	"strings"
)

// notifyActions are the words NOTIFY_ACTIONS accepts.
var notifyActions = []string{"conflict", "invalid_email", "failed", "no_match"}

// notifyProblems checks the report settings.
func (c Config) notifyProblems(add func(v, format string, args ...any)) {
	if u := c.NotifyWebhookURL.Reveal(); u != "" {
		p, err := url.Parse(u)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			add("NOTIFY_WEBHOOK_URL", "not an http or https URL with a host")
		}
	}
	for _, a := range c.NotifyActions {
		if !slices.Contains(notifyActions, a) {
			add("NOTIFY_ACTIONS", "%q is not an action (use %s)", a, strings.Join(notifyActions, ", "))
			break
		}
	}
	switch c.SMTPTLS {
	case "starttls", "tls", "none":
	default:
		add("SMTP_TLS", "%q is not starttls, tls or none", c.SMTPTLS)
	}
	if c.SMTPAddr == "" {
		return
	}
	if _, _, err := net.SplitHostPort(c.SMTPAddr); err != nil {
		add("SMTP_ADDR", "%q is not host:port (e.g. mail.example.com:587)", c.SMTPAddr)
	}
	if _, err := mail.ParseAddress(c.SMTPFrom); err != nil {
		add("SMTP_FROM", "required with SMTP_ADDR: the sender's email address")
	}
	if len(c.SMTPTo) == 0 {
		add("SMTP_TO", "required with SMTP_ADDR: who gets the reports (addresses separated by commas)")
	}
	for _, to := range c.SMTPTo {
		if _, err := mail.ParseAddress(to); err != nil {
			add("SMTP_TO", "%q is not an email address", to)
			break
		}
	}
}

// resolveSMTPPassword reads SMTP_PASSWORD_FILE into SMTPPassword.
func resolveSMTPPassword(cfg *Config) *Error {
	if cfg.SMTPPasswordFile == "" {
		return nil
	}
	if cfg.SMTPPassword != "" {
		return &Error{Var: "SMTP_PASSWORD_FILE", Msg: "set only one of SMTP_PASSWORD and SMTP_PASSWORD_FILE"}
	}
	pw, msg := readSecretFile(cfg.SMTPPasswordFile)
	if msg != "" {
		return &Error{Var: "SMTP_PASSWORD_FILE", Msg: msg}
	}
	cfg.SMTPPassword = pw
	return nil
}
