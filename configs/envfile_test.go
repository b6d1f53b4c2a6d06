package configs

import (
	"errors"
	"maps"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseEnvFile(t *testing.T) {
	text := "\ufeff# comment\n" +
		"\n" +
		"   \t\n" +
		"PLAIN=value\n" +
		"SPACED =  two words   \n" +
		"export EXPORTED=yes\n" +
		"export\tTABBED=1\n" +
		"exported_var=not an export\n" +
		"INLINE=abc # a comment\n" +
		"HASH=a#b\n" +
		"EMPTY=\n" +
		"SINGLE='$HOME \\n # not a comment'\n" +
		"SINGLE2='a \"b\"'  # comment\n" +
		`DOUBLE="a \"q\" \\ \$HOME \n end \t"` + "\n" +
		"DOUBLE_EMPTY=\"\"\n" +
		"NOINTERP=$HOME/${USER}\n" +
		"CRLF=windows\r\n" +
		"DSN=u:p#w=x@tcp(db:3306)/b?parseTime=true\n" +
		"PLAIN=last wins\n" +
		"_under9=ok"
	got, err := parseEnvFile("t.env", []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"PLAIN":        "last wins",
		"SPACED":       "two words",
		"EXPORTED":     "yes",
		"TABBED":       "1",
		"exported_var": "not an export",
		"INLINE":       "abc",
		"HASH":         "a#b",
		"EMPTY":        "",
		"SINGLE":       `$HOME \n # not a comment`,
		"SINGLE2":      `a "b"`,
		"DOUBLE":       "a \"q\" \\ $HOME \n end \\t",
		"DOUBLE_EMPTY": "",
		"NOINTERP":     "$HOME/${USER}",
		"CRLF":         "windows",
		"DSN":          "u:p#w=x@tcp(db:3306)/b?parseTime=true",
		"_under9":      "ok",
	}
	if !maps.Equal(got, want) {
		t.Errorf("got  %q\nwant %q", got, want)
	}
}

func TestParseEnvFileErrors(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"A=1\n" + testToken + "\n", "t.env:2: expected KEY=VALUE"},
		{"A=1\n\n9A=" + testToken, "t.env:3: invalid variable name (use letters, digits and _, not starting with a digit)"},
		{"MY-VAR=1", "t.env:1: invalid variable name (use letters, digits and _, not starting with a digit)"},
		{"=" + testToken, "t.env:1: invalid variable name (use letters, digits and _, not starting with a digit)"},
		{"export A", "t.env:1: expected KEY=VALUE"},
		{"A='" + testToken, "t.env:1: unterminated single-quoted value"},
		{"A=\"" + testToken + "\\\"", "t.env:1: unterminated double-quoted value"},
		{"A=\"x\"" + testToken, "t.env:1: unexpected text after the closing quote"},
		{"A='it''s'", "t.env:1: unexpected text after the closing quote"},
	}
	for _, tt := range tests {
		_, err := parseEnvFile("t.env", []byte(tt.text))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%q: error = %v, want %q", tt.text, err, tt.want)
		}
		if _, ok := errors.AsType[*Error](err); !ok {
			t.Errorf("%q: %T is not a *configs.Error", tt.text, err)
		}
		assertNoSecret(t, err)
	}
}

// isolateEnv blanks every setting in the process environment for the test;
// blank variables do not override an env file.
func isolateEnv(t *testing.T) {
	for _, key := range envTags() {
		t.Setenv(key, "")
	}
	t.Setenv("CREDENTIALS_DIRECTORY", "")
}

func TestLoadEnv(t *testing.T) {
	isolateEnv(t)
	path := writeFile(t, "ticaga-sync.env", "# test\n"+
		"export BILLING_DSN='"+testDSN+"'\n"+
		"TICAGA_URL=\"https://file.example.com/\"\n"+
		"TICAGA_API_TOKEN="+testToken+"\n"+
		"SYNC_CONCURRENCY=8\n"+
		"LOG_LEVEL=warn # quieter\n")
	t.Setenv("SYNC_CONCURRENCY", "16")

	cfg, err := LoadEnv(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BillingDSN.Reveal() != testDSN || cfg.TicagaURL != "https://file.example.com" ||
		cfg.TicagaAPIToken.Reveal() != testToken || cfg.LogLevel != "warn" {
		t.Errorf("file values not loaded: %+v", cfg)
	}
	if cfg.SyncConcurrency != 16 {
		t.Errorf("SyncConcurrency = %d, want the environment's 16", cfg.SyncConcurrency)
	}

	// Without a file only the environment counts.
	t.Setenv("TICAGA_URL", "https://env.example.com")
	t.Setenv("BILLING_DSN", testDSN)
	t.Setenv("TICAGA_API_TOKEN", testToken)
	cfg, err = LoadEnv(t.Context(), "")
	if err != nil || cfg.TicagaURL != "https://env.example.com" || cfg.SyncConcurrency != 16 || cfg.LogLevel != "info" {
		t.Errorf("LoadEnv without a file = %+v, %v", cfg, err)
	}
}

func TestLoadEnvFileErrors(t *testing.T) {
	isolateEnv(t)
	missing := filepath.Join(t.TempDir(), "missing.env")
	_, err := LoadEnv(t.Context(), missing)
	if want := missing + ": cannot read env file: no such file or directory"; err == nil || err.Error() != want {
		t.Errorf("missing file: error = %v, want %q", err, want)
	}
	bad := writeFile(t, "bad.env", "A=1\n# ok\nTICAGA_API_TOKEN=\""+testToken+"\n")
	_, err = LoadEnv(t.Context(), bad)
	if want := bad + ":3: unterminated double-quoted value"; err == nil || err.Error() != want {
		t.Errorf("syntax error: error = %v, want %q", err, want)
	}
	assertNoSecret(t, err)
}

func FuzzParseEnvFile(f *testing.F) {
	for _, s := range []string{
		"A=1", "export B='x y'", `C="a \"b\" \n"`, "# c\n\nD=e # f", "E='unterminated",
		"F=\"\\", "\ufeffG=1\r\n", "export", "H= 'x' # y", "=", "1=2",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, err := parseEnvFile("f.env", data)
		if err != nil {
			if _, ok := errors.AsType[*Error](err); !ok || strings.Contains(err.Error(), "\n") {
				t.Fatalf("bad error %T %q", err, err)
			}
			return
		}
		for k := range vars {
			if !isEnvName(k) {
				t.Fatalf("invalid key %q", k)
			}
		}
	})
}

func FuzzEnvFileQuotedRoundTrip(f *testing.F) {
	for _, s := range []string{"", "plain", `with "quotes" and \ slashes`, "new\nline", "$HOME # x", "tab\there"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		quoted := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(value)
		vars, err := parseEnvFile("f.env", []byte("export KEY=\""+quoted+"\" # comment\n"))
		if err != nil {
			t.Fatalf("parse %q: %v", quoted, err)
		}
		if got := vars["KEY"]; got != value {
			t.Fatalf("round trip %q: got %q", value, got)
		}
	})
}

// envTags returns the environment variable of every Config field.
func envTags() []string {
	var keys []string
	t := reflect.TypeFor[Config]()
	for i := range t.NumField() {
		if k := t.Field(i).Tag.Get("env"); k != "" {
			keys = append(keys, k)
		}
	}
	return keys
}
