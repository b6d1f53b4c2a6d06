package daemon

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"
	"time"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// TestWriteJSONReportMatchesEncoder checks that the streamed JSON report is
// byte for byte what json.MarshalIndent makes of NewJSONReport, with and
// without decisions, already linked ones left out or kept, at the top
// level and nested.
func TestWriteJSONReportMatchesEncoder(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	x := &ticagasync.Exclusion{BillingID: "3", By: "ops", Reason: "a <test>", At: t0}
	full := &ticagasync.Report{RunID: 7, Source: "blesta", StartedAt: t0, FinishedAt: t0.Add(time.Second),
		Outcome: ticagasync.OutcomePartial, APICalls: map[string]int{"customers/get": 3},
		Err: errors.New(`boom "decisions": [] <b>`),
		Decisions: []ticagasync.Decision{
			{Contact: ticagasync.Contact{BillingID: "1", Email: "a@example.com", FirstName: "Ann"}, Action: ticagasync.ActionAlreadyLinked, TicagaID: 4},
			{Contact: ticagasync.Contact{BillingID: "2", Email: "b@example.com", CompanyID: 2}, Action: ticagasync.ActionConflict,
				Reason: ticagasync.ReasonDuplicateTicagaEmail, Detail: "Ticaga users 5, 6 share this email"},
			{Contact: ticagasync.Contact{BillingID: "3", Email: "c&d@example.com"}, Action: ticagasync.ActionExcluded,
				Reason: ticagasync.ReasonOperatorExcluded, Exclusion: x},
			{Contact: ticagasync.Contact{BillingID: "4", Email: "e@example.com"}, Action: ticagasync.ActionLink, TicagaID: 9, Assigned: true},
		}}
	onlyLinked := &ticagasync.Report{Source: "whmcs", Decisions: full.Decisions[:1]}
	for _, rep := range []*ticagasync.Report{full, onlyLinked, {Source: "empty"}} {
		for _, all := range []bool{false, true} {
			for _, prefix := range []string{"", "    "} {
				want, err := json.MarshalIndent(NewJSONReport(rep, all), prefix, "  ")
				if err != nil {
					t.Fatal(err)
				}
				var got bytes.Buffer
				if err := WriteJSONReport(&got, rep, all, prefix); err != nil {
					t.Fatal(err)
				}
				if got.String() != string(want) {
					t.Errorf("%s all=%v prefix=%q:\ngot  %s\nwant %s", rep.Source, all, prefix, got.String(), want)
				}
			}
		}
	}
}

// TestWriteControlResult checks that a streamed control result decodes as
// the controlResult the socket used to encode whole.
func TestWriteControlResult(t *testing.T) {
	rep := &ticagasync.Report{Source: "blesta", Outcome: ticagasync.OutcomeCompleted, Decisions: []ticagasync.Decision{
		{Contact: ticagasync.Contact{BillingID: "1", Email: "a@example.com"}, Action: ticagasync.ActionAlreadyLinked, TicagaID: 4},
		{Contact: ticagasync.Contact{BillingID: "2", Email: "b@example.com"}, Action: ticagasync.ActionNoMatch},
	}}
	for _, o := range []Outcome{
		{Source: `blesta "x"`, Report: rep, Msg: "a <msg>", Code: 1},
		{Source: "whmcs", NotSelected: true, Code: 2},
		{Source: "none"},
	} {
		var buf bytes.Buffer
		if err := writeControlResult(&buf, o); err != nil {
			t.Fatal(err)
		}
		var got controlResult
		if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
			t.Fatalf("%s: %v", buf.String(), err)
		}
		want := controlResult{Source: o.Source, Msg: o.Msg, Code: o.Code, NotSelected: o.NotSelected}
		if o.Report != nil {
			jr := NewJSONReport(o.Report, true)
			want.Report = &jr
		}
		wb, _ := json.Marshal(want)
		gb, _ := json.Marshal(got)
		if !bytes.Equal(wb, gb) {
			t.Errorf("decoded\n%s\nwant\n%s", gb, wb)
		}
	}
}
