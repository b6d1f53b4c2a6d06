package configs

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

const (
	testToken    = "tok-SECRET-4f1c9a"
	testPassword = "pw-SECRET-77e2"
	testDSN      = "ticaga:" + testPassword + "@tcp(db.example:3306)/blesta"
)

// env returns a lookup over m.
func env(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

// minimal is the smallest valid environment, plus overrides.
func minimal(overrides map[string]string) map[string]string {
	m := map[string]string{
		"BILLING_DSN":      testDSN,
		"TICAGA_URL":       "https://support.example.com",
		"TICAGA_API_TOKEN": testToken,
	}
	for k, v := range overrides {
		m[k] = v
	}
	return m
}

// validConfig is DefaultConfig with the required settings filled in.
func validConfig() Config {
	c := DefaultConfig()
	c.BillingDSN = testDSN
	c.TicagaURL = "https://support.example.com"
	c.TicagaAPIToken = testToken
	return c
}

// assertNoSecret fails when err's text shows the token or a password.
func assertNoSecret(t *testing.T, err error) {
	t.Helper()
	if err != nil && (strings.Contains(err.Error(), testToken) || strings.Contains(err.Error(), testPassword)) {
		t.Errorf("error shows a secret: %v", err)
	}
}

func TestLoadDefaults(t *testing.T) {
	got, err := Load(t.Context(), env(minimal(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := validConfig().Validate(); err != nil {
		t.Fatalf("defaults plus required do not validate: %v", err)
	}
	if want := validConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("Load = %#v\nwant %#v", got, want)
	}
	d := DefaultConfig()
	if d.BillingSystem != "blesta" || d.CompanyIDs.String() != "1" || d.BillingStatuses != nil ||
		d.TicagaBillingSystemName != "Blesta" || d.TicagaTimeout != 30*time.Second || d.TicagaRateLimit != 0 ||
		d.TicagaDirectoryGap != 50 || d.TicagaDirectoryRevalidate != 200 || d.StoreDSN != "" ||
		d.SyncSchedule != "@every 15m" || d.SyncConcurrency != 4 || d.SyncShutdownTimeout != 30*time.Second ||
		d.LogLevel != "info" || d.LogFormat != "" || d.HTTPAddr != "127.0.0.1:9464" {
		t.Errorf("DefaultConfig = %+v", d)
	}
}

func TestLoadEveryVariable(t *testing.T) {
	m := map[string]string{
		"BILLING_SYSTEM":              " WHMCS ",
		"BILLING_DSN":                 testDSN,
		"BILLING_COMPANY_ID":          "2, 5",
		"BILLING_STATUSES":            " Active , Inactive,, ",
		"TICAGA_URL":                  "https://support.example.com/sub/",
		"TICAGA_API_TOKEN":            testToken + "\n",
		"TICAGA_API_EMAIL":            "admin@example.com",
		"TICAGA_BILLING_SYSTEM_NAME":  "WHMCS Prod",
		"TICAGA_TIMEOUT":              "5s",
		"TICAGA_RATE_LIMIT":           "0.75",
		"TICAGA_RATE_LIMIT_WINDOW":    "1h",
		"TICAGA_DIRECTORY_GAP":        "10",
		"TICAGA_DIRECTORY_REVALIDATE": "0",
		"TICAGA_DIRECTORY_MAX_AGE":    "6h",
		"TICAGA_UNREADABLE_AFTER":     "0",
		"SYNC_PROVISION":              "true",
		"SYNC_PROVISION_MAX":          "7",
		"SYNC_PROVISION_STATUSES":     "active, ,",
		"STORE_DSN":                   "s:" + testPassword + "@unix(/run/mysqld.sock)/sync",
		"SYNC_SCHEDULE":               "*/5 * * * *",
		"SYNC_CONCURRENCY":            "64",
		"SYNC_SHUTDOWN_TIMEOUT":       "2m",
		"LOG_LEVEL":                   "Debug",
		"LOG_FORMAT":                  "JSON",
		"HTTP_ADDR":                   "",
		"CONTROL_SOCKET":              "/tmp/ticaga.sock",
		"HEALTH_MAX_MISSED_RUNS":      "5",
		"NOTIFY_WEBHOOK_URL":          "https://hooks.example.com/T0K3N",
		"NOTIFY_ACTIONS":              "conflict,failed",
		"SMTP_ADDR":                   "mail.example.com:465",
		"SMTP_USERNAME":               "ticaga",
		"SMTP_PASSWORD":               "smtp-pw",
		"SMTP_FROM":                   "ticaga-sync@example.com",
		"SMTP_TO":                     "ops@example.com, dev@example.com",
		"SMTP_TLS":                    "tls",
		"TICKETSOURCE_URL":            "https://ts.example/",
		"TICKETSOURCE_API_KEY":        "skl-every",
		"TICKETSOURCE_TIMEOUT":        "7s",
		"TICKETSOURCE_WRITE_NOTES":    "false",
	}
	got, err := Load(t.Context(), env(m))
	if err != nil {
		t.Fatal(err)
	}
	want := Config{
		BillingSystem: "whmcs", BillingDSN: testDSN, CompanyIDs: CompanyIDs{2, 5}, CompanyIDsSet: true,
		BillingStatuses: []string{"Active", "Inactive"},
		TicketSourceURL: "https://ts.example", TicketSourceAPIKey: "skl-every", TicketSourceTimeout: 7 * time.Second,
		TicagaURL: "https://support.example.com/sub", TicagaAPIToken: testToken,
		TicagaAPIEmail: "admin@example.com", TicagaBillingSystemName: "WHMCS Prod",
		TicagaTimeout: 5 * time.Second, TicagaRateLimit: 0.75, TicagaRateLimitWindow: time.Hour, TicagaDirectoryGap: 10, TicagaDirectoryMaxAge: 6 * time.Hour,
		StoreDSN:     DSN(m["STORE_DSN"]),
		SyncSchedule: "*/5 * * * *", SyncConcurrency: 64, SyncShutdownTimeout: 2 * time.Minute,
		SyncProvision: true, SyncProvisionMax: 7, SyncProvisionStatuses: []string{"active"},
		LogLevel: "debug", LogFormat: "json", ControlSocket: "/tmp/ticaga.sock", HealthMaxMissedRuns: 5,
		NotifyWebhookURL: "https://hooks.example.com/T0K3N", NotifyActions: []string{"conflict", "failed"},
		SMTPAddr: "mail.example.com:465", SMTPUsername: "ticaga", SMTPPassword: "smtp-pw", SMTPFrom: "ticaga-sync@example.com",
		SMTPTo: []string{"ops@example.com", "dev@example.com"}, SMTPTLS: "tls",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Load = %#v\nwant %#v", got, want)
	}
	if got.ConsoleLogs(true) {
		t.Error("LOG_FORMAT=json gave console logs")
	}

	// The billing system picks the default name; "all" means every company.
	for system, name := range map[string]string{"blesta": "Blesta", "whmcs": "WHMCS", "clientexec": "ClientExec", "fossbilling": "FOSSBilling"} {
		got, err := Load(t.Context(), env(minimal(map[string]string{"BILLING_SYSTEM": system, "BILLING_COMPANY_ID": "all"})))
		if err != nil || got.TicagaBillingSystemName != name || got.CompanyIDs != nil {
			t.Errorf("%s: name %q, companies %v, err %v", system, got.TicagaBillingSystemName, got.CompanyIDs, err)
		}
	}
}

func TestConsoleLogs(t *testing.T) {
	for _, tt := range []struct {
		format   string
		terminal bool
		want     bool
	}{{"", true, true}, {"", false, false}, {"console", false, true}, {"json", true, false}} {
		if got := (Config{LogFormat: tt.format}).ConsoleLogs(tt.terminal); got != tt.want {
			t.Errorf("ConsoleLogs(%q, terminal=%v) = %v", tt.format, tt.terminal, got)
		}
	}
}

func TestLoadInvalid(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want string // the whole line expected in the error
	}{
		{map[string]string{"BILLING_DSN": ""}, "BILLING_DSN: required (user:password@tcp(host:3306)/dbname)"},
		{map[string]string{"BILLING_SYSTEM": "whmcs", "TICAGA_URL": ""}, "TICAGA_URL: required (e.g. https://support.example.com)"},
		{map[string]string{"BILLING_SYSTEM": "whmcs", "TICAGA_API_TOKEN": ""}, "TICAGA_API_TOKEN: required (set TICAGA_API_TOKEN, TICAGA_API_TOKEN_FILE, or the systemd credential ticaga-api-token)"},
		{map[string]string{"TICAGA_API_TOKEN": ""}, "TICAGA_API_TOKEN: required (set TICAGA_API_TOKEN, TICAGA_API_TOKEN_FILE, or the systemd credential ticaga-api-token)"},
		{map[string]string{"BILLING_SYSTEM": "hostbill"}, `BILLING_SYSTEM: "hostbill" is not a supported billing system (use blesta, whmcs, clientexec, fossbilling or ticketsource)`},
		{map[string]string{"BILLING_DSN": "ticaga:" + testPassword + "@tcp(db:3306/blesta"}, "BILLING_DSN: not a valid DSN (user:password@tcp(host:3306)/dbname): network address not terminated (missing closing brace)"},
		{map[string]string{"BILLING_DSN": testPassword}, "BILLING_DSN: not a valid DSN (user:password@tcp(host:3306)/dbname): missing the slash separating the database name"},
		{map[string]string{"BILLING_DSN": "u:" + testPassword + "@tcp(db:3306)/x?parseTime=" + testPassword}, "BILLING_DSN: not a valid DSN (user:password@tcp(host:3306)/dbname)"},
		{map[string]string{"BILLING_DSN": "u:" + testPassword + "@tcp(db:3306)/"}, "BILLING_DSN: names no database (user:password@tcp(host:3306)/dbname)"},
		{map[string]string{"STORE_DSN": "u:" + testPassword + "@tcp(db/sync"}, "STORE_DSN: not a valid DSN (user:password@tcp(host:3306)/dbname): network address not terminated (missing closing brace)"},
		{map[string]string{"BILLING_COMPANY_ID": "x"}, `BILLING_COMPANY_ID: "x" is not a company id (use numbers separated by commas, or all)`},
		{map[string]string{"BILLING_COMPANY_ID": "1,0"}, `BILLING_COMPANY_ID: "0" is not a company id (use numbers separated by commas, or all)`},
		{map[string]string{"TICAGA_URL": "ftp://example.com"}, `TICAGA_URL: "ftp://example.com" is not an http or https URL with a host (e.g. https://support.example.com)`},
		{map[string]string{"TICAGA_URL": "support.example.com"}, `TICAGA_URL: "support.example.com" is not an http or https URL with a host (e.g. https://support.example.com)`},
		{map[string]string{"TICAGA_URL": "https://u:" + testPassword + "@h/?a=1"}, `TICAGA_URL: "https://u:xxxxx@h/?a=1" must not have a query or fragment`},
		{map[string]string{"TICAGA_URL": "http://[::1"}, "TICAGA_URL: not a valid URL (e.g. https://support.example.com)"},
		{map[string]string{"TICAGA_API_TOKEN": "tok-SECRET 4f1c9a"}, "TICAGA_API_TOKEN: the token contains spaces, line breaks or control characters"},
		{map[string]string{"TICAGA_API_EMAIL": "admin"}, `TICAGA_API_EMAIL: "admin" is not an email address`},
		{map[string]string{"TICAGA_TIMEOUT": "30"}, `TICAGA_TIMEOUT: "30" is not a duration (e.g. 30s, 5m or 1h)`},
		{map[string]string{"TICAGA_TIMEOUT": "0s"}, "TICAGA_TIMEOUT: must be greater than 0, got 0s"},
		{map[string]string{"TICAGA_RATE_LIMIT": "fast"}, `TICAGA_RATE_LIMIT: "fast" is not a number`},
		{map[string]string{"TICAGA_RATE_LIMIT": "-1"}, "TICAGA_RATE_LIMIT: must be 0 (follow the server's rate-limit headers) or more, got -1"},
		{map[string]string{"TICAGA_RATE_LIMIT": "NaN"}, "TICAGA_RATE_LIMIT: must be a finite number of requests per second, got NaN"},
		{map[string]string{"TICAGA_RATE_LIMIT_WINDOW": "500ms"}, "TICAGA_RATE_LIMIT_WINDOW: must be whole seconds, at least 1s"},
		{map[string]string{"TICAGA_RATE_LIMIT_WINDOW": "90.5s"}, "TICAGA_RATE_LIMIT_WINDOW: must be whole seconds, at least 1s"},
		{map[string]string{"TICAGA_DIRECTORY_GAP": "0"}, "TICAGA_DIRECTORY_GAP: must be at least 1, got 0"},
		{map[string]string{"TICAGA_DIRECTORY_GAP": "ten"}, `TICAGA_DIRECTORY_GAP: "ten" is not a whole number`},
		{map[string]string{"TICAGA_DIRECTORY_REVALIDATE": "-1"}, "TICAGA_DIRECTORY_REVALIDATE: must be 0 or more, got -1"},
		{map[string]string{"TICAGA_DIRECTORY_MAX_AGE": "-1h"}, "TICAGA_DIRECTORY_MAX_AGE: must be more than 0, got -1h0m0s"},
		{map[string]string{"BILLING_STATUSES": "activ"}, `BILLING_STATUSES: unknown status "activ" for blesta (valid: active, inactive, fraud)`},
		{map[string]string{"SYNC_PROVISION_MAX": "0"}, "SYNC_PROVISION_MAX: must be 1 or more, got 0 (turn provisioning off with SYNC_PROVISION=false)"},
		{map[string]string{"TICAGA_UNREADABLE_AFTER": "-1"}, "TICAGA_UNREADABLE_AFTER: must be 0 (never give up) or more, got -1"},
		{map[string]string{"HEALTH_MAX_MISSED_RUNS": "0"}, "HEALTH_MAX_MISSED_RUNS: must be 1 or more, got 0"},
		{map[string]string{"NOTIFY_WEBHOOK_URL": "hooks.example.com/x"}, "NOTIFY_WEBHOOK_URL: not an http or https URL with a host"},
		{map[string]string{"NOTIFY_ACTIONS": "linked"}, `NOTIFY_ACTIONS: "linked" is not an action (use conflict, invalid_email, failed, no_match)`},
		{map[string]string{"SMTP_TLS": "ssl"}, `SMTP_TLS: "ssl" is not starttls, tls or none`},
		{map[string]string{"SMTP_ADDR": "mail.example.com", "SMTP_FROM": "a@example.com", "SMTP_TO": "b@example.com"}, `SMTP_ADDR: "mail.example.com" is not host:port (e.g. mail.example.com:587)`},
		{map[string]string{"SMTP_ADDR": "mail.example.com:587", "SMTP_TO": "ops@example.com"}, "SMTP_FROM: required with SMTP_ADDR: the sender's email address"},
		{map[string]string{"SMTP_ADDR": "mail.example.com:587", "SMTP_FROM": "a@example.com"}, "SMTP_TO: required with SMTP_ADDR: who gets the reports (addresses separated by commas)"},
		{map[string]string{"SMTP_PASSWORD": "x", "SMTP_PASSWORD_FILE": "/etc/pw"}, "SMTP_PASSWORD_FILE: set only one of SMTP_PASSWORD and SMTP_PASSWORD_FILE"},
		{map[string]string{"SYNC_SCHEDULE": "every 5m"}, `SYNC_SCHEDULE: "every 5m" is not a cron expression or @every duration: expected exactly 5 fields, found 2: [every 5m]`},
		{map[string]string{"SYNC_SCHEDULE": "@every 5"}, `SYNC_SCHEDULE: "@every 5" is not a cron expression or @every duration: `},
		{map[string]string{"SYNC_CONCURRENCY": "0"}, "SYNC_CONCURRENCY: must be between 1 and 64, got 0"},
		{map[string]string{"SYNC_CONCURRENCY": "65"}, "SYNC_CONCURRENCY: must be between 1 and 64, got 65"},
		{map[string]string{"SYNC_CONCURRENCY": "99999999999999999999"}, `SYNC_CONCURRENCY: "99999999999999999999" is out of range`},
		{map[string]string{"SYNC_SHUTDOWN_TIMEOUT": "-1s"}, "SYNC_SHUTDOWN_TIMEOUT: must be 0 or more, got -1s"},
		{map[string]string{"SYNC_SHUTDOWN_TIMEOUT": "soon"}, `SYNC_SHUTDOWN_TIMEOUT: "soon" is not a duration (e.g. 30s, 5m or 1h)`},
		{map[string]string{"LOG_LEVEL": "verbose"}, `LOG_LEVEL: "verbose" is not a log level (use trace, debug, info, warn or error)`},
		{map[string]string{"LOG_FORMAT": "xml"}, `LOG_FORMAT: "xml" is not a log format (use json or console, or leave it empty to choose by terminal)`},
		{map[string]string{"HTTP_ADDR": "9464"}, `HTTP_ADDR: "9464" is not host:port (e.g. 127.0.0.1:9464; empty disables)`},
	}
	for _, tt := range tests {
		_, err := Load(t.Context(), env(minimal(tt.env)))
		if err == nil {
			t.Errorf("%v: no error, want %q", tt.env, tt.want)
			continue
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != 1 || !strings.HasPrefix(lines[0], tt.want) {
			t.Errorf("%v:\n got %q\nwant %q", tt.env, err, tt.want)
		}
		if _, ok := errors.AsType[*Error](err); !ok {
			t.Errorf("%v: %T is not a *configs.Error", tt.env, err)
		}
		assertNoSecret(t, err)
	}
}

func TestLoadReportsEveryProblemOnce(t *testing.T) {
	_, err := Load(t.Context(), env(map[string]string{
		"SYNC_CONCURRENCY": "many", "TICAGA_TIMEOUT": "x", "LOG_LEVEL": "loud", "BILLING_DSN": testPassword,
		"BILLING_SYSTEM": "whmcs", "BILLING_STATUSES": "bogus",
	}))
	want := []string{
		"BILLING_DSN: not a valid DSN",
		`BILLING_STATUSES: unknown status "bogus" for whmcs`,
		`SYNC_CONCURRENCY: "many" is not a whole number`,
		`TICAGA_TIMEOUT: "x" is not a duration`,
		"TICAGA_URL: required",
		"TICAGA_API_TOKEN: required",
		`LOG_LEVEL: "loud" is not a log level`,
	}
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != len(want) {
		t.Errorf("got %d lines, want %d:\n%v", len(lines), len(want), err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), "\n"+w) && !strings.HasPrefix(err.Error(), w) {
			t.Errorf("missing line %q in:\n%v", w, err)
		}
	}
	assertNoSecret(t, err)
}

func TestBlestaWithoutTicagaURLReadsThePluginSettings(t *testing.T) {
	cfg, err := Load(t.Context(), env(map[string]string{"BILLING_DSN": "u:p@tcp(db:3306)/blesta"}))
	if err != nil {
		t.Fatalf("Blesta without TICAGA_URL or token: %v", err)
	}
	if !cfg.FromPluginSettings() {
		t.Fatal("FromPluginSettings = false")
	}
	for _, sys := range []string{"whmcs", "clientexec", "fossbilling"} {
		_, err := Load(t.Context(), env(map[string]string{"BILLING_DSN": "u:p@tcp(db:3306)/x", "BILLING_SYSTEM": sys}))
		if err == nil || !strings.Contains(err.Error(), "TICAGA_URL: required") {
			t.Errorf("%s without TICAGA_URL: %v", sys, err)
		}
	}
}
