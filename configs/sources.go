package configs

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// Source is one billing database (or some of its companies) linked to one
// Ticaga: the unit that has its own run lock, directory, report and
// schedule.
type Source struct {
	// Name identifies the source in locks, run history, reports and
	// metrics ("blesta", "whmcs-brand-b").
	Name string
	// Config holds the source's settings, and the daemon-wide ones, which
	// are the same for every source of a Daemon.
	Config Config
}

// LoadSources reads the settings of every source: the Sources of
// LoadDaemon, with the same error.
//
// A path ending in ".toml" is a sources file: its top-level keys are the
// setting names of the environment (BILLING_DSN, TICAGA_URL, ...): the
// daemon-wide settings (HTTP_ADDR, LOG_*, CONTROL_SOCKET,
// HEALTH_MAX_MISSED_RUNS, NOTIFY_*, SMTP_*, SYNC_SHUTDOWN_TIMEOUT), and
// defaults for every source. Each [[source]] table, with a "name", lists
// one source's own settings, and may not hold a daemon-wide one:
//
//	LOG_LEVEL = "info"
//	TICAGA_URL = "https://support.example.com"
//	TICAGA_API_TOKEN_FILE = "/etc/ticaga-sync/api-token"
//
//	[[source]]
//	name = "blesta"
//	BILLING_DSN = "ticaga:secret@tcp(db1:3306)/blesta"
//
//	[[source]]
//	name = "whmcs-brand-b"
//	BILLING_SYSTEM = "whmcs"
//	BILLING_DSN = "ticaga:secret@tcp(db2:3306)/whmcs"
//
// A source's own table wins; then the environment (lookup); then the
// file's top level; then the defaults. Without [[source]] tables the top
// level is the one source. Any other path is an env file read by LoadFile,
// giving one source named after its billing system.
func LoadSources(ctx context.Context, path string, lookup func(string) (string, bool)) ([]Source, error) {
	d, err := LoadDaemon(ctx, path, lookup)
	return d.Sources, err
}

// sourcesFile is a sources file's settings, every value as the text an
// environment variable would hold (lists joined with commas).
type sourcesFile struct {
	top     map[string]string   // the top-level settings
	sources []map[string]string // one per [[source]] table, "name" included
}

// readSourcesFile parses a sources file. A file that cannot be read or is
// not TOML gives a nil *sourcesFile. Otherwise every problem is returned
// along with the settings, a setting at fault left out: an unknown
// setting, a value that is not a string, number, boolean or list of them,
// and a daemon-wide setting in a [[source]] table.
func readSourcesFile(path string) (*sourcesFile, []error) {
	var raw map[string]any
	if _, err := toml.DecodeFile(path, &raw); err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, []error{&Error{Var: fmt.Sprintf("%s:%d", path, perr.Position.Line), Msg: "not valid TOML: " + perr.Message}}
		}
		return nil, []error{&Error{Var: path, Msg: reason(err)}}
	}
	var errs []error
	problem := func(format string, args ...any) {
		errs = append(errs, &Error{Var: path, Msg: fmt.Sprintf(format, args...)})
	}
	if v, ok := raw["source"]; ok {
		if _, ok := v.([]map[string]any); !ok {
			return nil, []error{&Error{Var: path, Msg: "source must be a list of [[source]] tables"}}
		}
	}

	known := envNames()
	f := &sourcesFile{top: map[string]string{}}
	for _, k := range slices.Sorted(maps.Keys(raw)) {
		if k == "source" {
			continue
		}
		if !known[k] {
			errs = append(errs, unknownSetting(k, path))
			continue
		}
		s, err := settingText(raw[k])
		if err != nil {
			problem("%s: %v", k, err)
			continue
		}
		f.top[k] = s
	}
	list, _ := raw["source"].([]map[string]any)
	for i, t := range list {
		where := fmt.Sprintf("[[source]] %d", i+1)
		if name, ok := t["name"].(string); ok && name != "" {
			where = fmt.Sprintf("[[source]] %q", name)
		}
		own := map[string]string{}
		for _, k := range slices.Sorted(maps.Keys(t)) {
			switch {
			case k != "name" && !known[k]:
				errs = append(errs, unknownSetting(k, path+" "+where))
				continue
			case isDaemonSetting(k):
				problem("%s: %s is a daemon-wide setting; set it at the top of the file", where, k)
				continue
			}
			s, err := settingText(t[k])
			if err != nil {
				problem("%s: %s: %v", where, k, err)
				continue
			}
			own[k] = s
		}
		f.sources = append(f.sources, own)
	}
	return f, errs
}

// settingText renders a TOML value as an environment variable's text.
func settingText(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case bool:
		return strconv.FormatBool(v), nil
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			s, err := settingText(e)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return strings.Join(parts, ","), nil
	default:
		return "", fmt.Errorf("a %T is not a setting value (use a string, number, boolean or list)", v)
	}
}
