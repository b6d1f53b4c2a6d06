package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// config prints the daemon-wide settings and each source's, and never a
// secret: not the token, a DSN's password, the webhook URL's token, the
// SMTP password, nor a password in TICAGA_URL.
func TestConfigRedactsEverySecret(t *testing.T) {
	secrets := []string{"tok-TOP-SECRET-1", "dbpass-SECRET-2", "hook-SECRET-3", "smtp-SECRET-4", "urlpass-SECRET-5", "storepass-SECRET-6"}
	file := filepath.Join(t.TempDir(), "sources.toml")
	content := `
LOG_LEVEL = "debug"
CONTROL_SOCKET = "/run/ticaga-sync/control.sock"
NOTIFY_WEBHOOK_URL = "https://hooks.example.com/notify?token=hook-SECRET-3"
SMTP_ADDR = "mail.example.com:587"
SMTP_USERNAME = "reports"
SMTP_PASSWORD = "smtp-SECRET-4"
SMTP_FROM = "ticaga-sync@example.com"
SMTP_TO = ["ops@example.com"]
TICAGA_API_TOKEN = "tok-TOP-SECRET-1"
STORE_DSN = "ticaga:storepass-SECRET-6@tcp(db0:3306)/ticaga"

[[source]]
name = "blesta"
BILLING_DSN = "ticaga:dbpass-SECRET-2@tcp(db1:3306)/blesta"
TICAGA_URL = "https://admin:urlpass-SECRET-5@support.example.com"

[[source]]
name = "whmcs-brand-b"
BILLING_SYSTEM = "whmcs"
BILLING_DSN = "ticaga:dbpass-SECRET-2@tcp(db2:3306)/whmcs"
TICAGA_URL = "https://support.example.com"
SYNC_CONCURRENCY = 2
`
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{}

	code, out, stderr := runMain(t, env, "config", "--config", file)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{
		"daemon:\n", "  CONTROL_SOCKET=/run/ticaga-sync/control.sock\n", "  LOG_LEVEL=debug\n", "  SMTP_PASSWORD=[redacted]\n",
		"\nsource blesta:\n", "  BILLING_DSN=ticaga:***@tcp(db1:3306)/blesta", "  TICAGA_API_TOKEN=[redacted]\n",
		"\nsource whmcs-brand-b:\n", "  BILLING_SYSTEM=whmcs\n", "  SYNC_CONCURRENCY=2\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("config output lacks %q:\n%s", want, out)
		}
	}
	// Daemon-wide settings are shown once, before the sources.
	if strings.Count(out, "LOG_LEVEL=") != 1 || strings.Index(out, "LOG_LEVEL=") > strings.Index(out, "source blesta") {
		t.Errorf("LOG_LEVEL is not shown once among the daemon-wide settings:\n%s", out)
	}

	code, jsonOut, stderr := runMain(t, env, "config", "--config", file, "--output", "json")
	if code != exitOK {
		t.Fatalf("--output json: exit %d\n%s", code, stderr)
	}
	var eff struct {
		Daemon  map[string]string `json:"daemon"`
		Sources []struct {
			Name     string            `json:"name"`
			Settings map[string]string `json:"settings"`
		} `json:"sources"`
	}
	if err := json.Unmarshal([]byte(jsonOut), &eff); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, jsonOut)
	}
	if eff.Daemon["SMTP_ADDR"] != "mail.example.com:587" || len(eff.Sources) != 2 || eff.Sources[1].Name != "whmcs-brand-b" ||
		eff.Sources[1].Settings["SYNC_CONCURRENCY"] != "2" || eff.Sources[0].Settings["LOG_LEVEL"] != "" {
		t.Errorf("effective configuration = %+v", eff)
	}
	for _, s := range secrets {
		if strings.Contains(out+stderr+jsonOut, s) {
			t.Errorf("the secret %q appears in the output", s)
		}
	}

	// An env file, with the SMTP password from the environment.
	envFile := filepath.Join(t.TempDir(), "ticaga-sync.env")
	if err := os.WriteFile(envFile, []byte("BILLING_DSN=ticaga:dbpass-SECRET-2@tcp(db1:3306)/blesta\nTICAGA_URL=https://admin:urlpass-SECRET-5@support.example.com\nTICAGA_API_TOKEN=tok-TOP-SECRET-1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = runMain(t, map[string]string{"SMTP_PASSWORD": "smtp-SECRET-4", "SMTP_ADDR": "mail.example.com:25",
		"SMTP_FROM": "a@example.com", "SMTP_TO": "b@example.com", "NOTIFY_WEBHOOK_URL": "https://hooks.example.com/?token=hook-SECRET-3"},
		"config", "--config", envFile)
	if code != exitOK || !strings.Contains(out, "\nsource blesta:\n") || !strings.Contains(out, "SMTP_PASSWORD=[redacted]") {
		t.Fatalf("env file: exit %d\n%s\n%s", code, out, stderr)
	}
	for _, s := range secrets {
		if strings.Contains(out+stderr, s) {
			t.Errorf("env file: the secret %q appears in the output", s)
		}
	}
}

// A daemon-wide setting inside a [[source]] table is a configuration error
// naming the setting and the source; config exits 2 and prints nothing.
func TestConfigRejectsADaemonSettingInASource(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sources.toml")
	content := `
TICAGA_URL = "https://support.example.com"
TICAGA_API_TOKEN = "tok-TOP-SECRET-1"

[[source]]
name = "blesta"
BILLING_DSN = "ticaga:dbpass-SECRET-2@tcp(db1:3306)/blesta"
HTTP_ADDR = "127.0.0.1:9464"
`
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runMain(t, map[string]string{}, "config", "--config", file)
	if code != exitUsage || out != "" || !strings.Contains(stderr, "ticaga-sync: configuration: ") ||
		!strings.Contains(stderr, `"blesta"`) || !strings.Contains(stderr, "HTTP_ADDR is a daemon-wide setting") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, stderr)
	}
	if strings.Contains(stderr, "SECRET") {
		t.Fatalf("a secret appears in the error:\n%s", stderr)
	}
	if code, _, stderr := runMain(t, map[string]string{}, "config", "--output", "yaml"); code != exitUsage || !strings.Contains(stderr, "--output must be text or json") {
		t.Fatalf("--output yaml: exit %d, %s", code, stderr)
	}
}
