package configs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tsEnv is a valid TicketSource source's environment.
func tsEnv(extra map[string]string) map[string]string {
	m := map[string]string{
		"BILLING_SYSTEM": "ticketsource", "STORE_DSN": "u:pw@tcp(db:3306)/sync",
		"TICKETSOURCE_API_KEY": "skl-secret-KEY", "TICAGA_URL": "https://support.example.com", "TICAGA_API_TOKEN": "tok",
	}
	for k, v := range extra {
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	return m
}

func TestTicketSourceSettings(t *testing.T) {
	cfg, err := Load(t.Context(), env(tsEnv(nil)))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TicketSourceURL != "https://api.ticketsource.io" || !cfg.TicketSourceWriteNotes || cfg.TicagaBillingSystemName != "TicketSource" ||
		cfg.TicketSourceTimeout.String() != "30s" {
		t.Fatalf("defaults: %+v", cfg)
	}
	red := cfg.Redacted()
	if red["TICKETSOURCE_API_KEY"] != "[redacted]" || strings.Contains(strings.Join(mapValues(red), " "), "skl-secret-KEY") {
		t.Fatalf("the key is not redacted: %v", red["TICKETSOURCE_API_KEY"])
	}

	// From a file, and from the systemd credential.
	dir := t.TempDir()
	file := filepath.Join(dir, "key")
	if err := os.WriteFile(file, []byte(" skl-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = Load(t.Context(), env(tsEnv(map[string]string{"TICKETSOURCE_API_KEY": "", "TICKETSOURCE_API_KEY_FILE": file})))
	if err != nil || cfg.TicketSourceAPIKey.Reveal() != "skl-from-file" {
		t.Fatalf("key file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, TicketSourceCredentialName), []byte("skl-cred"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err = Load(t.Context(), env(tsEnv(map[string]string{"TICKETSOURCE_API_KEY": "", "CREDENTIALS_DIRECTORY": dir})))
	if err != nil || cfg.TicketSourceAPIKey.Reveal() != "skl-cred" || cfg.TicketSourceAPIKeyFile != filepath.Join(dir, TicketSourceCredentialName) {
		t.Fatalf("credential: %v", err)
	}

	for _, tt := range []struct {
		extra map[string]string
		want  string
	}{
		{map[string]string{"TICKETSOURCE_API_KEY": ""}, "TICKETSOURCE_API_KEY: required (set TICKETSOURCE_API_KEY, TICKETSOURCE_API_KEY_FILE, or the systemd credential ticketsource-api-key)"},
		{map[string]string{"TICKETSOURCE_API_KEY": "skl a"}, "TICKETSOURCE_API_KEY: the key contains spaces"},
		{map[string]string{"TICKETSOURCE_API_KEY_FILE": file}, "TICKETSOURCE_API_KEY_FILE: set only one of TICKETSOURCE_API_KEY and TICKETSOURCE_API_KEY_FILE"},
		{map[string]string{"STORE_DSN": ""}, "STORE_DSN: required with BILLING_SYSTEM=ticketsource"},
		{map[string]string{"BILLING_DSN": "u:pw@tcp(db:3306)/x"}, "BILLING_DSN: not used with BILLING_SYSTEM=ticketsource"},
		{map[string]string{"TICKETSOURCE_URL": "api.ticketsource.io"}, "TICKETSOURCE_URL: must be an http(s) URL"},
		{map[string]string{"TICKETSOURCE_TIMEOUT": "0s"}, "TICKETSOURCE_TIMEOUT: must be greater than 0, got 0s"},
		{map[string]string{"TICKETSOURCE_WRITE_NOTES": "maybe"}, "TICKETSOURCE_WRITE_NOTES: cannot be parsed"},
	} {
		_, err := Load(t.Context(), env(tsEnv(tt.extra)))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) || strings.Contains(err.Error(), "skl-secret-KEY") {
			t.Errorf("%v: got %v, want %q", tt.extra, err, tt.want)
		}
	}
}

func mapValues(m map[string]string) []string {
	var out []string
	for _, v := range m {
		out = append(out, v)
	}
	return out
}
