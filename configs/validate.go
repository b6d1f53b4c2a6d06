package configs

import (
	"errors"
	"fmt"
	"github.com/ticaga/ticaga-sync/billing"
	"math"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/go-sql-driver/mysql"
	"github.com/robfig/cron/v3"
)

// MinScheduleInterval is the shortest interval SYNC_SCHEDULE may have.
const MinScheduleInterval = time.Minute

// dsnHint shows the expected DSN shape; every DSN message ends with it.
const dsnHint = "(user:password@tcp(host:3306)/dbname)"

// Validate checks every setting and returns nil, or every problem joined
// with errors.Join: one *Error per line, each naming its variable. No
// message contains the token or a DSN.
func (c Config) Validate() error {
	problems := c.problems()
	errs := make([]error, len(problems))
	for i, p := range problems {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// problems lists every invalid setting in the order of the Config fields.
func (c Config) problems() []*Error {
	var ps []*Error
	add := func(v, format string, args ...any) {
		ps = append(ps, &Error{Var: v, Msg: fmt.Sprintf(format, args...)})
	}

	if !billing.Known(c.BillingSystem) {
		add("BILLING_SYSTEM", "%q is not a supported billing system (use %s)", c.BillingSystem, orList(billing.Systems()))
	}
	api := billing.IsAPI(c.BillingSystem)
	switch {
	case api && c.BillingDSN != "":
		add("BILLING_DSN", "not used with BILLING_SYSTEM=%s (it is read over its API): remove it and set STORE_DSN", c.BillingSystem)
	case api && c.StoreDSN == "":
		add("STORE_DSN", "required with BILLING_SYSTEM=%s (there is no billing database to keep the pairings in) %s", c.BillingSystem, dsnHint)
	case api:
	case c.BillingDSN == "":
		add("BILLING_DSN", "required %s", dsnHint)
	default:
		if msg := checkDSN(c.BillingDSN); msg != "" {
			add("BILLING_DSN", "%s", msg)
		}
	}
	if api {
		ps = append(ps, c.ticketSourceProblems()...)
	}
	if c.CompanyIDs != nil && len(c.CompanyIDs) == 0 {
		add("BILLING_COMPANY_ID", "no company ids (use numbers separated by commas, or all)")
	}
	for _, id := range c.CompanyIDs {
		if id <= 0 {
			ps = append(ps, companyIDError(fmt.Sprint(id)))
			break
		}
	}
	for _, s := range c.BillingStatuses {
		if strings.TrimSpace(s) == "" {
			add("BILLING_STATUSES", "contains an empty status (use words separated by commas)")
			break
		}
	}
	if billing.Known(c.BillingSystem) {
		// Status words are each billing system's own.
		if err := billing.ValidateStatuses(c.BillingSystem, c.BillingStatuses); err != nil {
			add("BILLING_STATUSES", "%s", err)
		} else if err := c.provisionStatusesError(); err != nil {
			add("SYNC_PROVISION_STATUSES", "%s", err)
		}
	}

	// For Blesta, an unset TICAGA_URL means "each company's Ticaga from the
	// plugin's ticaga_settings table" (see FromPluginSettings).
	fromPlugin := c.FromPluginSettings()
	if msg := checkTicagaURL(c.TicagaURL); msg != "" && !fromPlugin {
		add("TICAGA_URL", "%s", msg)
	}
	tokenVar := "TICAGA_API_TOKEN"
	if c.TicagaAPITokenFile != "" {
		tokenVar = "TICAGA_API_TOKEN_FILE"
	}
	switch {
	case c.TicagaAPIToken == "" && fromPlugin:
	case c.TicagaAPIToken == "":
		add("TICAGA_API_TOKEN", "required (set TICAGA_API_TOKEN, TICAGA_API_TOKEN_FILE, or the systemd credential ticaga-api-token)")
	case strings.ContainsFunc(c.TicagaAPIToken.Reveal(), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		add(tokenVar, "the token contains spaces, line breaks or control characters")
	}
	if e := c.TicagaAPIEmail; e != "" {
		local, domain, ok := strings.Cut(e, "@")
		if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
			add("TICAGA_API_EMAIL", "%q is not an email address", e)
		}
	}
	if strings.TrimSpace(c.TicagaBillingSystemName) == "" && billing.Known(c.BillingSystem) {
		add("TICAGA_BILLING_SYSTEM_NAME", "required")
	}
	if c.TicagaTimeout <= 0 {
		add("TICAGA_TIMEOUT", "must be greater than 0, got %s", c.TicagaTimeout)
	}
	switch r := c.TicagaRateLimit; {
	case math.IsNaN(r) || math.IsInf(r, 0):
		add("TICAGA_RATE_LIMIT", "must be a finite number of requests per second, got %g", r)
	case r < 0:
		add("TICAGA_RATE_LIMIT", "must be 0 (follow the server's rate-limit headers) or more, got %g", r)
	}
	if w := c.TicagaRateLimitWindow; w < time.Second || w%time.Second != 0 {
		add("TICAGA_RATE_LIMIT_WINDOW", "must be whole seconds, at least 1s (Laravel's throttle counts in seconds; its perMinute is 1m), got %s", w)
	}
	if c.TicagaDirectoryGap < 1 {
		add("TICAGA_DIRECTORY_GAP", "must be at least 1, got %d", c.TicagaDirectoryGap)
	}
	if c.TicagaDirectoryMaxAge <= 0 {
		add("TICAGA_DIRECTORY_MAX_AGE", "must be more than 0, got %s", c.TicagaDirectoryMaxAge)
	}
	if c.SyncProvisionMax < 1 {
		add("SYNC_PROVISION_MAX", "must be 1 or more, got %d (turn provisioning off with SYNC_PROVISION=false)", c.SyncProvisionMax)
	}
	if c.TicagaUnreadableAfter < 0 {
		add("TICAGA_UNREADABLE_AFTER", "must be 0 (never give up) or more, got %d", c.TicagaUnreadableAfter)
	}
	if c.TicagaDirectoryRevalidate < 0 {
		add("TICAGA_DIRECTORY_REVALIDATE", "must be 0 or more, got %d", c.TicagaDirectoryRevalidate)
	}

	if c.StoreDSN != "" {
		if msg := checkDSN(c.StoreDSN); msg != "" {
			add("STORE_DSN", "%s", msg)
		}
	}

	if sched, err := cron.ParseStandard(c.SyncSchedule); err != nil {
		add("SYNC_SCHEDULE", "%q is not a cron expression or @every duration: %v", c.SyncSchedule, err)
	} else if every, ok := sched.(cron.ConstantDelaySchedule); ok && every.Delay < MinScheduleInterval {
		// A five-field cron expression fires at most once a minute; an
		// @every shorter than that would hammer Ticaga's rate limit.
		add("SYNC_SCHEDULE", "%q runs more often than once a minute (use @every 1m or longer, e.g. @every 15m)", c.SyncSchedule)
	}
	if c.SyncConcurrency < 1 || c.SyncConcurrency > 64 {
		add("SYNC_CONCURRENCY", "must be between 1 and 64, got %d", c.SyncConcurrency)
	}
	if c.SyncShutdownTimeout < 0 {
		add("SYNC_SHUTDOWN_TIMEOUT", "must be 0 or more, got %s", c.SyncShutdownTimeout)
	}

	switch c.LogLevel {
	case "trace", "debug", "info", "warn", "error":
	default:
		add("LOG_LEVEL", "%q is not a log level (use trace, debug, info, warn or error)", c.LogLevel)
	}
	switch c.LogFormat {
	case "", "json", "console":
	default:
		add("LOG_FORMAT", "%q is not a log format (use json or console, or leave it empty to choose by terminal)", c.LogFormat)
	}
	if c.HTTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
			add("HTTP_ADDR", "%q is not host:port (e.g. 127.0.0.1:9464; empty disables)", c.HTTPAddr)
		}
	}
	if c.HealthMaxMissedRuns < 1 {
		add("HEALTH_MAX_MISSED_RUNS", "must be 1 or more, got %d", c.HealthMaxMissedRuns)
	}
	c.notifyProblems(add)
	return ps
}

