package configs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"
)

// Daemon is ticaga-sync's configuration on two levels, in the spirit of
// litestream's Config{..., DBs}: the settings of the daemon as a whole (its
// HTTP listener, logs, control socket, readiness rule, reports and shutdown
// grace), and the sources it runs, each with its own billing system and
// database, companies, statuses, Ticaga target and token, store, schedule
// and limits.
//
// A daemon-wide setting has one value for the whole daemon: it comes from
// the environment, the env file, or the top of a sources file, never from a
// [[source]] table. Every Source's Config carries the same daemon-wide
// values as the Daemon, so code that reads a Source's Config sees them too.
//
// The env tag of each daemon-wide field names its setting, as in Config;
// the fields are exactly the daemon-wide settings.
type Daemon struct {
	// HTTPAddr is the address of the /metrics, /healthz and /readyz
	// listener; empty disables it.
	HTTPAddr string `env:"HTTP_ADDR"`
	// LogLevel is trace, debug, info, warn or error.
	LogLevel string `env:"LOG_LEVEL"`
	// LogFormat is json, console, or empty to choose by terminal; see
	// ConsoleLogs.
	LogFormat string `env:"LOG_FORMAT"`
	// ControlSocket is the Unix socket one-off commands reach the daemon
	// by; empty disables it.
	ControlSocket string `env:"CONTROL_SOCKET"`
	// HealthMaxMissedRuns is how many schedule intervals a source's last
	// successful run may be old before /readyz answers 503.
	HealthMaxMissedRuns int `env:"HEALTH_MAX_MISSED_RUNS"`
	// SyncShutdownTimeout is how long SIGTERM lets runs finish before
	// abandoning them.
	SyncShutdownTimeout time.Duration `env:"SYNC_SHUTDOWN_TIMEOUT"`

	// NotifyWebhookURL receives a JSON report after a run whose decisions
	// changed, or that failed; empty disables. It may carry a token.
	NotifyWebhookURL Secret `env:"NOTIFY_WEBHOOK_URL"`
	// NotifyActions are the open decisions worth a notification.
	NotifyActions []string `env:"NOTIFY_ACTIONS"`
	// SMTPAddr is the mail server (host:port) of email reports; empty
	// disables email. The SMTP fields mean what Config's do.
	SMTPAddr         string   `env:"SMTP_ADDR"`
	SMTPUsername     string   `env:"SMTP_USERNAME"`
	SMTPPassword     Secret   `env:"SMTP_PASSWORD"`
	SMTPPasswordFile string   `env:"SMTP_PASSWORD_FILE"`
	SMTPFrom         string   `env:"SMTP_FROM"`
	SMTPTo           []string `env:"SMTP_TO"`
	SMTPTLS          string   `env:"SMTP_TLS"`

	// Sources are the sources the daemon runs, in the order of the
	// configuration file; there is at least one once loaded.
	Sources []Source
}

// LoadDaemon reads the daemon's configuration: the daemon-wide settings and
// every source.
//
// A path ending in ".toml" is a sources file (see LoadSources for its
// format): its top-level keys are the daemon-wide settings, and defaults
// for every source; each [[source]] table is one source. A daemon-wide
// setting inside a [[source]] table is an error naming the setting and the
// source. Any other path (or "") is an env file read by LoadFile, giving
// one source named after its billing system.
//
// For a daemon-wide setting, a non-empty environment variable (lookup; nil
// means os.LookupEnv) wins over the file, then the defaults apply.
//
// The error joins every problem at once, each an *Error (a source's own
// wrapped as `source "name": ...`, a daemon-wide one reported once). The
// Daemon is returned even then, with what could be read, so a caller can
// still show it (through Effective, which never reveals a secret); its
// Sources are nil only when a sources file cannot be read at all.
func LoadDaemon(ctx context.Context, path string, lookup func(string) (string, bool)) (Daemon, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if !strings.HasSuffix(strings.ToLower(path), ".toml") {
		cfg, err := LoadFile(ctx, path, lookup)
		return newDaemon(cfg, []Source{{Name: cfg.BillingSystem, Config: cfg}}), err
	}

	file, errs := readSourcesFile(path)
	if file == nil {
		return newDaemon(DefaultConfig(), nil), errors.Join(errs...)
	}
	tables := file.sources
	if len(tables) == 0 {
		tables = []map[string]string{{}}
	}
	reported := make(map[string]bool) // daemon-wide problems, said once
	var sources []Source
	for i, own := range tables {
		cfg, err := Load(ctx, func(key string) (string, bool) {
			if v, ok := own[key]; ok {
				return v, true
			}
			if v, ok := lookup(key); ok && strings.TrimSpace(v) != "" {
				return v, true
			}
			v, ok := file.top[key]
			return v, ok
		})
		name := own["name"]
		if name == "" {
			name = cfg.BillingSystem
			if len(tables) > 1 {
				errs = append(errs, &Error{Var: path, Msg: fmt.Sprintf("source %d has no name (each [[source]] needs name = \"...\")", i+1)})
			}
		}
		for _, e := range unjoinErrors(err) {
			if ce, ok := errors.AsType[*Error](e); ok && isDaemonSetting(ce.Var) {
				if !reported[e.Error()] {
					reported[e.Error()] = true
					errs = append(errs, e)
				}
				continue
			}
			errs = append(errs, fmt.Errorf("source %q: %w", name, e))
		}
		for _, s := range sources {
			if s.Name == name {
				errs = append(errs, &Error{Var: path, Msg: fmt.Sprintf("two sources are named %q", name)})
			}
		}
		sources = append(sources, Source{Name: name, Config: cfg})
	}
	return newDaemon(sources[0].Config, sources), errors.Join(errs...)
}

