package metrics

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// rulesFile holds the Prometheus alert rules shipped in deploy/ (promtool
// checks and unit-tests them in scripts/test.sh).
const rulesFile = "../deploy/prometheus/ticaga-sync.rules.yml"

// TestAlertRulesUseExportedSeries fails when an alert rule uses a
// ticaga_sync_* series that this package does not export (a rename), and
// checks that every rule carries a severity and the annotations a person
// on call reads.
func TestAlertRulesUseExportedSeries(t *testing.T) {
	raw, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	text := string(raw)

	// Every series of the package, with a value in each vector.
	reg := NewRegistry()
	m := New(reg)
	m.SetBuildInfo("v", "c")
	m.CountRetries("blesta", func() int64 { return 0 })
	drive(m.Observer("blesta"), true, report(ticagasync.OutcomeCompleted, t0, time.Second, 1,
		decisions(1, ticagasync.ActionLink, "")))
	m.TicagaHook("blesta")("customers/get", 429, time.Second)
	exported := exportedNames(t, reg)

	names := regexp.MustCompile(`\bticaga_sync_[a-z_]+`).FindAllString(text, -1)
	if len(names) == 0 {
		t.Fatalf("%s uses no ticaga_sync_ series", rulesFile)
	}
	used := map[string]bool{}
	for _, n := range names {
		used[n] = true
		if !exported[n] {
			t.Errorf("%s uses %s, which the metrics package does not export", rulesFile, n)
		}
	}
	for _, n := range []string{"ticaga_sync_consecutive_failed_runs", "ticaga_sync_last_success_timestamp_seconds",
		"ticaga_sync_directory_unknown_users", "ticaga_sync_lock_held_since_timestamp_seconds"} {
		if !used[n] {
			t.Errorf("no alert rule uses %s", n)
		}
	}

	// Each rule, from its "- alert:" line to the next.
	rules := strings.Split(text, "- alert: ")[1:]
	if len(rules) < 5 {
		t.Fatalf("%d alert rules, want at least 5", len(rules))
	}
	for _, r := range rules {
		name, _, _ := strings.Cut(r, "\n")
		for _, key := range []string{"expr:", "severity:", "summary:", "description:", "runbook:"} {
			if !strings.Contains(r, key) {
				t.Errorf("alert %s has no %s", name, key)
			}
		}
	}
}

// exportedNames returns the names of the metric families reg gathers.
func exportedNames(t *testing.T, reg prometheus.Gatherer) map[string]bool {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, f := range families {
		out[f.GetName()] = true
	}
	return out
}
