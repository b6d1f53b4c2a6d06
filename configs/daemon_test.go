package configs

import (
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// daemonFile is a sources file with daemon-wide settings at the top and
// two sources, each with its own settings.
const daemonFile = `
HTTP_ADDR = "0.0.0.0:9999"
LOG_LEVEL = "debug"
LOG_FORMAT = "console"
CONTROL_SOCKET = "/run/t/control.sock"
HEALTH_MAX_MISSED_RUNS = 7
SYNC_SHUTDOWN_TIMEOUT = "1m"
NOTIFY_ACTIONS = ["failed"]
SMTP_ADDR = "mail.example.com:587"
SMTP_FROM = "sync@example.com"
SMTP_TO = ["ops@example.com", "dev@example.com"]

# Defaults for every source.
TICAGA_URL = "https://support.example.com"
TICAGA_API_TOKEN = "shared-token"
SYNC_CONCURRENCY = 2

[[source]]
name = "blesta"
BILLING_DSN = "u:p@tcp(db1:3306)/blesta"
BILLING_COMPANY_ID = [1, 2]
SYNC_SCHEDULE = "@hourly"

[[source]]
name = "whmcs"
BILLING_SYSTEM = "whmcs"
BILLING_DSN = "u:p@tcp(db2:3306)/whmcs"
BILLING_STATUSES = ["Active", "Inactive"]
TICAGA_URL = "https://other.example.com"
TICAGA_API_TOKEN = "whmcs-token"
SYNC_CONCURRENCY = 8
SYNC_PROVISION = true
`

func TestLoadDaemonSourcesFile(t *testing.T) {
	p := writeFile(t, "sources.toml", daemonFile)
	d, err := LoadDaemon(t.Context(), p, env(map[string]string{"SYNC_SHUTDOWN_TIMEOUT": "90s", "HTTP_ADDR": ""}))
	if err != nil {
		t.Fatal(err)
	}

	// The top-level daemon-wide settings apply, a non-empty environment
	// variable winning over the file.
	want := DefaultConfig()
	want.HTTPAddr, want.LogLevel, want.LogFormat, want.ControlSocket = "0.0.0.0:9999", "debug", "console", "/run/t/control.sock"
	want.HealthMaxMissedRuns, want.SyncShutdownTimeout = 7, 90*time.Second
	want.NotifyActions = []string{"failed"}
	want.SMTPAddr, want.SMTPFrom, want.SMTPTo = "mail.example.com:587", "sync@example.com", []string{"ops@example.com", "dev@example.com"}
	wantDaemon := newDaemon(want, d.Sources)
	if !reflect.DeepEqual(d, wantDaemon) {
		t.Errorf("daemon = %+v\nwant %+v", d, wantDaemon)
	}
	if !d.ConsoleLogs(false) {
		t.Error("LOG_FORMAT=console gave JSON logs")
	}

	// Each source has its own settings, over the top-level defaults, and
	// the daemon-wide ones.
	if len(d.Sources) != 2 || d.Sources[0].Name != "blesta" || d.Sources[1].Name != "whmcs" {
		t.Fatalf("sources = %+v", d.Sources)
	}
	a, b := d.Sources[0].Config, d.Sources[1].Config
	if a.BillingSystem != "blesta" || a.BillingDSN != "u:p@tcp(db1:3306)/blesta" || a.CompanyIDs.String() != "1,2" ||
		a.TicagaURL != "https://support.example.com" || a.TicagaAPIToken.Reveal() != "shared-token" ||
		a.SyncSchedule != "@hourly" || a.SyncConcurrency != 2 || a.SyncProvision {
		t.Errorf("blesta source = %+v", a)
	}
	if b.BillingSystem != "whmcs" || b.BillingDSN != "u:p@tcp(db2:3306)/whmcs" || b.CompanyIDs.String() != "1" ||
		strings.Join(b.BillingStatuses, ",") != "Active,Inactive" || b.TicagaBillingSystemName != "WHMCS" ||
		b.TicagaURL != "https://other.example.com" || b.TicagaAPIToken.Reveal() != "whmcs-token" ||
		b.SyncSchedule != "@every 15m" || b.SyncConcurrency != 8 || !b.SyncProvision {
		t.Errorf("whmcs source = %+v", b)
	}
	for _, s := range d.Sources {
		if got := newDaemon(s.Config, d.Sources); !reflect.DeepEqual(got, d) {
			t.Errorf("source %s has other daemon-wide settings: %+v", s.Name, got)
		}
	}
}

func TestLoadDaemonRejectsDaemonSettingInSource(t *testing.T) {
	values := map[string]string{
		"HEALTH_MAX_MISSED_RUNS": "2", "SYNC_SHUTDOWN_TIMEOUT": `"1s"`, "NOTIFY_ACTIONS": `["failed"]`, "SMTP_TO": `["a@example.com"]`,
	}
	for _, key := range daemonSettings() {
		v, ok := values[key]
		if !ok {
			v = `"x"`
		}
		p := writeFile(t, "sources.toml", "TICAGA_URL = \"https://t.example\"\nTICAGA_API_TOKEN = \"tok\"\n"+
			"[[source]]\nname = \"blesta\"\nBILLING_DSN = \"u:p@tcp(h)/b\"\n"+
			"[[source]]\nname = \"whmcs\"\nBILLING_SYSTEM = \"whmcs\"\nBILLING_DSN = \"u:p@tcp(h)/w\"\n"+key+" = "+v+"\n")
		d, err := LoadDaemon(t.Context(), p, env(nil))
		want := p + `: [[source]] "whmcs": ` + key + " is a daemon-wide setting; set it at the top of the file"
		if err == nil || err.Error() != want {
			t.Errorf("%s in [[source]]: error =\n%v\nwant\n%s", key, err, want)
		}
		if _, ok := errors.AsType[*Error](err); !ok {
			t.Errorf("%s: %T is not a *configs.Error", key, err)
		}
		// The setting is not applied to that source.
		if len(d.Sources) != 2 || !reflect.DeepEqual(newDaemon(d.Sources[1].Config, nil), newDaemon(DefaultConfig(), nil)) {
			t.Errorf("%s in [[source]] was applied: %+v", key, d.Sources)
		}
	}

	// LoadSources, which cmd uses, refuses it as well.
	p := writeFile(t, "sources.toml", "[[source]]\nBILLING_DSN = \"u:p@tcp(h)/b\"\nLOG_LEVEL = \"debug\"\n")
	_, err := LoadSources(t.Context(), p, env(nil))
	if want := p + ": [[source]] 1: LOG_LEVEL is a daemon-wide setting; set it at the top of the file"; err == nil || err.Error() != want {
		t.Errorf("LoadSources: error = %v, want %q", err, want)
	}
}

func TestLoadDaemonReportsEveryProblem(t *testing.T) {
	p := writeFile(t, "sources.toml", `
LOG_LEVEL = "loud"
BILLING_DNS = "x"
[[source]]
name = "a"
BILLING_SYSTEM = "whmcs"
BILLING_DSN = "u:`+testPassword+`@tcp(h)/a"
HTTP_ADDR = "0.0.0.0:1"
[[source]]
name = "b"
BILLING_DSN = "u:`+testPassword+`@tcp(h)/b"
SYNC_CONCURRENCY = 0
TICAGA_TIMOUT = "1s"
`)
	_, err := LoadDaemon(t.Context(), p, env(nil))
	want := []string{
		`BILLING_DNS: unknown setting in ` + p + ` (did you mean BILLING_DSN?)`,
		p + `: [[source]] "a": HTTP_ADDR is a daemon-wide setting; set it at the top of the file`,
		`TICAGA_TIMOUT: unknown setting in ` + p + ` [[source]] "b" (did you mean TICAGA_TIMEOUT?)`,
		`source "a": TICAGA_URL: required (e.g. https://support.example.com)`,
		`source "a": TICAGA_API_TOKEN: required (set TICAGA_API_TOKEN, TICAGA_API_TOKEN_FILE, or the systemd credential ticaga-api-token)`,
		`LOG_LEVEL: "loud" is not a log level (use trace, debug, info, warn or error)`, // once, not per source
		`source "b": SYNC_CONCURRENCY: must be between 1 and 64, got 0`,
	}
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Fatalf("error =\n%v\nwant\n%s", err, strings.Join(want, "\n"))
	}
	for _, e := range unjoinErrors(err) {
		if _, ok := errors.AsType[*Error](e); !ok {
			t.Errorf("%T %q is not a *configs.Error", e, e)
		}
	}
	assertNoSecret(t, err)
}

