package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ticaga/ticaga-sync/daemon"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// TestStreamedJSONMatchesEncoder checks that the streamed --output json
// (one source and several) and the JSON --report file are byte for byte
// what json.Encoder with a two-space indent makes of the whole value.
func TestStreamedJSONMatchesEncoder(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	a := &ticagasync.Report{RunID: 1, Source: "blesta", StartedAt: t0, FinishedAt: t0, Decisions: []ticagasync.Decision{
		{Contact: ticagasync.Contact{BillingID: "1", Email: "a@example.com", FirstName: "A", LastName: "<B>"}, Action: ticagasync.ActionAlreadyLinked, TicagaID: 4},
		{Contact: ticagasync.Contact{BillingID: "2", Email: "b@example.com"}, Action: ticagasync.ActionNoMatch, Reason: ticagasync.ReasonNoTicagaUser},
	}}
	b := &ticagasync.Report{RunID: 2, Source: "whmcs", DryRun: true}
	encode := func(v any) string {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	for _, reps := range [][]*ticagasync.Report{{a}, {b}, {a, b}, {b, a}} {
		var want string
		if len(reps) == 1 {
			want = encode(daemon.NewJSONReport(reps[0], false))
		} else {
			out := struct {
				Sources []daemon.JSONReport `json:"sources"`
			}{}
			for _, r := range reps {
				out.Sources = append(out.Sources, daemon.NewJSONReport(r, false))
			}
			want = encode(out)
		}
		var got bytes.Buffer
		if err := writeJSONReports(&got, reps); err != nil {
			t.Fatal(err)
		}
		if got.String() != want {
			t.Errorf("--output json of %d report(s):\ngot  %s\nwant %s", len(reps), got.String(), want)
		}

		path := filepath.Join(t.TempDir(), "r.json")
		if err := writeReportFile(path, reps); err != nil {
			t.Fatal(err)
		}
		file, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		all := []fileDecision{}
		for _, rep := range reps {
			for d := range rep.All() {
				all = append(all, newFileDecision(rep, d))
			}
		}
		if want := encode(all); string(file) != want {
			t.Errorf("--report file of %d report(s):\ngot  %s\nwant %s", len(reps), file, want)
		}
	}

	// What the rows say, field by field (the encoder comparison above
	// shares newFileDecision with the writer).
	path := filepath.Join(t.TempDir(), "r.json")
	if err := writeReportFile(path, []*ticagasync.Report{a, b}); err != nil {
		t.Fatal(err)
	}
	file, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(file, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2 (b has no decisions): %s", len(rows), file)
	}
	first := map[string]any{"source": "blesta", "run_id": 1.0, "dry_run": false, "billing_id": 1.0, "company_id": 0.0, // numeric ids stay JSON numbers
		"name": "A <B>", "email": "a@example.com", "ticaga_id": 4.0, "action": "already_linked", "reason": "", "detail": "", "assigned": false}
	for k, v := range first {
		if rows[0][k] != v {
			t.Errorf("row 1 %s = %#v, want %#v", k, rows[0][k], v)
		}
	}
	if len(rows[0]) != len(first) || rows[1]["ticaga_id"] != nil || rows[1]["reason"] != "no_ticaga_user" {
		t.Errorf("rows: %s", file)
	}
}
