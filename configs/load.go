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
	"time"

	"github.com/sethvargo/go-envconfig"
)

// Load reads every setting through lookup (os.LookupEnv when nil) over
// DefaultConfig, resolves the Ticaga token (TICAGA_API_TOKEN,
// TICAGA_API_TOKEN_FILE, or $CREDENTIALS_DIRECTORY/ticaga-api-token) and
// validates the result. Values are trimmed of surrounding whitespace, and an
// empty value means the default (HTTP_ADDR excepted: empty disables).
//
// The error, if any, joins one *Error per problem: values that do not parse,
// token file problems, and everything Validate finds. The Config is returned
// even then, holding what could be read, so a caller can still show it
// (through Redacted or %v, which never reveal a secret).
func Load(ctx context.Context, lookup func(key string) (string, bool)) (Config, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	trimmed := func(key string) (string, bool) {
		v, ok := lookup(key)
		return strings.TrimSpace(v), ok
	}

	cfg, problems := decode(ctx, trimmed)
	normalize(&cfg, trimmed)
	reported := make(map[string]bool)
	if p := resolveSMTPPassword(&cfg); p != nil {
		problems = append(problems, p)
	}
	if p := resolveTicketSourceKey(&cfg, trimmed); p != nil {
		problems = append(problems, p)
		reported["TICKETSOURCE_API_KEY"] = true
	}
	if p := resolveToken(&cfg, trimmed); p != nil {
		problems = append(problems, p)
		reported["TICAGA_API_TOKEN"] = true // unreadable is also missing: say it once
	}
	errs := make([]error, 0, len(problems))
	for _, p := range problems {
		reported[p.Var] = true
		errs = append(errs, p)
	}
	for _, p := range cfg.problems() {
		if !reported[p.Var] {
			errs = append(errs, p)
		}
	}
	return cfg, errors.Join(errs...)
}

// LoadEnv is Load from the process environment, with envFile (when not "")
// read first as an env file, exactly as systemd reads EnvironmentFile=
// (KEY=VALUE lines, # and ; comments, single- or double-quoted values, no
// interpolation), every construct systemd would read otherwise than a plain
// reading being refused: "export", a comment after a value, a backslash or
// a quote in an unquoted value, text after a closing quote, and so on (see
// parseEnvFile). A variable set to a non-empty value in the environment
// overrides the file. A file that cannot be read is an *Error naming the
// file; each syntax problem is an *Error naming the file and line, and the
// variable.
func LoadEnv(ctx context.Context, envFile string) (Config, error) {
	return LoadFile(ctx, envFile, os.LookupEnv)
}

// LoadFile is LoadEnv with the environment read through lookup (nil means
// os.LookupEnv), so a program can be run with a made-up environment.
func LoadFile(ctx context.Context, envFile string, lookup func(string) (string, bool)) (Config, error) {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	if envFile == "" {
		return Load(ctx, lookup)
	}
	vars, err := readEnvFile(envFile)
	if err != nil {
		// The values are not used, but every problem is said at once:
		// the typos too.
		return DefaultConfig(), errors.Join(append(unjoinErrors(err), unknownKeys(envFileVars(envFile), envFile)...)...)
	}
	// A key with the project's prefix that is no setting is a typo: it
	// would be ignored, and the setting meant left at its default.
	unknown := unknownKeys(vars, envFile)
	cfg, err := Load(ctx, func(key string) (string, bool) {
		if v, ok := lookup(key); ok && strings.TrimSpace(v) != "" {
			return v, true
		}
		v, ok := vars[key]
		return v, ok
	})
	return cfg, errors.Join(append(unknown, unjoinErrors(err)...)...)
}

