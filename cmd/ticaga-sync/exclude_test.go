package main

import (
	"database/sql"
	"encoding/json"
	"strings"
	"testing"

	"github.com/ticaga/ticaga-sync/billing/blesta/blestatest"
)

// addBlestaClient adds a client to the fixture's Blesta database.
func addBlestaClient(t *testing.T, f *fixture, c blestatest.Client) {
	t.Helper()
	db, err := sql.Open("mysql", f.env["BILLING_DSN"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := blestatest.AddClient(t.Context(), db, c); err != nil {
		t.Fatal(err)
	}
}

// exclude and include on the real store: an excluded customer is decided
// `excluded` (never linked), shown by status, explain and the reports with
// who, when and why; include undoes it.
func TestExcludeAndInclude(t *testing.T) {
	f := newFixture(t)
	f.env["SUDO_USER"] = "alice"
	code, out, stderr := f.main(t, "exclude", "--client", "1", "--reason", "VIP: linked by hand")
	if code != exitOK || !strings.Contains(out, "client 1 of source blesta is excluded by alice at ") || !strings.Contains(out, "VIP: linked by hand") {
		t.Fatalf("exclude: exit %d\n%s%s", code, out, stderr)
	}
	if code, _, stderr := f.main(t, "exclude"); code != exitUsage || !strings.Contains(stderr, "--client ID is required") {
		t.Fatalf("exclude without --client: %d %s", code, stderr)
	}
	if code, _, stderr := f.main(t, "exclude", "--client", "x1"); code != exitUsage || !strings.Contains(stderr, `"x1" is not a billing client id`) {
		t.Fatalf("exclude --client x1: %d %s", code, stderr)
	}

	code, out, stderr = f.main(t, "sync", "--output", "json")
	if code != exitOK {
		t.Fatalf("sync: %d %s", code, stderr)
	}
	var rep struct {
		Counts    map[string]int `json:"counts"`
		Decisions []struct {
			BillingID int64  `json:"billing_id"`
			Action    string `json:"action"`
			Reason    string `json:"reason"`
			Detail    string `json:"detail"`
		} `json:"decisions"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if rep.Counts["excluded"] != 1 || rep.Counts["linked"] != 1 {
		t.Fatalf("counts %v", rep.Counts)
	}
	excludedSeen := false
	for _, d := range rep.Decisions {
		if d.BillingID == 1 {
			excludedSeen = d.Action == "excluded" && d.Reason == "operator_excluded" && strings.Contains(d.Detail, "alice") && strings.Contains(d.Detail, "VIP")
		}
	}
	if !excludedSeen {
		t.Fatalf("the JSON report lacks client 1 excluded with who and why:\n%s", out)
	}
	if f.fake.Calls("customers/assign") != 1 {
		t.Fatalf("customers/assign called %d times, want 1 (client 2 only)", f.fake.Calls("customers/assign"))
	}
	_, text, _ := f.main(t, "sync", "--dry-run")
	if !strings.Contains(text, "Excluded") || !strings.Contains(text, "client 1") {
		t.Errorf("the text report lacks the exclusion:\n%s", text)
	}

	code, out, _ = f.main(t, "status")
	for _, want := range []string{"Excluded (1):", "client 1", "by alice at", "VIP: linked by hand"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = f.main(t, "explain", "--client", "1")
	for _, want := range []string{"decision now:  excluded operator_excluded", "excluded:      by alice at", "VIP: linked by hand", "ticaga-sync include --client 1"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("explain lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = f.main(t, "include", "--client", "1")
	if code != exitOK || !strings.Contains(out, "included again") {
		t.Fatalf("include: %d %s", code, out)
	}
	if code, out, _ = f.main(t, "include", "--client", "1"); code != exitOK || !strings.Contains(out, "was not excluded") {
		t.Fatalf("include again: %d %s", code, out)
	}
	if code, out, _ = f.main(t, "sync", "--client", "1"); code != exitOK || !strings.Contains(out, "Linked") {
		t.Fatalf("sync after include: %d %s", code, out)
	}
	// Excluding a linked customer says how to unlink it too.
	if _, out, _ = f.main(t, "exclude", "--client", "1"); !strings.Contains(out, "ticaga-sync unlink --client 1 --source blesta") {
		t.Fatalf("exclude of a linked customer:\n%s", out)
	}
}

// explain and sync --client say exactly why a customer is not selected;
// such a sync calls no Ticaga endpoint and exits 2.
func TestNotSelectedCustomer(t *testing.T) {
	f := newFixture(t)
	addBlestaClient(t, f, blestatest.Client{ID: 12, FirstName: "In", LastName: "Active", Email: "inactive@example.com", Status: "inactive"})
	addBlestaClient(t, f, blestatest.Client{ID: 13, FirstName: "Other", LastName: "Co", Email: "other@example.com", CompanyID: 2})
	addBlestaClient(t, f, blestatest.Client{ID: 14, NoPrimaryContact: true})
	if code, _, stderr := f.main(t, "migrate"); code != exitOK {
		t.Fatal(stderr)
	}
	tests := []struct{ client, want string }{
		{"12", "client 12 is not selected: its status is inactive, and BILLING_STATUSES=active (clients.status) selects other statuses"},
		{"13", "client 13 is not selected: it belongs to billing company 2, and BILLING_COMPANY_ID=1 (client_groups.company_id) selects other companies"},
		{"404", "client 404: no such client: clients has no row with id 404"},
	}
	// Selected, but its row is unusable: explain shows the decision and the
	// problem; sync --client says it without a run.
	if code, out, _ := f.main(t, "explain", "--client", "14"); code != exitOK ||
		!strings.Contains(out, "invalid_email bad_billing_row") || !strings.Contains(out, "problem: no primary contact") {
		t.Errorf("explain --client 14: exit %d\n%s", code, out)
	}
	tests = append(tests, struct{ client, want string }{"14", "client 14 cannot be linked: no primary contact"})
	for i, tt := range tests {
		code, out, _ := f.main(t, "explain", "--client", tt.client)
		if i < 3 && (code != exitFailed || !strings.Contains(out, tt.want)) {
			t.Errorf("explain --client %s: exit %d\n%s", tt.client, code, out)
		}
		code, out, stderr := f.main(t, "sync", "--client", tt.client)
		if code != exitUsage || !strings.Contains(stderr, tt.want) || strings.Contains(out, "contacts") {
			t.Errorf("sync --client %s: exit %d, want 2\n%s%s", tt.client, code, out, stderr)
		}
	}
	if n := f.fake.TotalCalls(); n != 0 {
		t.Fatalf("syncs of customers not selected made %d Ticaga calls", n)
	}
	// One selected and one not: the selected one runs, the other is named.
	code, out, stderr := f.main(t, "sync", "--client", "3", "--client", "12")
	if code != exitOK || !strings.Contains(stderr, "client 12 is not selected") || !strings.Contains(out, "No Ticaga user") {
		t.Fatalf("sync --client 3 --client 12: exit %d\n%s%s", code, out, stderr)
	}

	code, out, _ = f.main(t, "explain", "--client", "12", "--output", "json")
	var doc explainJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitFailed {
		t.Fatalf("explain json: exit %d, %v\n%s", code, err, out)
	}
	ns := doc.Sources[0].NotSelected
	if doc.Found || ns == nil || !ns.Found || ns.Status != "inactive" || len(ns.Reasons) != 1 || ns.Reasons[0].Code != "status" {
		t.Fatalf("explain json: %+v", doc)
	}
	code, out, _ = f.main(t, "explain", "--client", "3", "--output", "json")
	doc = explainJSON{}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitOK || !doc.Found || len(doc.Sources[0].Customers) != 1 {
		t.Fatalf("explain json: exit %d, %v\n%s", code, err, out)
	}
	if c := doc.Sources[0].Customers[0]; c.Action != "no_match" || c.Email != "cy@example.com" || c.LastRecorded == nil || c.LastRecorded.Reason != "no_ticaga_user" {
		t.Fatalf("explain json customer: %+v", c)
	}
}