// checkDSN returns "" for a usable DSN, or a message that never contains
// the DSN: only go-sql-driver's fixed "invalid DSN: ..." texts are passed
// on, since its other errors may quote parts of the DSN.
func checkDSN(d DSN) string {
	c, err := mysql.ParseDSN(d.Reveal())
	if err != nil {
		msg := "not a valid DSN " + dsnHint
		if detail, ok := strings.CutPrefix(err.Error(), "invalid DSN: "); ok {
			msg += ": " + detail
		}
		return msg
	}
	if c.DBName == "" {
		return "names no database " + dsnHint
	}
	return ""
}

// checkTicagaURL returns "" for an http(s) URL with a host and no query or
// fragment, else a message. A URL is shown only with its password removed.
// FromPluginSettings reports whether the Ticaga target of each company comes
// from the Blesta plugin's ticaga_settings table: Blesta without TICAGA_URL.
func (c Config) FromPluginSettings() bool {
	return c.BillingSystem == billing.Blesta && c.TicagaURL == ""
}

func checkTicagaURL(s string) string {
	if s == "" {
		return "required (e.g. https://support.example.com)"
	}
	u, err := url.Parse(s)
	if err != nil {
		return "not a valid URL (e.g. https://support.example.com)"
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Sprintf("%q is not an http or https URL with a host (e.g. https://support.example.com)", redactURL(s))
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return fmt.Sprintf("%q must not have a query or fragment", redactURL(s))
	}
	return ""
}

