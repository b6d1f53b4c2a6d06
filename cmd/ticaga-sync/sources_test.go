package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ticaga/ticaga-sync/billing/blesta/blestatest"
	"github.com/ticaga/ticaga-sync/billing/whmcs/whmcstest"
	"github.com/ticaga/ticaga-sync/daemon"
	"github.com/ticaga/ticaga-sync/internal/testdb"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

// A Blesta database with the plugin's ticaga_settings rows for two
// companies, each with its own Ticaga, syncs both with no Ticaga setting in
// the environment; a third company's incomplete row is reported and
// skipped while the others run.
func TestBlestaPluginSettingsSyncEveryCompany(t *testing.T) {
	db, dsn := testdb.Open(t)
	ctx := t.Context()
	if err := blestatest.Create(ctx, db, false); err != nil {
		t.Fatal(err)
	}
	if err := blestatest.AddClients(ctx, db, []blestatest.Client{
		{ID: 1, CompanyID: 1, FirstName: "One", LastName: "A", Email: "one@example.com"},
		{ID: 2, CompanyID: 2, FirstName: "Two", LastName: "B", Email: "two@example.com"},
		{ID: 3, CompanyID: 3, FirstName: "Three", LastName: "C", Email: "three@example.com"},
	}); err != nil {
		t.Fatal(err)
	}
	fakes := map[int]*ticagatest.Server{}
	for _, company := range []int{1, 2} {
		tok := fmt.Sprintf("token-company-%d", company)
		fakes[company] = ticagatest.New(ticagatest.Options{Token: tok})
		defer fakes[company].Close()
		// Each Ticaga knows both customers: only its own company's is linked.
		fakes[company].AddUser(ticagatest.User{Name: "One", Email: "one@example.com"})
		fakes[company].AddUser(ticagatest.User{Name: "Two", Email: "two@example.com"})
		if err := blestatest.AddPluginSetting(ctx, db, fmt.Sprint(company), fakes[company].URL(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if err := blestatest.AddPluginSetting(ctx, db, "3", "https://three.example", ""); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"BILLING_DSN": dsn, "TICAGA_DIRECTORY_GAP": "3"}

	code, out, stderr := runMain(t, env, "sync", "--output", "json")
	if code != exitFailed || !strings.Contains(stderr, `source blesta:company-3 skipped: the plugin's ticaga_settings row for company "3" is incomplete: api_key is empty`) {
		t.Fatalf("exit %d (want 1: one company could not run), stderr:\n%s", code, stderr)
	}
	var rep struct {
		Sources []daemon.JSONReport `json:"sources"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err, out)
	}
	if len(rep.Sources) != 2 || rep.Sources[0].Source != "blesta:company-1" || rep.Sources[1].Source != "blesta:company-2" {
		t.Fatalf("reports: %+v", rep.Sources)
	}
	for i, company := range []int{1, 2} {
		if c := rep.Sources[i].Counts; c.Contacts != 1 || c.Linked != 1 {
			t.Errorf("company %d counts = %+v", company, c)
		}
		for _, u := range fakes[company].Users() {
			want := "0"
			if u.ID == int64(company) {
				want = fmt.Sprint(company)
			}
			if u.BillingID != want {
				t.Errorf("company %d's Ticaga user %d carries %q, want %q", company, u.ID, u.BillingID, want)
			}
		}
	}
	// Each company has its own lock and history; like check, status exits
	// 1 for the company that cannot run, after showing the others.
	code, out, stderr = runMain(t, env, "status")
	if code != exitFailed || !strings.Contains(out, "blesta:company-1") || !strings.Contains(out, "blesta:company-2") ||
		!strings.Contains(stderr, "source blesta:company-3 cannot run") {
		t.Fatalf("status: exit %d\n%s\n%s", code, out, stderr)
	}
	// check shows each company, and the incomplete one fails.
	code, out, _ = runMain(t, env, "check")
	if code != exitFailed || !strings.Contains(out, "source blesta:company-3") || !strings.Contains(out, "FAIL  source can run") ||
		strings.Count(out, "ok    Ticaga reachable") != 2 || strings.Contains(out, "token-company") ||
		// the incomplete company's checks are listed as not made
		!strings.Contains(out, "skip  Ticaga reachable and API token accepted") ||
		!strings.Contains(out, "skip  Ticaga answers a missing user as documented (customers/get): not checked while the source cannot run") {
		t.Fatalf("check: exit %d\n%s", code, out)
	}
	// --company limits a one-off to that company.
	fakes[1].ResetCalls()
	fakes[2].ResetCalls()
	code, _, stderr = runMain(t, env, "sync", "--company", "2")
	if code != exitOK || fakes[1].TotalCalls() != 0 || fakes[2].TotalCalls() == 0 {
		t.Fatalf("sync --company 2: exit %d, calls %d/%d\n%s", code, fakes[1].TotalCalls(), fakes[2].TotalCalls(), stderr)
	}
	// Asking for both companies never reads one company into the other's
	// Ticaga: each Ticaga keeps only its own customer's billing id.
	code, out, stderr = runMain(t, env, "sync", "--company", "1", "--company", "2", "--output", "json")
	if code != exitOK {
		t.Fatalf("sync --company 1 --company 2: exit %d\n%s", code, stderr)
	}
	for company, fake := range fakes {
		for _, u := range fake.Users() {
			if u.ID != int64(company) && u.BillingID != "0" {
				t.Fatalf("company %d's Ticaga user %d got billing id %q from the other company", company, u.ID, u.BillingID)
			}
		}
	}
}

// Two sources in one daemon, a Blesta brand and a WHMCS brand on one
// Ticaga: each runs on its own, one failing never stops the other, and a
// Ticaga user linked to a WHMCS client is a conflict for a Blesta client
// with the same email, reported with both ids.
func TestSourcesFileTwoBillingSystemsOneTicaga(t *testing.T) {
	blestaDB, blestaDSN := testdb.Open(t)
	whmcsDB, whmcsDSN := testdb.Open(t)
	ctx := t.Context()
	if err := blestatest.Create(ctx, blestaDB, false); err != nil {
		t.Fatal(err)
	}
	if err := blestatest.AddClients(ctx, blestaDB, []blestatest.Client{
		{ID: 5, FirstName: "Shared", LastName: "Person", Email: "shared@example.com"},
		{ID: 6, FirstName: "Blesta", LastName: "Only", Email: "blesta@example.com"},
	}); err != nil {
		t.Fatal(err)
	}
	if err := whmcstest.Create(ctx, whmcsDB); err != nil {
		t.Fatal(err)
	}
	if err := whmcstest.AddClients(ctx, whmcsDB, []whmcstest.Client{
		{ID: 40, FirstName: "Shared", LastName: "Person", Email: "shared@example.com", Status: "Active"},
	}); err != nil {
		t.Fatal(err)
	}
	fake := ticagatest.New(ticagatest.Options{Token: testToken})
	defer fake.Close()
	shared := fake.AddUser(ticagatest.User{Name: "Shared", Email: "shared@example.com"})
	fake.AddUser(ticagatest.User{Name: "Blesta only", Email: "blesta@example.com"})

	file := filepath.Join(t.TempDir(), "sources.toml")
	content := fmt.Sprintf(`
TICAGA_URL = %q
TICAGA_API_TOKEN = %q
TICAGA_DIRECTORY_GAP = 3
# Both brands keep their pairings in the Blesta database's ticaga_billing.
STORE_DSN = %q

[[source]]
name = "brand-b"
BILLING_SYSTEM = "whmcs"
BILLING_DSN = %q

[[source]]
name = "brand-a"
BILLING_DSN = %q
`, fake.URL(), testToken, blestaDSN, whmcsDSN, blestaDSN)
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}

	code, out, stderr := runMain(t, map[string]string{}, "sync", "--config", file, "--output", "json")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	var rep struct {
		Sources []daemon.JSONReport `json:"sources"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Sources) != 2 || rep.Sources[0].Source != "brand-b" || rep.Sources[1].Source != "brand-a" {
		t.Fatalf("sources = %+v", rep.Sources)
	}
	if u, _ := fake.User(shared); u.BillingID != "40" || u.BillingSystem != "WHMCS" {
		t.Fatalf("shared user carries %s/%s, want the WHMCS client 40", u.BillingID, u.BillingSystem)
	}
	var conflict *daemon.JSONDecision
	for i, d := range rep.Sources[1].Decisions {
		if d.BillingID == "5" {
			conflict = &rep.Sources[1].Decisions[i]
		}
	}
	if conflict == nil || conflict.Action != "conflict" || conflict.TicagaID == nil || *conflict.TicagaID != shared ||
		!strings.Contains(conflict.Detail, "WHMCS client 40") {
		t.Fatalf("Blesta client 5's decision = %+v; want a conflict naming Ticaga user %d and WHMCS client 40", conflict, shared)
	}
	if rep.Sources[1].Counts.Linked != 1 {
		t.Fatalf("brand-a counts = %+v; its other customer should link", rep.Sources[1].Counts)
	}

	// One source failing never stops the other: break the WHMCS database.
	if _, err := whmcsDB.Exec("DROP TABLE tblclients"); err != nil {
		t.Fatal(err)
	}
	code, out, stderr = runMain(t, map[string]string{}, "sync", "--config", file)
	if code != exitFailed || !strings.Contains(stderr, "source brand-b: run failed") || !strings.Contains(out, "brand-a: completed") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
}

// Sources on one Ticaga that keep pairings in different databases are
// warned about: the lock that keeps them apart lives in the store.
func TestSplitStoresWarning(t *testing.T) {
	dbA, dsnA := testdb.Open(t)
	dbB, dsnB := testdb.Open(t)
	for _, db := range []*sql.DB{dbA, dbB} {
		if err := blestatest.Create(t.Context(), db, false); err != nil {
			t.Fatal(err)
		}
	}
	fake := ticagatest.New(ticagatest.Options{Token: testToken})
	defer fake.Close()
	file := filepath.Join(t.TempDir(), "sources.toml")
	content := fmt.Sprintf("TICAGA_URL = %q\nTICAGA_API_TOKEN = %q\n[[source]]\nname = \"a\"\nBILLING_DSN = %q\n[[source]]\nname = \"b\"\nBILLING_DSN = %q\n",
		fake.URL(), testToken, dsnA, dsnB)
	if err := os.WriteFile(file, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runMain(t, map[string]string{}, "sync", "--config", file, "--dry-run")
	if code != exitOK || !strings.Contains(stderr, "keep pairings in different databases") {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
}