// ConsoleLogs reports whether logs should be human-readable console lines
// rather than JSON, as Config.ConsoleLogs does.
func (d Daemon) ConsoleLogs(isTerminal bool) bool {
	return d.config().ConsoleLogs(isTerminal)
}

// Effective is a daemon's configuration as text safe to print: settings
// keyed by their environment variable, as Config.Redacted shows them.
type Effective struct {
	// Daemon holds the daemon-wide settings.
	Daemon map[string]string
	// Sources holds each source's own settings (no daemon-wide one), in
	// the order of Daemon.Sources.
	Sources []EffectiveSource
}

// EffectiveSource is one source's effective settings.
type EffectiveSource struct {
	Name     string
	Settings map[string]string
}

// Effective returns the daemon-wide settings and each source's settings as
// they apply, with every secret redacted: the token, the SMTP password and
// the webhook URL (which may carry a token) show as "[redacted]" when set,
// DSNs show their password as ***, and a password in TICAGA_URL as xxxxx.
func (d Daemon) Effective() Effective {
	keys := daemonSettings()
	all := d.config().Redacted()
	e := Effective{Daemon: make(map[string]string, len(keys))}
	for _, k := range keys {
		e.Daemon[k] = all[k]
	}
	for _, s := range d.Sources {
		settings := s.Config.Redacted()
		for _, k := range keys {
			delete(settings, k)
		}
		e.Sources = append(e.Sources, EffectiveSource{Name: s.Name, Settings: settings})
	}
	return e
}

// newDaemon returns a Daemon with cfg's daemon-wide settings and sources.
func newDaemon(cfg Config, sources []Source) Daemon {
	d := Daemon{Sources: sources}
	copyDaemonSettings(reflect.ValueOf(&d).Elem(), reflect.ValueOf(&cfg).Elem())
	return d
}

// config returns DefaultConfig with d's daemon-wide settings.
func (d Daemon) config() Config {
	cfg := DefaultConfig()
	copyDaemonSettings(reflect.ValueOf(&cfg).Elem(), reflect.ValueOf(&d).Elem())
	return cfg
}

// copyDaemonSettings copies every daemon-wide setting from src to dst, one
// a Daemon and the other a Config, matching fields by their env tag.
func copyDaemonSettings(dst, src reflect.Value) {
	for _, key := range daemonSettings() {
		dst.FieldByIndex(settingField(dst.Type(), key)).Set(src.FieldByIndex(settingField(src.Type(), key)))
	}
}

// settingField returns the index of t's field read from the setting key.
func settingField(t reflect.Type, key string) []int {
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("env") == key {
			return []int{i}
		}
	}
	panic("configs: " + t.String() + " has no field for " + key)
}

// daemonSettings returns the names of the daemon-wide settings, in the
// order of Daemon's fields.
func daemonSettings() []string {
	var keys []string
	t := reflect.TypeFor[Daemon]()
	for i := range t.NumField() {
		if k := t.Field(i).Tag.Get("env"); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}

// isDaemonSetting reports whether key is a daemon-wide setting.
func isDaemonSetting(key string) bool {
	return slices.Contains(daemonSettings(), key)
}

// unjoinErrors returns the errors an errors.Join holds, err alone, or nil.
func unjoinErrors(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}