// orList joins words as "a, b, c or d".
func orList(words []string) string {
	if len(words) < 2 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + " or " + words[len(words)-1]
}

// provisionStatusesError checks SYNC_PROVISION_STATUSES: status words of
// the billing system, each among the statuses the source reads (a customer
// of another status is never read, so it could never get an account).
func (c Config) provisionStatusesError() error {
	want, err := billing.CanonicalStatuses(c.BillingSystem, c.SyncProvisionStatuses)
	if err != nil {
		return err
	}
	selected, _ := billing.CanonicalStatuses(c.BillingSystem, c.BillingStatuses)
	if selected == nil {
		selected = billing.DefaultStatuses(c.BillingSystem)
	}
	for _, w := range want {
		if !slices.ContainsFunc(selected, func(s string) bool { return strings.EqualFold(s, w) }) {
			return fmt.Errorf("status %q is not among the statuses the source reads (BILLING_STATUSES: %s)", w, strings.Join(selected, ","))
		}
	}
	return nil
}

// ticketSourceProblems checks the TICKETSOURCE_ settings of a TicketSource
// source.
func (c Config) ticketSourceProblems() []*Error {
	var ps []*Error
	u, err := url.Parse(c.TicketSourceURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" {
		ps = append(ps, &Error{Var: "TICKETSOURCE_URL", Msg: "must be an http(s) URL without credentials or query (default https://api.ticketsource.io)"})
	}
	keyVar := "TICKETSOURCE_API_KEY"
	if c.TicketSourceAPIKeyFile != "" {
		keyVar = "TICKETSOURCE_API_KEY_FILE"
	}
	switch {
	case c.TicketSourceAPIKey == "":
		ps = append(ps, &Error{Var: "TICKETSOURCE_API_KEY", Msg: "required (set TICKETSOURCE_API_KEY, TICKETSOURCE_API_KEY_FILE, or the systemd credential ticketsource-api-key)"})
	case strings.ContainsFunc(c.TicketSourceAPIKey.Reveal(), func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
		ps = append(ps, &Error{Var: keyVar, Msg: "the key contains spaces, line breaks or control characters"})
	}
	if c.TicketSourceTimeout <= 0 {
		ps = append(ps, &Error{Var: "TICKETSOURCE_TIMEOUT", Msg: fmt.Sprintf("must be greater than 0, got %s", c.TicketSourceTimeout)})
	}
	return ps
}