func TestLoadDaemonEnvFile(t *testing.T) {
	p := writeFile(t, "ticaga.env", "BILLING_SYSTEM=fossbilling\nBILLING_DSN=u:p@tcp(h)/fb\nTICAGA_URL=https://t.example\n"+
		"TICAGA_API_TOKEN=abc\nLOG_LEVEL=warn\nCONTROL_SOCKET=\n")
	d, err := LoadDaemon(t.Context(), p, env(map[string]string{"HEALTH_MAX_MISSED_RUNS": "9"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Sources) != 1 || d.Sources[0].Name != "fossbilling" || d.Sources[0].Config.BillingDSN != "u:p@tcp(h)/fb" {
		t.Fatalf("sources = %+v", d.Sources)
	}
	if d.LogLevel != "warn" || d.ControlSocket != "" || d.HealthMaxMissedRuns != 9 || d.HTTPAddr != "127.0.0.1:9464" {
		t.Errorf("daemon = %+v", d)
	}

	// A file that does not parse still gives one source and the defaults.
	bad := writeFile(t, "bad.env", "export LOG_LEVEL=debug\n")
	d, err = LoadDaemon(t.Context(), bad, env(nil))
	if want := bad + ":1: LOG_LEVEL: " + msgExport; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %q", err, want)
	}
	if len(d.Sources) != 1 || d.LogLevel != "info" {
		t.Errorf("daemon = %+v", d)
	}
	if d, err := LoadDaemon(t.Context(), "/nonexistent/s.toml", env(nil)); err == nil || d.Sources != nil || d.LogLevel != "info" {
		t.Errorf("missing sources file: %+v, %v", d, err)
	}
}

func TestDaemonEffectiveRedactsEverySecret(t *testing.T) {
	secrets := map[string]string{
		"url password":   "urlpw-SECRET-1",
		"billing pw":     "billpw-SECRET-2",
		"store pw":       "storepw-SECRET-3",
		"token":          "tok-SECRET-4",
		"other token":    "tok-SECRET-5",
		"webhook path":   "hookpath-SECRET-6",
		"webhook query":  "hookquery-SECRET-7",
		"smtp password":  "smtppw-SECRET-8",
		"url user token": "urluser-SECRET-9",
	}
	p := writeFile(t, "sources.toml", fmt.Sprintf(`
NOTIFY_WEBHOOK_URL = "https://hooks.example.com/%s?key=%s"
SMTP_ADDR = "mail.example.com:587"
SMTP_USERNAME = "ticaga"
SMTP_PASSWORD = %q
SMTP_FROM = "sync@example.com"
SMTP_TO = ["ops@example.com"]

[[source]]
name = "blesta"
BILLING_DSN = "ticaga:%s@tcp(db1:3306)/blesta"
STORE_DSN = "sync:%s@tcp(db0:3306)/sync"
TICAGA_URL = "https://admin:%s@support.example.com"
TICAGA_API_TOKEN = %q

[[source]]
name = "whmcs"
BILLING_SYSTEM = "whmcs"
BILLING_DSN = "ticaga:%s@tcp(db2:3306)/whmcs"
TICAGA_URL = "https://%s@other.example.com"
TICAGA_API_TOKEN = %q
`, secrets["webhook path"], secrets["webhook query"], secrets["smtp password"],
		secrets["billing pw"], secrets["store pw"], secrets["url password"], secrets["token"],
		secrets["billing pw"], secrets["url user token"], secrets["other token"]))
	d, err := LoadDaemon(t.Context(), p, env(nil))
	if err != nil {
		t.Fatal(err)
	}
	e := d.Effective()

	shown := fmt.Sprintf("%v %+v %#v", e, e, e)
	for what, s := range secrets {
		if strings.Contains(shown, s) {
			t.Errorf("the %s shows in the effective configuration: %s", what, shown)
		}
	}

	// The daemon-wide part has exactly the daemon-wide settings; each
	// source has every other one.
	if got, want := slices.Sorted(maps.Keys(e.Daemon)), slices.Sorted(slices.Values(daemonSettings())); !slices.Equal(got, want) {
		t.Errorf("daemon keys = %v\nwant %v", got, want)
	}
	var sourceKeys []string
	for _, k := range envTags() {
		if !isDaemonSetting(k) {
			sourceKeys = append(sourceKeys, k)
		}
	}
	slices.Sort(sourceKeys)
	if len(e.Sources) != 2 || e.Sources[0].Name != "blesta" || e.Sources[1].Name != "whmcs" {
		t.Fatalf("sources = %+v", e.Sources)
	}
	for _, s := range e.Sources {
		if got := slices.Sorted(maps.Keys(s.Settings)); !slices.Equal(got, sourceKeys) {
			t.Errorf("%s keys = %v\nwant %v", s.Name, got, sourceKeys)
		}
	}

	// Secrets show redacted, everything else as it applies.
	wantDaemon := map[string]string{
		"NOTIFY_WEBHOOK_URL": "[redacted]", "SMTP_PASSWORD": "[redacted]", "SMTP_USERNAME": "ticaga",
		"SMTP_ADDR": "mail.example.com:587", "HTTP_ADDR": "127.0.0.1:9464", "LOG_LEVEL": "info",
	}
	for k, v := range wantDaemon {
		if e.Daemon[k] != v {
			t.Errorf("daemon %s = %q, want %q", k, e.Daemon[k], v)
		}
	}
	wantSources := []map[string]string{{
		"BILLING_SYSTEM": "blesta", "BILLING_DSN": "ticaga:***@tcp(db1:3306)/blesta", "STORE_DSN": "sync:***@tcp(db0:3306)/sync",
		"TICAGA_URL": "https://admin:xxxxx@support.example.com", "TICAGA_API_TOKEN": "[redacted]",
	}, {
		"BILLING_SYSTEM": "whmcs", "BILLING_DSN": "ticaga:***@tcp(db2:3306)/whmcs", "STORE_DSN": "ticaga:***@tcp(db2:3306)/whmcs",
		"BILLING_COMPANY_ID": "all", "BILLING_STATUSES": "Active",
		"TICAGA_URL": "https://xxxxx@other.example.com", "TICAGA_API_TOKEN": "[redacted]",
	}}
	for i, want := range wantSources {
		for k, v := range want {
			if got := e.Sources[i].Settings[k]; got != v {
				t.Errorf("%s %s = %q, want %q", e.Sources[i].Name, k, got, v)
			}
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"":                                   "",
		"https://support.example.com/x":      "https://support.example.com/x",
		"https://u:" + testPassword + "@h/p": "https://u:xxxxx@h/p",
		"https://" + testToken + "@h":        "https://xxxxx@h",
		"http://[::1" + testPassword:         "[invalid url]",
		"u:" + testPassword + "@h":           "[invalid url]",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDaemonSettingsAreConfigSettings checks that every daemon-wide field
// has the Config field of the same setting and type, and that they copy
// both ways.
func TestDaemonSettingsAreConfigSettings(t *testing.T) {
	keys := daemonSettings()
	if len(keys) != 15 {
		t.Errorf("daemon-wide settings = %v", keys)
	}
	dt, ct := reflect.TypeFor[Daemon](), reflect.TypeFor[Config]()
	for _, k := range keys {
		df, cf := dt.Field(settingField(dt, k)[0]), ct.Field(settingField(ct, k)[0])
		if df.Type != cf.Type || df.Name != cf.Name {
			t.Errorf("%s: Daemon.%s %s, Config.%s %s", k, df.Name, df.Type, cf.Name, cf.Type)
		}
	}
	cfg, err := Load(t.Context(), env(minimal(map[string]string{
		"HTTP_ADDR": "", "LOG_LEVEL": "warn", "LOG_FORMAT": "json", "CONTROL_SOCKET": "/s", "HEALTH_MAX_MISSED_RUNS": "4",
		"SYNC_SHUTDOWN_TIMEOUT": "5s", "NOTIFY_WEBHOOK_URL": "https://h.example/x", "NOTIFY_ACTIONS": "no_match",
		"SMTP_ADDR": "m:25", "SMTP_USERNAME": "u", "SMTP_PASSWORD": "pw", "SMTP_FROM": "a@example.com",
		"SMTP_TO": "b@example.com", "SMTP_TLS": "none",
	})))
	if err != nil {
		t.Fatal(err)
	}
	d := newDaemon(cfg, nil)
	if d.LogLevel != "warn" || d.HTTPAddr != "" || d.SMTPPassword.Reveal() != "pw" || d.SMTPTLS != "none" || d.HealthMaxMissedRuns != 4 {
		t.Errorf("newDaemon = %+v", d)
	}
	back := d.config()
	for _, k := range keys {
		i := settingField(ct, k)
		if got, want := reflect.ValueOf(back).FieldByIndex(i).Interface(), reflect.ValueOf(cfg).FieldByIndex(i).Interface(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v after the round trip, want %v", k, got, want)
		}
	}
}
