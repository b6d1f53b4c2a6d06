package main

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/ticaga/ticaga-sync/billing/clientexec/clientexectest"
	"github.com/ticaga/ticaga-sync/daemon"
	"github.com/ticaga/ticaga-sync/internal/testdb"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

// A ClientExec install keeps users.company_id at its default 0: with the
// default settings (no BILLING_COMPANY_ID) its customers are read and
// linked, never its staff.
func TestClientExecDefaultSettingsReadCompanyZero(t *testing.T) {
	db, dsn := testdb.Open(t)
	if err := clientexectest.Create(t.Context(), db); err != nil {
		t.Fatal(err)
	}
	err := clientexectest.AddUsers(t.Context(), db, []clientexectest.User{
		{ID: 10, CompanyID: 0, Status: 1, FirstName: "Cus", LastName: "Tomer", Email: "customer@example.com"},
		{ID: 11, CompanyID: 0, Status: 1, GroupID: clientexectest.AdminGroup, FirstName: "Staff", LastName: "Member", Email: "staff@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	fake := ticagatest.New(ticagatest.Options{Token: testToken})
	defer fake.Close()
	customer := fake.AddUser(ticagatest.User{Name: "Customer", Email: "customer@example.com"})
	fake.AddUser(ticagatest.User{Name: "Staff", Email: "staff@example.com"})
	env := map[string]string{"BILLING_SYSTEM": "clientexec", "BILLING_DSN": dsn, "TICAGA_URL": fake.URL(),
		"TICAGA_API_TOKEN": testToken, "TICAGA_DIRECTORY_GAP": "5"}

	code, out, stderr := runMain(t, env, "sync", "--output", "json")
	var rep daemon.JSONReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitOK {
		t.Fatalf("sync: exit %d, %v\n%s", code, err, stderr)
	}
	if rep.Counts.Contacts != 1 || rep.Counts.Linked != 1 {
		t.Fatalf("counts = %+v, want the one customer linked", rep.Counts)
	}
	var tid, bid, company int64
	if err := db.QueryRow("SELECT ticaga_userid, billing_userid, company_id FROM ticaga_billing").Scan(&tid, &bid, &company); err != nil ||
		tid != customer || bid != 10 || company != 0 {
		t.Fatalf("ticaga_billing row = %d %d %d, %v", tid, bid, company, err)
	}
}

// A selection that reads no customer while the billing database holds
// some (here a company that does not exist) is a warning naming the filter
// on sync, and a failed check.
func TestEmptySelectionWarnsAndFailsCheck(t *testing.T) {
	f := newFixture(t)
	env := maps.Clone(f.env)
	env["BILLING_COMPANY_ID"] = "7"
	code, out, stderr := runMain(t, env, "sync")
	if code != exitOK || !strings.Contains(out, "0 contacts") {
		t.Fatalf("sync: exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(stderr, "no billing customer selected") || !strings.Contains(stderr, "BILLING_COMPANY_ID=7") ||
		!strings.Contains(stderr, "holds 3") {
		t.Fatalf("no warning naming the filter:\n%s", stderr)
	}
	code, out, _ = runMain(t, env, "check")
	if code != exitFailed || !strings.Contains(out, "FAIL  billing selection reads customers") || !strings.Contains(out, "BILLING_COMPANY_ID=7") {
		t.Fatalf("check: exit %d\n%s", code, out)
	}
	if code, out, _ := f.main(t, "check"); code != exitOK || !strings.Contains(out, "ok    billing selection reads customers") {
		t.Fatalf("check with the fixture's selection: exit %d\n%s", code, out)
	}
}
