package configs

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// A typo in the env file is an error naming it and the setting meant, with
// every other problem of the file at once; variables of other programs
// (no project prefix) and the process environment are left alone.
func TestEnvFileUnknownSettings(t *testing.T) {
	path := writeFile(t, "ticaga-sync.env", strings.Join([]string{
		"BILLING_DSN=" + testDSN,
		"TICAGA_URL=https://support.example.com",
		"TICAGA_TOKEN=" + testToken,
		"SYNC_INTERVAL=5m",
		"LOG_LVL=debug",
		"TZ=Europe/Paris",
		"GODEBUG=http2client=0",
		"SYNC_CONCURRENCY=0",
		"",
	}, "\n"))
	processEnv := env(map[string]string{"TICAGA_SOMETHING_ELSE": "x", "SYNC_FOO": "y"})
	_, err := LoadFile(t.Context(), path, processEnv)
	if err == nil {
		t.Fatal("no error for an env file with typos")
	}
	assertNoSecret(t, err)
	got := strings.Split(err.Error(), "\n")
	want := []string{
		"LOG_LVL: unknown setting in " + path + " (did you mean LOG_LEVEL?)",
		"SYNC_INTERVAL: unknown setting in " + path + " (did you mean SYNC_SCHEDULE?)",
		"TICAGA_TOKEN: unknown setting in " + path + " (did you mean TICAGA_API_TOKEN?)",
		"TICAGA_API_TOKEN: required (set TICAGA_API_TOKEN, TICAGA_API_TOKEN_FILE, or the systemd credential ticaga-api-token)",
		"SYNC_CONCURRENCY: must be between 1 and 64, got 0",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("error =\n%s\nwant\n%s", err, strings.Join(want, "\n"))
	}
}

// Settings added to Config later are known without another list: the names
// come from the struct tags, and so do the prefixes.
func TestKnownSettingsComeFromTags(t *testing.T) {
	names := Settings()
	typ := reflect.TypeFor[Config]()
	for i := range typ.NumField() {
		if tag := typ.Field(i).Tag.Get("env"); tag != "" && !slices.Contains(names, tag) {
			t.Errorf("%s is not a known setting", tag)
		}
	}
	for _, p := range []string{"TICAGA_", "SYNC_", "BILLING_", "HTTP_", "NOTIFY_", "LOG_", "TICKETSOURCE_", "SMTP_", "STORE_", "HEALTH_", "CONTROL_"} {
		if !IsProjectName(p + "X") {
			t.Errorf("%sX is not taken for a project setting", p)
		}
	}
	if IsProjectName("TZ") || IsProjectName("PATH") || IsProjectName("CREDENTIALS_DIRECTORY") {
		t.Error("an unrelated variable is taken for a project setting")
	}
	for key, want := range map[string]string{
		"TICAGA_TOKEN": "TICAGA_API_TOKEN", "SYNC_INTERVAL": "SYNC_SCHEDULE", "BILLING_DNS": "BILLING_DSN",
		"ticaga_url": "TICAGA_URL", "HTTP_PORT": "HTTP_ADDR", "SMTP_PASS": "SMTP_PASSWORD",
	} {
		if got := closestSetting(key); got != want {
			t.Errorf("closestSetting(%s) = %s, want %s", key, got, want)
		}
	}
}

// A schedule more frequent than once a minute is refused, naming
// SYNC_SCHEDULE; a minute and more, and any five-field cron, are fine.
func TestScheduleAtMostOnceAMinute(t *testing.T) {
	for _, spec := range []string{"@every 0s", "@every 30s", "@every 59s", "@every 500ms", "@every -1m", "* * * * * *"} {
		_, err := Load(t.Context(), env(minimal(map[string]string{"SYNC_SCHEDULE": spec})))
		if err == nil || !strings.HasPrefix(err.Error(), "SYNC_SCHEDULE: ") {
			t.Errorf("SYNC_SCHEDULE=%q: err = %v, want a SYNC_SCHEDULE error", spec, err)
		}
	}
	for _, spec := range []string{"@every 1m", "@every 15m", "* * * * *", "*/5 * * * *", "@hourly"} {
		if _, err := Load(t.Context(), env(minimal(map[string]string{"SYNC_SCHEDULE": spec}))); err != nil {
			t.Errorf("SYNC_SCHEDULE=%q: %v", spec, err)
		}
	}
}

// A file with a syntax problem still reports its typos, at once.
func TestEnvFileSyntaxProblemAndTypo(t *testing.T) {
	path := writeFile(t, "t.env", "export BILLING_DSN="+testDSN+"\nSYNC_INTERVAL=5m\n")
	_, err := LoadFile(t.Context(), path, env(nil))
	want := path + ":1: BILLING_DSN: " + msgExport + "\nSYNC_INTERVAL: unknown setting in " + path + " (did you mean SYNC_SCHEDULE?)"
	if err == nil || err.Error() != want {
		t.Fatalf("error =\n%v\nwant\n%s", err, want)
	}
	assertNoSecret(t, err)
}

// For a command that makes no Ticaga call, the token's problems are left
// out and every other problem kept.
func TestWithoutTokenProblems(t *testing.T) {
	path := writeFile(t, "t.env", "TICAGA_URL=https://support.example.com\nTICAGA_API_TOKEN_FILE=/nonexistent/token\nSYNC_CONCURRENCY=0\n")
	_, err := LoadDaemon(t.Context(), path, env(nil))
	if err == nil || !strings.Contains(err.Error(), "TICAGA_API_TOKEN_FILE: cannot read /nonexistent/token") {
		t.Fatalf("LoadDaemon: %v", err)
	}
	got := WithoutTokenProblems(err)
	want := "BILLING_DSN: required (user:password@tcp(host:3306)/dbname)\nSYNC_CONCURRENCY: must be between 1 and 64, got 0"
	if got == nil || got.Error() != want {
		t.Fatalf("WithoutTokenProblems =\n%v\nwant\n%s", got, want)
	}
	if WithoutTokenProblems(errors.Join(&Error{Var: "TICAGA_API_TOKEN", Msg: "required"})) != nil {
		t.Fatal("only a token problem: want nil")
	}
}
