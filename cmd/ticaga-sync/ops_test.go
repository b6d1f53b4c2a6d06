package main

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"os"
	"strings"
	"testing"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

// runMainIn is runMain with stdin, treated as a terminal.
func runMainIn(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(t.Context(), args, Env{Stdin: strings.NewReader(stdin), AssumeTerminal: true, Stdout: &out, Stderr: &errOut,
		Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	return code, out.String(), errOut.String()
}

func TestExplain(t *testing.T) {
	f := newFixture(t)
	if code, _, stderr := f.main(t, "sync"); code != exitOK {
		t.Fatal(stderr)
	}
	tests := []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"--client", "3"}, exitOK, []string{
			"Client 3 (source blesta", "decision now:  no_match no_ticaga_user",
			"it links on the first run after a Ticaga account with this email exists",
			`email "cy@example.com", matched as "cy@example.com"`, "no Ticaga user in the directory has this email",
			"no row pairs this client", "last recorded: no_match no_ticaga_user since",
		}},
		{[]string{"--client", "2"}, exitOK, []string{
			"decision now:  already_linked", `Ticaga user 2 "BEN@example.com": billing id 2 of "Blesta"`,
			"Ticaga user 2 <-> Blesta client 2", "last recorded: nothing open",
		}},
		{[]string{"--email", " Ann@Example.com"}, exitOK, []string{"Client 1 ", "already_linked"}},
		{[]string{"--email", "nobody@example.com"}, exitFailed, []string{`no selected billing customer has "nobody@example.com"`}},
		{[]string{"--client", "999"}, exitFailed, []string{"source blesta: client 999: no such client: clients has no row with id 999", "No source selects this customer"}},
	}
	for _, tt := range tests {
		code, out, stderr := f.main(t, append([]string{"explain"}, tt.args...)...)
		if code != tt.code {
			t.Errorf("explain %v: exit %d, want %d\n%s%s", tt.args, code, tt.code, out, stderr)
		}
		for _, w := range tt.want {
			if !strings.Contains(out, w) {
				t.Errorf("explain %v lacks %q:\n%s", tt.args, w, out)
			}
		}
	}
	if code, _, _ := f.main(t, "explain"); code != exitUsage {
		t.Errorf("explain without --client or --email: exit %d", code)
	}
}

