// Package configs holds ticaga-sync's settings: the Config struct read from
// environment variables (and optionally an env file), its defaults, its
// validation, and the secret types that keep the Ticaga token and database
// passwords out of logs and error messages.
//
// The usual sequence is
//
//	d, err := configs.LoadDaemon(ctx, configFile, nil) // an env file or a sources file
//	var cerr *configs.Error
//	if errors.As(err, &cerr) { /* bad configuration: exit 2 */ }
//
// d holds the daemon-wide settings and d.Sources the sources, each with its
// Config; d.Effective() is the whole configuration, safe to print.
//
// Every problem is reported as an *Error whose text is one line starting
// with the variable's name ("SYNC_CONCURRENCY: must be between 1 and 64,
// got 0"); several problems are joined with errors.Join, one per line.
// No message ever contains the token or a database password.
package configs

import (
	"github.com/ticaga/ticaga-sync/billing"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Error is one configuration problem. Var is the environment variable at
// fault (for an env file problem, the file and line, "path:12"); Msg says
// what is wrong and never contains a secret.
type Error struct {
	Var string
	Msg string
}

// Error returns "VAR: msg".
func (e *Error) Error() string { return e.Var + ": " + e.Msg }

// Config is every ticaga-sync setting. Each field's env tag names the
// environment variable it is read from; an empty variable means the
// default, except HTTP_ADDR where empty disables the listener.
type Config struct {
	// BillingSystem is blesta, whmcs, clientexec or fossbilling.
	BillingSystem string `env:"BILLING_SYSTEM"`
	// BillingDSN is the go-sql-driver DSN of the billing database (required).
	BillingDSN DSN `env:"BILLING_DSN"`
	// CompanyIDs are the billing companies to sync; nil means all.
	CompanyIDs CompanyIDs `env:"BILLING_COMPANY_ID"`
	// CompanyIDsSet reports whether BILLING_COMPANY_ID was given rather than
	// defaulted: with the plugin's settings, the default is every company
	// the plugin is set up for.
	CompanyIDsSet bool
	// BillingStatuses are the client status words to sync, trimmed; empty
	// means the billing system's default. Checked by the billing reader.
	BillingStatuses []string `env:"BILLING_STATUSES"`

	// TicketSourceURL is TicketSource's API (BILLING_SYSTEM=ticketsource).
	TicketSourceURL string `env:"TICKETSOURCE_URL"`
	// TicketSourceAPIKey is the TicketSource API key, from
	// TICKETSOURCE_API_KEY, the file TICKETSOURCE_API_KEY_FILE, or the
	// systemd credential ticketsource-api-key.
	TicketSourceAPIKey Secret `env:"TICKETSOURCE_API_KEY"`
	// TicketSourceAPIKeyFile is the file the key was read from.
	TicketSourceAPIKeyFile string `env:"TICKETSOURCE_API_KEY_FILE"`
	// TicketSourceTimeout bounds each TicketSource request.
	TicketSourceTimeout time.Duration `env:"TICKETSOURCE_TIMEOUT"`
	// TicketSourceWriteNotes records each link as a note on the customer.
	TicketSourceWriteNotes bool `env:"TICKETSOURCE_WRITE_NOTES"`

	// TicagaURL is Ticaga's base URL (http or https), without a trailing
	// slash; the API lives under TicagaURL + "/api/".
	TicagaURL string `env:"TICAGA_URL"`
	// TicagaAPIToken is the bearer token, from TICAGA_API_TOKEN, the file
	// TICAGA_API_TOKEN_FILE, or the systemd credential ticaga-api-token.
	TicagaAPIToken Secret `env:"TICAGA_API_TOKEN"`
	// TicagaAPITokenFile is the file the token was read from: the value of
	// TICAGA_API_TOKEN_FILE, or $CREDENTIALS_DIRECTORY/ticaga-api-token.
	TicagaAPITokenFile string `env:"TICAGA_API_TOKEN_FILE"`
	// TicagaAPIEmail is the admin email sent as X-Admin-Email and in the
	// connection call; optional.
	TicagaAPIEmail string `env:"TICAGA_API_EMAIL"`
	// TicagaBillingSystemName is the billing_system value sent to Ticaga and
	// stored in ticaga_billing; by default the billing system's usual name.
	TicagaBillingSystemName string `env:"TICAGA_BILLING_SYSTEM_NAME"`
	// TicagaTimeout bounds each Ticaga request.
	TicagaTimeout time.Duration `env:"TICAGA_TIMEOUT"`
	// TicagaRateLimit caps requests per second; 0 follows only the server's
	// rate-limit headers.
	TicagaRateLimit float64 `env:"TICAGA_RATE_LIMIT"`
	// TicagaRateLimitWindow is the window of Ticaga's throttle that the
	// X-RateLimit-* headers count requests in (Laravel's perMinute: 1m).
	TicagaRateLimitWindow time.Duration `env:"TICAGA_RATE_LIMIT_WINDOW"`
	// TicagaDirectoryGap is how many consecutive unknown ids end a
	// directory scan.
	TicagaDirectoryGap int `env:"TICAGA_DIRECTORY_GAP"`
	// TicagaDirectoryRevalidate is how many cached directory entries are
	// re-read per run, oldest first.
	TicagaDirectoryRevalidate int `env:"TICAGA_DIRECTORY_REVALIDATE"`
	// TicagaUnreadableAfter is how many consecutive runs a Ticaga user may
	// stay unknown (no clear answer after retries) before it is reported
	// unreadable and stops blocking links; 0 never gives up.
	TicagaUnreadableAfter int `env:"TICAGA_UNREADABLE_AFTER"`
	// TicagaDirectoryMaxAge is the age past which a cached directory entry
	// is due for revalidation; younger entries cost no API call.
	TicagaDirectoryMaxAge time.Duration `env:"TICAGA_DIRECTORY_MAX_AGE"`

	// StoreDSN is the DSN of the daemon's own tables; empty means BillingDSN.
	StoreDSN DSN `env:"STORE_DSN"`

	// SyncSchedule is a 5-field cron expression or a descriptor such as
	// "@every 15m" or "@hourly".
	SyncSchedule string `env:"SYNC_SCHEDULE"`
	// SyncConcurrency bounds the Ticaga requests in flight (1..64).
	SyncConcurrency int `env:"SYNC_CONCURRENCY"`
	// SyncProvision creates a Ticaga account, already carrying the billing
	// id, for each customer no Ticaga user matches.
	SyncProvision bool `env:"SYNC_PROVISION"`
	// SyncProvisionMax bounds the accounts created per run.
	SyncProvisionMax int `env:"SYNC_PROVISION_MAX"`
	// SyncProvisionStatuses are the billing statuses whose customers get
	// accounts; empty: every selected status (BILLING_STATUSES).
	SyncProvisionStatuses []string `env:"SYNC_PROVISION_STATUSES"`
	// SyncShutdownTimeout is how long SIGTERM lets a run finish before
	// abandoning it.
	SyncShutdownTimeout time.Duration `env:"SYNC_SHUTDOWN_TIMEOUT"`

	// LogLevel is trace, debug, info, warn or error.
	LogLevel string `env:"LOG_LEVEL"`
	// LogFormat is json, console, or empty to choose by terminal; see
	// ConsoleLogs.
	LogFormat string `env:"LOG_FORMAT"`
	// HTTPAddr is the metrics listener's address; empty disables it.
	HTTPAddr string `env:"HTTP_ADDR"`
	// ControlSocket is the daemon's Unix socket for one-off runs (sync
	// against a running daemon); access is by file permissions. Empty
	// disables it.
	ControlSocket string `env:"CONTROL_SOCKET"`
	// HealthMaxMissedRuns is how many schedule intervals a source's last
	// successful run may be old before /readyz answers 503.
	HealthMaxMissedRuns int `env:"HEALTH_MAX_MISSED_RUNS"`

	// NotifyWebhookURL receives a JSON report after a run whose decisions
	// changed, or that failed; empty disables. It may carry a token.
	NotifyWebhookURL Secret `env:"NOTIFY_WEBHOOK_URL"`
	// NotifyActions are the open decisions worth a notification.
	NotifyActions []string `env:"NOTIFY_ACTIONS"`
	// SMTPAddr is the mail server (host:port) for email reports; empty
	// disables email.
	SMTPAddr     string `env:"SMTP_ADDR"`
	SMTPUsername string `env:"SMTP_USERNAME"`
	// SMTPPassword or SMTPPasswordFile authenticate to SMTPAddr.
	SMTPPassword     Secret   `env:"SMTP_PASSWORD"`
	SMTPPasswordFile string   `env:"SMTP_PASSWORD_FILE"`
	SMTPFrom         string   `env:"SMTP_FROM"`
	SMTPTo           []string `env:"SMTP_TO"`
	// SMTPTLS is starttls (required unless the server is on loopback), tls
	// (implicit, port 465) or none.
	SMTPTLS string `env:"SMTP_TLS"`
}

// DefaultConfig returns the defaults of every setting. BillingDSN,
// TicagaURL and the token have no default, so it does not validate as is.
func DefaultConfig() Config {
	return Config{
		BillingSystem:             billing.DefaultSystem,
		CompanyIDs:                CompanyIDs{1},
		TicagaBillingSystemName:   billing.DefaultBillingSystemName(billing.DefaultSystem),
		TicagaTimeout:             30 * time.Second,
		TicagaRateLimitWindow:     time.Minute,
		TicketSourceURL:           "https://api.ticketsource.io",
		TicketSourceTimeout:       30 * time.Second,
		TicketSourceWriteNotes:    true,
		TicagaDirectoryGap:        50,
		TicagaDirectoryRevalidate: 200,
		TicagaDirectoryMaxAge:     24 * time.Hour,
		TicagaUnreadableAfter:     3,
		SyncProvisionMax:          50,
		SyncSchedule:              "@every 15m",
		SyncConcurrency:           4,
		SyncShutdownTimeout:       30 * time.Second,
		LogLevel:                  "info",
		HTTPAddr:                  "127.0.0.1:9464",
		ControlSocket:             "/run/ticaga-sync/control.sock",
		HealthMaxMissedRuns:       3,
		NotifyActions:             []string{"conflict", "invalid_email", "failed"},
		SMTPTLS:                   "starttls",
	}
}

// DefaultBillingSystemName returns the billing_system name sent to Ticaga
// for a BILLING_SYSTEM value (blesta → Blesta, ...), or "" for an unknown
// system. The names live in billing's registry of systems.
func DefaultBillingSystemName(system string) string {
	return billing.DefaultBillingSystemName(system)
}

// EffectiveCompanyIDs returns the companies the source's reader selects:
// the configured ones, or without BILLING_COMPANY_ID the billing system's
// default (Blesta: 1; ClientExec and the systems without companies: all,
// nil).
func (c Config) EffectiveCompanyIDs() CompanyIDs {
	return billing.SelectedCompanies(c.BillingSystem, billing.Options{CompanyIDs: c.CompanyIDs, CompanyIDsDefault: !c.CompanyIDsSet})
}

// EffectiveStatuses returns the status words the source reads: the
// configured ones, or the billing system's default.
func (c Config) EffectiveStatuses() []string {
	if len(c.BillingStatuses) > 0 {
		return c.BillingStatuses
	}
	return billing.DefaultStatuses(c.BillingSystem)
}

// StoreDSNOrBilling returns the DSN to open the store with: STORE_DSN, or
// BILLING_DSN when STORE_DSN is empty. It contains the password.
func (c Config) StoreDSNOrBilling() string {
	if c.StoreDSN != "" {
		return c.StoreDSN.Reveal()
	}
	return c.BillingDSN.Reveal()
}

// ConsoleLogs reports whether logs should be human-readable console lines
// rather than JSON: LOG_FORMAT=console or json decides, and an empty
// LOG_FORMAT follows isTerminal (whether stderr is a terminal).
func (c Config) ConsoleLogs(isTerminal bool) bool {
	switch c.LogFormat {
	case "console":
		return true
	case "json":
		return false
	}
	return isTerminal
}

// Redacted returns every setting keyed by its environment variable, as text
// safe to print: the token, the SMTP password and the webhook URL are
// "[redacted]" when set and "" when not, DSNs show their password as ***,
// TICAGA_URL its userinfo as xxxxx (see redactURL), and an unset optional
// value is "".
func (c Config) Redacted() map[string]string {
	token := ""
	if c.TicagaAPIToken != "" {
		token = redacted
	}
	return map[string]string{
		"BILLING_SYSTEM":              c.BillingSystem,
		"BILLING_DSN":                 c.BillingDSN.String(),
		"BILLING_COMPANY_ID":          c.EffectiveCompanyIDs().String(),
		"BILLING_STATUSES":            strings.Join(c.EffectiveStatuses(), ","),
		"TICAGA_URL":                  redactURL(c.TicagaURL),
		"TICKETSOURCE_URL":            redactURL(c.TicketSourceURL),
		"TICKETSOURCE_API_KEY":        setOrNot(c.TicketSourceAPIKey != ""),
		"TICKETSOURCE_API_KEY_FILE":   c.TicketSourceAPIKeyFile,
		"TICKETSOURCE_TIMEOUT":        c.TicketSourceTimeout.String(),
		"TICKETSOURCE_WRITE_NOTES":    strconv.FormatBool(c.TicketSourceWriteNotes),
		"TICAGA_API_TOKEN":            token,
		"TICAGA_API_TOKEN_FILE":       c.TicagaAPITokenFile,
		"TICAGA_API_EMAIL":            c.TicagaAPIEmail,
		"TICAGA_BILLING_SYSTEM_NAME":  c.TicagaBillingSystemName,
		"TICAGA_TIMEOUT":              formatDuration(c.TicagaTimeout),
		"TICAGA_RATE_LIMIT":           strconv.FormatFloat(c.TicagaRateLimit, 'g', -1, 64),
		"TICAGA_RATE_LIMIT_WINDOW":    formatDuration(c.TicagaRateLimitWindow),
		"TICAGA_DIRECTORY_GAP":        strconv.Itoa(c.TicagaDirectoryGap),
		"TICAGA_DIRECTORY_REVALIDATE": strconv.Itoa(c.TicagaDirectoryRevalidate),
		"TICAGA_DIRECTORY_MAX_AGE":    formatDuration(c.TicagaDirectoryMaxAge),
		"TICAGA_UNREADABLE_AFTER":     strconv.Itoa(c.TicagaUnreadableAfter),
		"STORE_DSN":                   DSN(c.StoreDSNOrBilling()).String(),
		"SYNC_SCHEDULE":               c.SyncSchedule,
		"SYNC_CONCURRENCY":            strconv.Itoa(c.SyncConcurrency),
		"SYNC_SHUTDOWN_TIMEOUT":       formatDuration(c.SyncShutdownTimeout),
		"SYNC_PROVISION":              strconv.FormatBool(c.SyncProvision),
		"SYNC_PROVISION_MAX":          strconv.Itoa(c.SyncProvisionMax),
		"SYNC_PROVISION_STATUSES":     strings.Join(c.SyncProvisionStatuses, ","),
		"LOG_LEVEL":                   c.LogLevel,
		"LOG_FORMAT":                  c.LogFormat,
		"HTTP_ADDR":                   c.HTTPAddr,
		"CONTROL_SOCKET":              c.ControlSocket,
		"HEALTH_MAX_MISSED_RUNS":      strconv.Itoa(c.HealthMaxMissedRuns),
		"NOTIFY_WEBHOOK_URL":          setOrNot(c.NotifyWebhookURL != ""),
		"NOTIFY_ACTIONS":              strings.Join(c.NotifyActions, ","),
		"SMTP_ADDR":                   c.SMTPAddr,
		"SMTP_USERNAME":               c.SMTPUsername,
		"SMTP_PASSWORD":               setOrNot(c.SMTPPassword != ""),
		"SMTP_PASSWORD_FILE":          c.SMTPPasswordFile,
		"SMTP_FROM":                   c.SMTPFrom,
		"SMTP_TO":                     strings.Join(c.SMTPTo, ","),
		"SMTP_TLS":                    c.SMTPTLS,
	}
}

// redactURL returns s with the password of its userinfo, or a user name
// given alone (which may be a token), replaced by "xxxxx"; "[invalid url]"
// when s does not parse or is opaque ("user:password@host" parses as the
// scheme "user"), since its parts cannot be told apart then.
func redactURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" {
		return "[invalid url]"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); !ok {
			u.User = url.User("xxxxx")
		}
	}
	return u.Redacted()
}

// setOrNot shows a secret setting as "[redacted]" when set, "" when not.
func setOrNot(set bool) string {
	if set {
		return redacted
	}
	return ""
}

// formatDuration is d with its unit, without zero parts: 24h, 1h30m, 30s,
// 1.5s, 0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// RedactURL returns a URL fit to print: a password in it, or a user name
// given alone (which may be a token), replaced by xxxxx (see Redacted).
func RedactURL(s string) string { return redactURL(s) }
