package configs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
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
	Name   string
	Config Config
}

// LoadSources reads the settings of every source.
//
// A path ending in ".toml" is a sources file: its top-level keys are the
// setting names of the environment (BILLING_DSN, TICAGA_URL, ...) and apply
// to every source, and each [[source]] table, with a "name", lists one
// source's own settings:
//
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
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if !strings.HasSuffix(strings.ToLower(path), ".toml") {
		cfg, err := LoadFile(ctx, path, lookup)
		return []Source{{Name: cfg.BillingSystem, Config: cfg}}, err
	}

	top, tables, err := readSourcesFile(path)
	if err != nil {
		return nil, err
	}
	if len(tables) == 0 {
		tables = []map[string]string{{}}
	}
	var sources []Source
	var errs []error
	for i, own := range tables {
		cfg, err := Load(ctx, func(key string) (string, bool) {
			if v, ok := own[key]; ok {
				return v, true
			}
			if v, ok := lookup(key); ok && strings.TrimSpace(v) != "" {
				return v, true
			}
			v, ok := top[key]
			return v, ok
		})
		name := own["name"]
		if name == "" {
			name = cfg.BillingSystem
			if len(tables) > 1 {
				errs = append(errs, &Error{Var: path, Msg: fmt.Sprintf("source %d has no name (each [[source]] needs name = \"...\")", i+1)})
			}
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("source %q: %w", name, err))
		}
		if slices.ContainsFunc(sources, func(s Source) bool { return s.Name == name }) {
			errs = append(errs, &Error{Var: path, Msg: fmt.Sprintf("two sources are named %q", name)})
		}
		sources = append(sources, Source{Name: name, Config: cfg})
	}
	return sources, errors.Join(errs...)
}

// readSourcesFile parses a sources file into its top-level settings and one
// map per [[source]] table, every value as the text an environment variable
// would hold (lists joined with commas).
func readSourcesFile(path string) (top map[string]string, tables []map[string]string, err error) {
	var raw map[string]any
	md, err := toml.DecodeFile(path, &raw)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, nil, &Error{Var: fmt.Sprintf("%s:%d", path, perr.Position.Line), Msg: "not valid TOML: " + perr.Message}
		}
		return nil, nil, &Error{Var: path, Msg: reason(err)}
	}
	_ = md
	known := envNames()
	top = map[string]string{}
	for k, v := range raw {
		if k == "source" {
			list, ok := v.([]map[string]any)
			if !ok {
				return nil, nil, &Error{Var: path, Msg: "source must be a list of [[source]] tables"}
			}
			for i, t := range list {
				m, err := settingValues(t, known, true)
				if err != nil {
					return nil, nil, &Error{Var: path, Msg: fmt.Sprintf("source %d: %v", i+1, err)}
				}
				tables = append(tables, m)
			}
			continue
		}
		m, err := settingValues(map[string]any{k: v}, known, false)
		if err != nil {
			return nil, nil, &Error{Var: path, Msg: err.Error()}
		}
		top[k] = m[k]
	}
	return top, tables, nil
}

func settingValues(t map[string]any, known map[string]bool, inSource bool) (map[string]string, error) {
	out := make(map[string]string, len(t))
	for k, v := range t {
		if !known[k] && !(inSource && k == "name") {
			return nil, fmt.Errorf("unknown setting %q (settings use the environment names, e.g. BILLING_DSN)", k)
		}
		s, err := settingText(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", k, err)
		}
		out[k] = s
	}
	return out, nil
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

// envNames is the set of setting names, from the Config's env tags.
func envNames() map[string]bool {
	names := map[string]bool{}
	t := reflect.TypeOf(Config{})
	for i := range t.NumField() {
		if tag, ok := t.Field(i).Tag.Lookup("env"); ok {
			names[strings.Split(tag, ",")[0]] = true
		}
	}
	return names
}