// decode runs go-envconfig over DefaultConfig. A value that does not parse
// becomes an *Error naming its variable, and decoding is retried with that
// variable hidden (so it keeps its default) until everything else parses.
func decode(ctx context.Context, lookup func(string) (string, bool)) (Config, []*Error) {
	hidden := make(map[string]bool)
	l := envconfig.LookuperFunc(func(key string) (string, bool) {
		if hidden[key] {
			return "", false
		}
		return lookup(key)
	})
	var problems []*Error
	for {
		cfg := DefaultConfig()
		err := envconfig.ProcessWith(ctx, &envconfig.Config{Target: &cfg, Lookuper: l, DefaultOverwrite: true})
		if err == nil {
			return cfg, problems
		}
		p := parseError(err, lookup)
		problems = append(problems, p)
		if hidden[p.Var] || envVarType(p.Var) == nil {
			return cfg, problems // not a value problem; retrying would not help
		}
		hidden[p.Var] = true
	}
}

var durationType = reflect.TypeFor[time.Duration]()

// envVarType returns the type of the Config field read from key, or nil.
func envVarType(key string) reflect.Type {
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("env") == key {
			return t.Field(i).Type
		}
	}
	return nil
}

// parseError turns a go-envconfig error ("FieldName: strconv...: ...") into
// an *Error naming the variable, quoting the value only for number and
// duration fields (which never hold a secret).
func parseError(err error, lookup func(string) (string, bool)) *Error {
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	name, _, _ := strings.Cut(err.Error(), ":")
	f, ok := reflect.TypeFor[Config]().FieldByName(name)
	if !ok || f.Tag.Get("env") == "" {
		return &Error{Var: "environment", Msg: "cannot read the settings: " + err.Error()}
	}
	key := f.Tag.Get("env")
	raw, _ := lookup(key)
	if errors.Is(err, strconv.ErrRange) {
		return &Error{Var: key, Msg: fmt.Sprintf("%q is out of range", raw)}
	}
	switch {
	case f.Type == durationType:
		return &Error{Var: key, Msg: fmt.Sprintf("%q is not a duration (e.g. 30s, 5m or 1h)", raw)}
	case f.Type.Kind() == reflect.Int:
		return &Error{Var: key, Msg: fmt.Sprintf("%q is not a whole number", raw)}
	case f.Type.Kind() == reflect.Float64:
		return &Error{Var: key, Msg: fmt.Sprintf("%q is not a number", raw)}
	}
	return &Error{Var: key, Msg: "cannot be parsed"}
}

// normalize applies the defaults that depend on other settings and the
// spelling rules: lower-case words, no trailing slash, no empty statuses.
func normalize(cfg *Config, lookup func(string) (string, bool)) {
	cfg.BillingSystem = strings.ToLower(strings.TrimSpace(cfg.BillingSystem))
	cfg.LogLevel = strings.ToLower(cfg.LogLevel)
	cfg.LogFormat = strings.ToLower(cfg.LogFormat)
	cfg.TicagaURL = strings.TrimRight(cfg.TicagaURL, "/")
	cfg.TicketSourceURL = strings.TrimRight(cfg.TicketSourceURL, "/")
	cfg.BillingStatuses = slices.DeleteFunc(cfg.BillingStatuses, func(s string) bool { return s == "" })
	if len(cfg.BillingStatuses) == 0 {
		cfg.BillingStatuses = nil
	}
	cfg.SyncProvisionStatuses = slices.DeleteFunc(cfg.SyncProvisionStatuses, func(s string) bool { return strings.TrimSpace(s) == "" })
	if len(cfg.SyncProvisionStatuses) == 0 {
		cfg.SyncProvisionStatuses = nil
	}
	if v, _ := lookup("BILLING_COMPANY_ID"); v != "" {
		cfg.CompanyIDsSet = true
	}
	if v, _ := lookup("TICAGA_BILLING_SYSTEM_NAME"); v == "" {
		cfg.TicagaBillingSystemName = DefaultBillingSystemName(cfg.BillingSystem)
	}
	if v, ok := lookup("HTTP_ADDR"); ok && v == "" {
		cfg.HTTPAddr = ""
	}
	if v, ok := lookup("CONTROL_SOCKET"); ok && v == "" {
		cfg.ControlSocket = ""
	}
}
