package configs

import (
	"maps"
	"os"
	"regexp"
	"slices"
	"testing"
)

// exampleFile is the documented env file shipped beside the package.
const exampleFile = "ticaga-sync.env.example"

// TestExampleEnvFileDocumentsEveryVariable keeps the example from going
// stale: every Config variable appears as an assignment (commented out or
// not), and nothing is assigned there that Config does not read.
func TestExampleEnvFileDocumentsEveryVariable(t *testing.T) {
	data, err := os.ReadFile(exampleFile)
	if err != nil {
		t.Fatal(err)
	}
	assigned := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#?([A-Z][A-Z0-9_]*)=`).FindAllSubmatch(data, -1) {
		assigned[string(m[1])] = true
	}
	tags := envTags()
	for _, key := range tags {
		if !assigned[key] {
			t.Errorf("%s is not documented in %s (add a commented %s= line)", key, exampleFile, key)
		}
	}
	for key := range assigned {
		if !slices.Contains(tags, key) {
			t.Errorf("%s in %s is not a Config variable", key, exampleFile)
		}
	}

	// The example parses, and loaded as is it fails only for the three
	// required settings.
	if _, err := parseEnvFile(exampleFile, data); err != nil {
		t.Fatal(err)
	}
	isolateEnv(t)
	_, err = LoadEnv(t.Context(), exampleFile)
	// Blesta (the default) takes its Ticaga from the plugin's settings, so
	// only the database is missing.
	want := "BILLING_DSN: required (user:password@tcp(host:3306)/dbname)"
	if err == nil || err.Error() != want {
		t.Errorf("loading the example: %v\nwant:\n%s", err, want)
	}
}

// TestRedactedNamesEveryVariable checks that Redacted (what `check` prints)
// covers exactly the Config variables.
func TestRedactedNamesEveryVariable(t *testing.T) {
	got := slices.Sorted(maps.Keys(validConfig().Redacted()))
	want := slices.Sorted(slices.Values(envTags()))
	if !slices.Equal(got, want) {
		t.Errorf("Redacted keys = %v\nwant %v", got, want)
	}
	r := DefaultConfig().Redacted()
	if r["TICAGA_API_TOKEN"] != "" || r["BILLING_COMPANY_ID"] != "1" || r["TICAGA_TIMEOUT"] != "30s" || r["TICAGA_RATE_LIMIT"] != "0" {
		t.Errorf("DefaultConfig().Redacted() = %v", r)
	}
	r = validConfig().Redacted()
	if r["TICAGA_API_TOKEN"] != "[redacted]" || r["BILLING_DSN"] != "ticaga:***@tcp(db.example:3306)/blesta" {
		t.Errorf("validConfig().Redacted() = %v", r)
	}
}
