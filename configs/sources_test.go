package configs

import (
	"strings"
	"testing"
)

func TestLoadSourcesFile(t *testing.T) {
	p := writeFile(t, "sources.toml", `
# shared by every source
TICAGA_URL = "https://support.example.com"
TICAGA_API_TOKEN = "`+testToken+`"
SYNC_CONCURRENCY = 2

[[source]]
name = "blesta"
BILLING_DSN = "u:p@tcp(db1:3306)/blesta"
BILLING_COMPANY_ID = [1, 2]

[[source]]
name = "brand-b"
BILLING_SYSTEM = "whmcs"
BILLING_DSN = "u:p@tcp(db2:3306)/whmcs"
BILLING_STATUSES = ["Active", "Inactive"]
SYNC_CONCURRENCY = 8
`)
	srcs, err := LoadSources(t.Context(), p, env(map[string]string{"LOG_LEVEL": "debug", "SYNC_CONCURRENCY": "3"}))
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != 2 || srcs[0].Name != "blesta" || srcs[1].Name != "brand-b" {
		t.Fatalf("sources = %+v", srcs)
	}
	a, b := srcs[0].Config, srcs[1].Config
	if a.BillingSystem != "blesta" || len(a.CompanyIDs) != 2 || a.TicagaURL != "https://support.example.com" || a.TicagaBillingSystemName != "Blesta" {
		t.Errorf("blesta source = %+v", a)
	}
	if b.BillingSystem != "whmcs" || b.TicagaBillingSystemName != "WHMCS" || strings.Join(b.BillingStatuses, ",") != "Active,Inactive" {
		t.Errorf("whmcs source = %+v", b)
	}
	// Precedence: the source's own table, then the environment, then the
	// file's top level.
	if a.SyncConcurrency != 3 || b.SyncConcurrency != 8 || a.LogLevel != "debug" {
		t.Errorf("concurrency %d/%d, log level %q", a.SyncConcurrency, b.SyncConcurrency, a.LogLevel)
	}
}

func TestLoadSourcesErrors(t *testing.T) {
	tests := []struct{ content, want string }{
		{`BILLING_DNS = "x"`, `BILLING_DNS: unknown setting in`},
		{"[[source]]\nname = \"a\"\nBILLING_DSN = \"u:p@tcp(h)/d\"\nTICAGA_URL = 1.5e", "not valid TOML"},
		{"[[source]]\nBILLING_DSN = \"u:p@tcp(h)/d\"\n[[source]]\nname = \"b\"\nBILLING_DSN = \"u:p@tcp(h)/d\"", "source 1 has no name"},
		{"[[source]]\nname = \"a\"\nBILLING_DSN = \"u:p@tcp(h)/d\"\n[[source]]\nname = \"a\"\nBILLING_DSN = \"u:p@tcp(h)/d\"", `two sources are named "a"`},
		{"[[source]]\nname = \"w\"\nBILLING_SYSTEM = \"whmcs\"\nBILLING_DSN = \"u:" + testPassword + "@tcp(h)/d\"", `source "w": TICAGA_URL: required`},
		{"[[source]]\nname = \"w\"\nBILLING_DSN = { a = 1 }", "BILLING_DSN: a map"},
	}
	for _, tt := range tests {
		p := writeFile(t, "s.toml", tt.content)
		_, err := LoadSources(t.Context(), p, env(nil))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: err = %v, want it to mention %q", tt.content, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), testPassword) {
			t.Errorf("the DSN password leaked: %v", err)
		}
	}
	if _, err := LoadSources(t.Context(), "/nonexistent/s.toml", env(nil)); err == nil || !strings.Contains(err.Error(), "/nonexistent/s.toml") {
		t.Errorf("missing file: %v", err)
	}
}

func TestLoadSourcesEnvFileIsOneSource(t *testing.T) {
	p := writeFile(t, "ticaga.env", "BILLING_SYSTEM=fossbilling\nBILLING_DSN=u:p@tcp(h)/fb\nTICAGA_URL=https://t.example\nTICAGA_API_TOKEN=abc\n")
	srcs, err := LoadSources(t.Context(), p, env(nil))
	if err != nil || len(srcs) != 1 || srcs[0].Name != "fossbilling" {
		t.Fatalf("sources = %+v, %v", srcs, err)
	}
}