// TestExplainBeforeAnyRun: before the first run the directory holds no
// Ticaga user, so "no Ticaga user" means only "none read yet"; explain
// says so rather than "nothing to fix", and stops saying it once a run
// has read the directory.
func TestExplainBeforeAnyRun(t *testing.T) {
	f := newFixture(t)
	code, out, stderr := f.main(t, "explain", "--client", "1")
	if code != exitOK {
		t.Fatalf("explain before any run: exit %d\n%s%s", code, out, stderr)
	}
	for _, w := range []string{"decision now:  no_match no_ticaga_user", "what to do:    nothing yet: Ticaga's users are not all read",
		"the cached directory, which holds no Ticaga user: no run has read any yet", "last recorded: nothing open"} {
		if !strings.Contains(out, w) {
			t.Errorf("explain before any run lacks %q:\n%s", w, out)
		}
	}
	var doc explainJSON
	_, out, _ = f.main(t, "explain", "--client", "1", "--output", "json")
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Sources) != 1 {
		t.Fatalf("explain --output json: %v\n%s", err, out)
	}
	if d := doc.Sources[0].Directory; d == nil || d.Complete || d.CachedUsers != 0 || !strings.HasPrefix(doc.Sources[0].Customers[0].Hint, "nothing yet") {
		t.Errorf("before any run: directory %+v, what_to_do %q", d, doc.Sources[0].Customers[0].Hint)
	}

	// A pairing row the Blesta plugin made (adopting an existing
	// installation): its Ticaga user is not read yet, and explain must not
	// advise removing a correct row.
	if code, _, stderr := f.main(t, "migrate"); code != exitOK {
		t.Fatal(stderr)
	}
	db, err := sql.Open("mysql", f.env["BILLING_DSN"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("INSERT INTO ticaga_billing VALUES (1, 1, 'ann@example.com', 'Blesta', 1)"); err != nil {
		t.Fatal(err)
	}
	_, out, _ = f.main(t, "explain", "--client", "1")
	if !strings.Contains(out, "decision now:  conflict client_paired_elsewhere") || !strings.Contains(out, "what to do:    nothing yet") ||
		strings.Contains(out, "ticaga-sync unlink") {
		t.Errorf("explain of a plugin pairing before any run:\n%s", out)
	}

	if code, _, stderr := f.main(t, "sync"); code != exitOK {
		t.Fatal(stderr)
	}
	_, out, _ = f.main(t, "explain", "--client", "3")
	if !strings.Contains(out, "nothing to fix here") || strings.Contains(out, "holds no Ticaga user") {
		t.Errorf("explain after a run:\n%s", out)
	}
	_, out, _ = f.main(t, "explain", "--client", "3", "--output", "json")
	doc = explainJSON{}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || doc.Sources[0].Directory == nil || !doc.Sources[0].Directory.Complete || doc.Sources[0].Directory.CachedUsers == 0 {
		t.Errorf("explain --output json after a run: %v %+v", err, doc.Sources)
	}
}

func TestUnlink(t *testing.T) {
	f := newFixture(t)
	if code, _, stderr := f.main(t, "sync"); code != exitOK {
		t.Fatal(stderr)
	}
	rowFor := func(client string) bool {
		_, out, _ := f.main(t, "explain", "--client", client)
		return strings.Contains(out, "<-> Blesta client "+client)
	}

	// No terminal and no --yes: refused, nothing changed.
	if code, _, stderr := f.main(t, "unlink", "--client", "1"); code != exitUsage || !strings.Contains(stderr, "pass --yes") || !rowFor("1") {
		t.Fatalf("unlink without a terminal: exit %d, %s", code, stderr)
	}
	// Answered no: nothing changed.
	if code, out, _ := runMainIn(t, f.env, "no\n", "unlink", "--client", "1"); code != exitFailed || !strings.Contains(out, "nothing changed") || !rowFor("1") {
		t.Fatalf("unlink answered no: exit %d\n%s", code, out)
	}
	// Answered yes: the row goes, Ticaga keeps its billing id.
	code, out, stderr := runMainIn(t, f.env, "yes\n", "unlink", "--client", "1")
	if code != exitOK || rowFor("1") {
		t.Fatalf("unlink: exit %d\n%s%s", code, out, stderr)
	}
	if u, _ := f.fake.User(1); u.BillingID != "1" {
		t.Fatalf("unlink without --clear-remote changed Ticaga: %q", u.BillingID)
	}

	// --clear-remote refuses when Ticaga carries someone else's id.
	f.fake.DeleteUser(2)
	f.fake.AddUser(ticagatest.User{ID: 2, Name: "Ben", Email: "BEN@example.com", BillingID: "77", BillingSystem: "Blesta"})
	code, _, stderr = f.main(t, "unlink", "--client", "2", "--clear-remote", "--yes")
	if code != exitFailed || !strings.Contains(stderr, "not clearing it; nothing changed") || !rowFor("2") {
		t.Fatalf("clear-remote over another id: exit %d, %s", code, stderr)
	}
	// ... and clears it when it is this customer's.
	f.fake.DeleteUser(2)
	f.fake.AddUser(ticagatest.User{ID: 2, Name: "Ben", Email: "BEN@example.com", BillingID: "2", BillingSystem: "Blesta"})
	code, out, stderr = f.main(t, "unlink", "--client", "2", "--clear-remote", "--yes")
	if code != exitOK || rowFor("2") || !strings.Contains(out, "cleared the billing id of Ticaga user 2") {
		t.Fatalf("clear-remote: exit %d\n%s%s", code, out, stderr)
	}
	if u, _ := f.fake.User(2); u.BillingID != "0" {
		t.Fatalf("Ticaga user 2 carries %q after --clear-remote", u.BillingID)
	}
	// A customer without a row.
	if code, _, stderr := f.main(t, "unlink", "--client", "3", "--yes"); code != exitFailed || !strings.Contains(stderr, "no row for Blesta client 3") {
		t.Fatalf("unlink of an unpaired client: exit %d, %s", code, stderr)
	}
}

func TestSyncReportFile(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	csvPath, jsonPath := dir+"/run.csv", dir+"/run.json"
	if code, _, stderr := f.main(t, "sync", "--report", csvPath); code != exitOK {
		t.Fatal(stderr)
	}
	data, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || strings.Join(rows[0], ",") != strings.Join(reportColumns, ",") {
		t.Fatalf("csv = %v", rows)
	}
	if rows[3][3] != "3" || rows[3][6] != "cy@example.com" || rows[3][8] != "no_match" || rows[1][8] != "link" {
		t.Fatalf("csv rows = %v", rows)
	}

	// The second run's file lists the already linked customers too.
	if code, _, stderr := f.main(t, "sync", "--report", jsonPath); code != exitOK {
		t.Fatal(stderr)
	}
	var decisions []fileDecision
	data, _ = os.ReadFile(jsonPath)
	if err := json.Unmarshal(data, &decisions); err != nil || len(decisions) != 3 || decisions[0].Action != "already_linked" {
		t.Fatalf("json report = %s, %v", data, err)
	}
	if code, _, stderr := f.main(t, "sync", "--report", dir+"/run.xlsx"); code != exitUsage || !strings.Contains(stderr, ".csv or .json") {
		t.Fatalf("bad --report name: exit %d, %s", code, stderr)
	}
	if got := csvSafe("=HYPERLINK(1)"); got != "'=HYPERLINK(1)" {
		t.Fatalf("csvSafe = %q", got)
	}
}

func TestDirectoryNote(t *testing.T) {
	for _, tc := range []struct {
		res  ticagasync.ExplainResult
		want string
	}{
		{ticagasync.ExplainResult{}, "which holds no Ticaga user: no run has read any yet, or Ticaga has none"},
		{ticagasync.ExplainResult{DirectoryUsers: 5, Scan: &ticagasync.ScanPosition{Next: 40}}, "directory of 5 Ticaga users; its scan stopped before id 40"},
		{ticagasync.ExplainResult{Scan: &ticagasync.ScanPosition{Next: 3}}, "directory of 0 Ticaga users; its scan stopped before id 3"},
		{ticagasync.ExplainResult{DirectoryUsers: 5, Scan: &ticagasync.ScanPosition{Next: 40, Full: true}}, "a full rescan stopped before id 40"},
		{ticagasync.ExplainResult{DirectoryUsers: 5}, "decided now from the cached directory; a run re-reads"},
	} {
		if got := directoryNote(tc.res); !strings.Contains(got, tc.want) {
			t.Errorf("directoryNote(%d users, scan %v) = %q, want %q in it", tc.res.DirectoryUsers, tc.res.Scan, got, tc.want)
		}
	}
}
