package metrics

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// dashboardFile is the Grafana dashboard built on these series.
const dashboardFile = "../deploy/grafana/ticaga-sync.json"

// TestDashboardSeries checks that the dashboard parses and that every
// ticaga_sync_* series its queries use is one this package exports, and
// that it shows every series the package exports; and that the series pass
// promlint.
func TestDashboardSeries(t *testing.T) {
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Title  string `json:"title"`
		UID    string `json:"uid"`
		Panels []struct {
			Title   string `json:"title"`
			Type    string `json:"type"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if dash.Title == "" || dash.UID == "" || len(dash.Panels) == 0 {
		t.Fatalf("%s: no title, uid or panels", dashboardFile)
	}

	// Every series, with a value in each vector.
	reg := prometheus.NewRegistry()
	m := New(reg)
	m.SetBuildInfo("v", "c")
	m.CountRetries("blesta", func() int64 { return 0 })
	drive(m.Observer("blesta"), true, report(ticagasync.OutcomeCompleted, t0, time.Second, 1,
		decisions(1, ticagasync.ActionLink, "")))
	m.TicagaHook("blesta")("customers/get", 429, time.Second)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("promlint: %s: %s", p.Metric, p.Text)
	}
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, f := range families {
		exported[f.GetName()] = true
	}

	used := map[string]bool{}
	name := regexp.MustCompile(`\bticaga_sync_[a-z_]+`)
	for _, p := range dash.Panels {
		if p.Type != "row" && len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, target := range p.Targets {
			for _, n := range name.FindAllString(target.Expr, -1) {
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if base := strings.TrimSuffix(n, suffix); base != n && exported[base] {
						n = base
					}
				}
				if !exported[n] {
					t.Errorf("panel %q uses %s, which the package does not export", p.Title, n)
				}
				used[n] = true
			}
		}
	}
	for n := range exported {
		if !used[n] {
			t.Errorf("the dashboard does not show %s", n)
		}
	}
}
