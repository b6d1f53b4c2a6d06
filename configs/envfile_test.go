package configs

import (
	"errors"
	"maps"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

// TestParseEnvFile reads the constructs systemd.exec(5) documents for
// EnvironmentFile=, each with the value systemd gives it (every case was
// checked against systemd 252's own parser, load_env_file).
func TestParseEnvFile(t *testing.T) {
	tests := []struct {
		name, text string
		want       map[string]string
	}{
		{"empty lines, and lines starting with # or ; are ignored",
			"# comment\n; comment\n\n   \t\n  # indented comment\n\t; another\nA=1\n", map[string]string{"A": "1"}},
		{"leading and trailing whitespace is discarded, interior whitespace kept",
			"A=  two  words \t\n", map[string]string{"A": "two  words"}},
		{"blanks around the name and after = are dropped",
			"\t A \t=\t 1\n", map[string]string{"A": "1"}},
		{"only the first = separates", "A==1\nDSN=u:p#w=x@tcp(db:3306)/b?parseTime=true",
			map[string]string{"A": "=1", "DSN": "u:p#w=x@tcp(db:3306)/b?parseTime=true"}},
		{"# that does not follow a blank is part of the value", "A=a#b\nB=#b", map[string]string{"A": "a#b", "B": "#b"}},
		{"; is a comment only at the start of a line", "A=1 ;x", map[string]string{"A": "1 ;x"}},
		{"nothing is interpolated", "A=$HOME/${USER}\nB=\"$HOME\"\nC='$HOME'",
			map[string]string{"A": "$HOME/${USER}", "B": "$HOME", "C": "$HOME"}},
		{"single quotes keep every character", `A='a "b" \n \ # x ;'`, map[string]string{"A": `a "b" \n \ # x ;`}},
		{"a single-quoted value can span lines", "A='a\n\nb'\nB=2", map[string]string{"A": "a\n\nb", "B": "2"}},
		{`in double quotes \" \\ \` + "`" + ` \$ are the character`, `A="a \"q\" \\ \$x \` + "`c\\`" + `"`,
			map[string]string{"A": "a \"q\" \\ $x `c`"}},
		{"in double quotes a backslash at the end of a line joins the next", "A=\"ab\\\ncd\"", map[string]string{"A": "abcd"}},
		{"a double-quoted value can span lines", "A=\"a\nb\"\nB=2", map[string]string{"A": "a\nb", "B": "2"}},
		{"quotes keep surrounding blanks", `A=" a "` + "\nB=' b '", map[string]string{"A": " a ", "B": " b "}},
		{"blanks after the closing quote are dropped", "A=\"x\"  \t\nB='y' \n", map[string]string{"A": "x", "B": "y"}},
		{"empty values", "A=\nB=\"\"\nC=''\nD=   ", map[string]string{"A": "", "B": "", "C": "", "D": ""}},
		{"CRLF line ends (a carriage return is trailing whitespace)", "A=1\r\nB=\"x\"\r\n# c\r\n\r\nC=y \r\n",
			map[string]string{"A": "1", "B": "x", "C": "y"}},
		{"a later assignment wins", "A=1\nB=2\nA=3", map[string]string{"A": "3", "B": "2"}},
		{"control codes other than NUL are allowed", "A=a\x01b\x7f", map[string]string{"A": "a\x01b\x7f"}},
		{"UTF-8 text", "A=é 😀\n# comment é\n", map[string]string{"A": "é 😀"}},
		{"names are letters, digits and _", "_under9=ok\nexported_var=not an export\nexport1=x",
			map[string]string{"_under9": "ok", "exported_var": "not an export", "export1": "x"}},
		{"no newline at the end", "A=1", map[string]string{"A": "1"}},
		{"an empty file", "", map[string]string{}},
	}
	for _, tt := range tests {
		got, err := parseEnvFile("t.env", []byte(tt.text))
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !maps.Equal(got, tt.want) {
			t.Errorf("%s:\n got  %q\n want %q", tt.name, got, tt.want)
		}
	}
}

// TestParseEnvFileRejects covers every construct that systemd reads
// otherwise than a plain (shell or dotenv) reading would: each is an error
// naming the line and, when it is valid, the variable, and never showing a
// value. The comment of each case says what systemd 252 makes of it.
func TestParseEnvFileRejects(t *testing.T) {
	const tok = testToken
	tests := []struct {
		name, text, want string
	}{
		// systemd: KEY="abc #x" (there are no end-of-line comments).
		{"# after a blank", "KEY=" + tok + " #x", "t.env:1: KEY: " + msgHash},
		{"# after a tab", "KEY=" + tok + "\t# x", "t.env:1: KEY: " + msgHash},
		// systemd: KEY="#x"; a shell: KEY="".
		{"# at the start of a value after a blank", "KEY= #" + tok, "t.env:1: KEY: " + msgHash},
		// systemd: KEY="ab" (the backslash escapes b).
		{"backslash in an unquoted value", `KEY=a\` + tok, "t.env:1: KEY: " + msgBackslash},
		// systemd: KEY="abcdef".
		{"backslash continuation of an unquoted value", "A=1\nKEY=" + tok + "\\\ndef", "t.env:2: KEY: " + msgBackslash},
		// systemd: the name is "export KEY", invalid: the line is ignored.
		{"export", "export KEY=" + tok, `t.env:1: KEY: ` + msgExport},
		{"export and a tab", "export\tKEY=" + tok, `t.env:1: KEY: ` + msgExport},
		// systemd: KEY=x"y" (systemd.exec(5): quotes are not allowed after
		// the first non-whitespace character of the value).
		{"double quote inside an unquoted value", `KEY=x"` + tok + `"`, "t.env:1: KEY: " + msgQuote},
		{"single quote inside an unquoted value", `KEY=O'Brien`, "t.env:1: KEY: " + msgQuote},
		// systemd: KEY="ab", "ab", "a# c", "ab", "its".
		{"text right after the closing quote", `KEY="a"` + tok, "t.env:1: KEY: " + msgAfterQuote},
		{"text after the closing quote and a blank", `KEY="a" ` + tok, "t.env:1: KEY: " + msgAfterQuote},
		{"comment after the closing quote", `KEY="` + tok + `" # c`, "t.env:1: KEY: " + msgAfterQuote},
		{"two quoted parts", `KEY='a'"` + tok + `"`, "t.env:1: KEY: " + msgAfterQuote},
		{"doubled single quote", `KEY='it''s'`, "t.env:1: KEY: " + msgAfterQuote},
		{"backslash after the closing quote", `KEY="a"\` + tok, "t.env:1: KEY: " + msgAfterQuote},
		// systemd: KEY="a\\nb" (backslash and n), KEY="C:\\dir".
		{`\n in double quotes`, `KEY="` + tok + `\n"`, "t.env:1: KEY: " + msgDoubleEscape},
		{`\d in double quotes`, `KEY="C:\dir"`, "t.env:1: KEY: " + msgDoubleEscape},
		// systemd: the value runs to the end of the file.
		{"unterminated single quote", "KEY='" + tok, "t.env:1: KEY: " + msgUnterminated1},
		{"unterminated double quote", "A=1\nKEY=\"" + tok + "\n\nB=2\n", "t.env:2: KEY: " + msgUnterminated2},
		{"unterminated after an escaped quote", "KEY=\"" + tok + "\\\"", "t.env:1: KEY: " + msgUnterminated2},
		// systemd 252: KEY=1 is part of the comment; 254 and later: KEY=1.
		{"comment ending with a backslash", "# note \\\nKEY=1", "t.env:1: " + msgCommentEscape},
		// systemd: KEY=1 and B=2.
		{"carriage return inside a line", "KEY=1\rB=2", "t.env:1: KEY: " + msgBareCR},
		{"carriage return inside a comment", "# c\rKEY=1", "t.env:1: " + msgBareCR},
		// systemd refuses the whole file.
		{"NUL", "KEY=a\x00" + tok, "t.env:1: KEY: " + msgNUL},
		{"not UTF-8", "KEY=\xff" + tok, "t.env:1: KEY: " + msgNotUTF8},
		{"noncharacter", "KEY=\ufdd0" + tok, "t.env:1: KEY: " + msgNoncharacter},
		{"U+FFFF", "A=1\nKEY='\uffff'", "t.env:2: KEY: " + msgNoncharacter},
		// systemd: the name is "\ufeffKEY", invalid: the line is ignored.
		{"byte order mark", "\ufeffKEY=" + tok, "t.env:1: " + msgByteOrderMark},
		// systemd keeps it; systemd.exec(5) does not allow it.
		{"byte order mark in a value", "KEY='\ufeff" + tok + "'", "t.env:1: KEY: " + msgByteOrderMark},
		// systemd ignores these lines.
		{"no =", "A=1\n" + tok + "\n", "t.env:2: " + msgNoEquals},
		{"export without =", "export KEY", "t.env:1: " + msgNoEquals},
		{"no name", "=" + tok, "t.env:1: " + msgNoName},
		{"name starting with a digit", "A=1\n\n9A=" + tok, "t.env:3: " + msgBadName},
		{"dash in a name", "MY-VAR=" + tok, "t.env:1: " + msgBadName},
		{"blank in a name", "MY VAR=" + tok, "t.env:1: " + msgBadName},
		{"quoted name", `"KEY"=` + tok, "t.env:1: " + msgBadName},
		{"= only", "==" + tok, "t.env:1: " + msgBadName},
		// Every problem at once, one per assignment.
		{"several", "A=1 #x\nexport B=2\nC=ok\nD=\"x\"y\\z\n", "t.env:1: A: " + msgHash + "\nt.env:2: B: " + msgExport + "\nt.env:4: D: " + msgAfterQuote},
	}
	for _, tt := range tests {
		vars, err := parseEnvFile("t.env", []byte(tt.text))
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: error =\n%v\nwant\n%s", tt.name, err, tt.want)
		}
		if vars != nil {
			t.Errorf("%s: vars = %q, want nil", tt.name, vars)
		}
		for _, e := range unjoinErrors(err) {
			if _, ok := errors.AsType[*Error](e); !ok {
				t.Errorf("%s: %T is not a *configs.Error", tt.name, e)
			}
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
		"BILLING_DSN='"+testDSN+"'\n"+
		"TICAGA_URL=\"https://file.example.com/\"\n"+
		"TICAGA_API_TOKEN="+testToken+"\n"+
		"SYNC_CONCURRENCY=8\n"+
		"; quieter\n"+
		"LOG_LEVEL=warn\n")
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
	bad := writeFile(t, "bad.env", "A=1\n# ok\nTICAGA_API_TOKEN=\""+testToken+"\nexport B=1\n")
	_, err = LoadEnv(t.Context(), bad)
	if want := bad + ":3: TICAGA_API_TOKEN: " + msgUnterminated2; err == nil || err.Error() != want {
		t.Errorf("syntax error: error = %v, want %q", err, want)
	}
	assertNoSecret(t, err)

	// What systemd would read otherwise is refused, every line at once.
	bad = writeFile(t, "bad.env", "TICAGA_API_TOKEN="+testToken+" # prod\nexport LOG_LEVEL=debug\n")
	_, err = LoadEnv(t.Context(), bad)
	if want := bad + ":1: TICAGA_API_TOKEN: " + msgHash + "\n" + bad + ":2: LOG_LEVEL: " + msgExport; err == nil || err.Error() != want {
		t.Errorf("systemd differences: error =\n%v\nwant\n%s", err, want)
	}
	assertNoSecret(t, err)
}

func FuzzParseEnvFile(f *testing.F) {
	for _, s := range []string{
		"A=1", "export B='x y'", `C="a \"b\" \n"`, "# c\n\nD=e # f", "E='unterminated",
		"F=\"\\", "\ufeffG=1\r\n", "export", "H= 'x' # y", "=", "1=2", "I=a\\\nb", "# c \\\nJ=1",
		"K=\"a\nb\"", "L=1\rM=2", "N=\x00", "O=\xff", "; c\nP=x\"y\"",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, err := parseEnvFile("f.env", data)
		if err != nil {
			if vars != nil {
				t.Fatalf("vars %q with an error", vars)
			}
			for _, e := range unjoinErrors(err) {
				ce, ok := errors.AsType[*Error](e)
				if !ok || strings.Contains(e.Error(), "\n") || !strings.HasPrefix(ce.Var, "f.env:") {
					t.Fatalf("bad error %T %q", e, e)
				}
			}
			return
		}
		for k, v := range vars {
			if !isEnvName(k) {
				t.Fatalf("invalid key %q", k)
			}
			if !utf8.ValidString(v) || strings.ContainsAny(v, "\x00\ufeff") {
				t.Fatalf("value %q of %s is not what systemd accepts", v, k)
			}
		}
	})
}

// FuzzEnvFileQuotedRoundTrip writes any value systemd accepts quoted, as
// documented in systemd.exec(5), and reads it back unchanged.
func FuzzEnvFileQuotedRoundTrip(f *testing.F) {
	for _, s := range []string{"", "plain", `with "quotes" and \ slashes`, "new\nline", "$HOME # x", "tab\there", "`cmd` $x", "crlf\r\n", " blanks "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		if !utf8.ValidString(value) || strings.ContainsFunc(value, func(r rune) bool {
			return r == 0 || r == 0xFEFF || (r >= 0xFDD0 && r <= 0xFDEF) || r&0xFFFE == 0xFFFE
		}) {
			return // systemd refuses such a file
		}
		double := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "`", "\\`", `$`, `\$`).Replace(value)
		text := "KEY=\"" + double + "\"\n"
		if !strings.Contains(value, "'") {
			text += "SINGLE='" + value + "'\n"
		}
		vars, err := parseEnvFile("f.env", []byte(text))
		if err != nil {
			t.Fatalf("parse %q: %v", text, err)
		}
		if got := vars["KEY"]; got != value {
			t.Fatalf("double quotes %q: got %q", value, got)
		}
		if got, ok := vars["SINGLE"]; ok && got != value {
			t.Fatalf("single quotes %q: got %q", value, got)
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
