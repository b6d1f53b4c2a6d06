package configs

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// verbs are every fmt form a Config or a secret might be printed with.
var verbs = []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s", "%-8v"}

func TestSecretNeverPrints(t *testing.T) {
	s := Secret(testToken)
	for _, verb := range verbs {
		if got := fmt.Sprintf(verb, s); strings.Contains(got, testToken) || strings.Contains(got, fmt.Sprintf("%x", testToken)) {
			t.Errorf("Sprintf(%q) = %q: shows the secret", verb, got)
		}
	}
	if got, want := fmt.Sprintf("%v|%s|%q|%#v", s, s, s, s), `[redacted]|[redacted]|"[redacted]"|[redacted]`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	j, err := json.Marshal(map[string]any{"token": s, "ptr": &s})
	if err != nil || strings.Contains(string(j), testToken) {
		t.Errorf("json = %s, %v", j, err)
	}
	if txt, _ := s.MarshalText(); string(txt) != "[redacted]" {
		t.Errorf("MarshalText = %q", txt)
	}
	if s.Reveal() != testToken {
		t.Errorf("Reveal = %q", s.Reveal())
	}
}

func TestDSNFormatsWithoutPassword(t *testing.T) {
	tests := []struct {
		dsn, want string
	}{
		{"u:" + testPassword + "@tcp(db:3306)/blesta", "u:***@tcp(db:3306)/blesta"},
		{"u@tcp(db:3306)/blesta", "u@tcp(db:3306)/blesta"},
		{"", ""},
		{"u:" + testPassword + "@tcp(db:3306", "[invalid dsn]"},
		{testPassword, "[invalid dsn]"},
	}
	for _, tt := range tests {
		d := DSN(tt.dsn)
		if got := d.String(); got != tt.want {
			t.Errorf("DSN(%q).String() = %q, want %q", tt.dsn, got, tt.want)
		}
		for _, verb := range verbs {
			if got := fmt.Sprintf(verb, d); strings.Contains(got, testPassword) {
				t.Errorf("Sprintf(%q, DSN) = %q: shows the password", verb, got)
			}
		}
		if j, _ := json.Marshal(d); strings.Contains(string(j), testPassword) {
			t.Errorf("json = %s: shows the password", j)
		}
		if txt, _ := d.MarshalText(); strings.Contains(string(txt), testPassword) {
			t.Errorf("MarshalText = %s: shows the password", txt)
		}
		if d.Reveal() != tt.dsn {
			t.Errorf("Reveal = %q", d.Reveal())
		}
	}
}

func TestConfigNeverPrintsSecrets(t *testing.T) {
	cfg := validConfig()
	cfg.StoreDSN = DSN("store:" + testPassword + "2@tcp(s:3306)/sync")
	for _, verb := range verbs {
		for _, v := range []any{cfg, &cfg} {
			got := fmt.Sprintf(verb, v)
			if strings.Contains(got, testToken) || strings.Contains(got, testPassword) {
				t.Errorf("Sprintf(%q, %T) = %s: shows a secret", verb, v, got)
			}
		}
	}
	j, err := json.Marshal(cfg)
	if err != nil || strings.Contains(string(j), testToken) || strings.Contains(string(j), testPassword) {
		t.Errorf("json = %s, %v", j, err)
	}
	for k, v := range cfg.Redacted() {
		if strings.Contains(v, testToken) || strings.Contains(v, testPassword) {
			t.Errorf("Redacted()[%s] = %q: shows a secret", k, v)
		}
	}
	if got := cfg.StoreDSNOrBilling(); !strings.Contains(got, testPassword+"2") {
		t.Errorf("StoreDSNOrBilling = store DSN expected, got another")
	}
	cfg.StoreDSN = ""
	if got := cfg.StoreDSNOrBilling(); got != cfg.BillingDSN.Reveal() {
		t.Errorf("StoreDSNOrBilling without STORE_DSN is not BILLING_DSN")
	}
}

func TestCompanyIDs(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{"all", "all", ""},
		{"ALL", "all", ""},
		{"1", "1", ""},
		{" 1, 2 ,30", "1,2,30", ""},
		{"x", "", `"x" is not a company id`},
		{"1,,2", "", `"" is not a company id`},
		{"0", "", `"0" is not a company id`},
		{"-3", "", `"-3" is not a company id`},
		{"1.5", "", `"1.5" is not a company id`},
	}
	for _, tt := range tests {
		c := CompanyIDs{7}
		err := c.EnvDecode(t.Context(), tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), "BILLING_COMPANY_ID: "+tt.wantErr) {
				t.Errorf("EnvDecode(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || c.String() != tt.want {
			t.Errorf("EnvDecode(%q) = %v, %v; want %s", tt.in, c, err, tt.want)
		}
	}
	c := CompanyIDs{7}
	if err := c.EnvDecode(t.Context(), " "); err != nil || c.String() != "7" {
		t.Errorf("empty value changed the default: %v, %v", c, err)
	}
	if !CompanyIDs(nil).All() || (CompanyIDs{1}).All() {
		t.Error("All() wrong")
	}
}
