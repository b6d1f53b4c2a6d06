package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"maps"
	"testing"

	"github.com/ticaga/ticaga-sync/billing/clientexec/clientexectest"
	"github.com/ticaga/ticaga-sync/billing/fossbilling/fossbillingtest"
	"github.com/ticaga/ticaga-sync/billing/whmcs/whmcstest"
	"github.com/ticaga/ticaga-sync/daemon"
	"github.com/ticaga/ticaga-sync/internal/testdb"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

// Each billing system in its real table shape, with one customer to link,
// one staff account and one inactive customer that both have a Ticaga
// account, and one customer without: sync links exactly the first, never
// the staff account, and a second sync makes no assign call.
func TestSyncEveryBillingSystem(t *testing.T) {
	systems := []struct {
		system, name string
		seed         func(ctx context.Context, db *sql.DB) error
	}{
		{"whmcs", "WHMCS", func(ctx context.Context, db *sql.DB) error {
			if err := whmcstest.Create(ctx, db); err != nil {
				return err
			}
			if err := whmcstest.AddClients(ctx, db, []whmcstest.Client{
				{ID: 10, FirstName: "Cus", LastName: "Tomer", Email: " Customer@Example.com", Status: "Active"},
				{ID: 11, FirstName: "In", LastName: "Active", Email: "inactive@example.com", Status: "Inactive"},
				{ID: 12, FirstName: "No", LastName: "Match", Email: "nomatch@example.com", Status: "Active"},
			}); err != nil {
				return err
			}
			_, err := db.ExecContext(ctx, "INSERT INTO tbladmins (username, firstname, lastname, email) VALUES ('staff', 'Staff', 'Member', 'staff@example.com')")
			return err
		}},
		{"clientexec", "ClientExec", func(ctx context.Context, db *sql.DB) error {
			if err := clientexectest.Create(ctx, db); err != nil {
				return err
			}
			return clientexectest.AddUsers(ctx, db, []clientexectest.User{
				{ID: 10, CompanyID: 1, Status: 1, FirstName: "Cus", LastName: "Tomer", Email: " Customer@Example.com"},
				{ID: 11, CompanyID: 1, Status: -1, FirstName: "In", LastName: "Active", Email: "inactive@example.com"},
				{ID: 12, CompanyID: 1, Status: 1, FirstName: "No", LastName: "Match", Email: "nomatch@example.com"},
				{ID: 13, CompanyID: 1, Status: 1, GroupID: clientexectest.AdminGroup, FirstName: "Staff", LastName: "Member", Email: "staff@example.com"},
			})
		}},
		{"fossbilling", "FOSSBilling", func(ctx context.Context, db *sql.DB) error {
			if err := fossbillingtest.Create(ctx, db); err != nil {
				return err
			}
			if err := fossbillingtest.AddClients(ctx, db, []fossbillingtest.Client{
				{ID: 10, Role: "client", Status: "active", FirstName: "Cus", LastName: "Tomer", Email: " Customer@Example.com"},
				{ID: 11, Role: "client", Status: "suspended", FirstName: "In", LastName: "Active", Email: "inactive@example.com"},
				{ID: 12, Role: "client", Status: "active", FirstName: "No", LastName: "Match", Email: "nomatch@example.com"},
				{ID: 13, Role: "staff", Status: "active", FirstName: "Staff", LastName: "Member", Email: "staff@example.com"},
			}); err != nil {
				return err
			}
			_, err := db.ExecContext(ctx, "INSERT INTO admin (role, email, name) VALUES ('admin', 'boss@example.com', 'Boss')")
			return err
		}},
	}
	for _, sys := range systems {
		t.Run(sys.system, func(t *testing.T) {
			db, dsn := testdb.Open(t)
			if err := sys.seed(t.Context(), db); err != nil {
				t.Fatal(err)
			}
			fake := ticagatest.New(ticagatest.Options{Token: testToken})
			defer fake.Close()
			customer := fake.AddUser(ticagatest.User{Name: "Customer", Email: "customer@example.com"})
			staff := fake.AddUser(ticagatest.User{Name: "Staff", Email: "staff@example.com"})
			fake.AddUser(ticagatest.User{Name: "Boss", Email: "boss@example.com"})
			fake.AddUser(ticagatest.User{Name: "Inactive", Email: "inactive@example.com"})
			env := map[string]string{
				"BILLING_SYSTEM": sys.system, "BILLING_DSN": dsn, "BILLING_COMPANY_ID": "all",
				"TICAGA_URL": fake.URL(), "TICAGA_API_TOKEN": testToken, "TICAGA_DIRECTORY_GAP": "5",
			}

			code, out, stderr := runMain(t, env, "sync", "--output", "json")
			if code != exitOK {
				t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
			}
			var rep daemon.JSONReport
			if err := json.Unmarshal([]byte(out), &rep); err != nil {
				t.Fatal(err)
			}
			if rep.Counts.Contacts != 2 || rep.Counts.Linked != 1 || rep.Counts.NoMatch != 1 {
				t.Fatalf("counts = %+v, want 2 contacts (no staff, no inactive): 1 linked, 1 no match", rep.Counts)
			}
			carried := func(u ticagatest.User) string {
				if u.BillingID == "" || u.BillingID == "0" {
					return "/"
				}
				return u.BillingID + "/" + u.BillingSystem
			}
			got := map[int64]string{}
			for _, u := range fake.Users() {
				got[u.ID] = carried(u)
			}
			if got[customer] != "10/"+sys.name {
				t.Errorf("customer's Ticaga user carries %q, want 10/%s", got[customer], sys.name)
			}
			linked := 0
			for _, v := range got {
				if v != "/" {
					linked++
				}
			}
			if linked != 1 || got[staff] != "/" {
				t.Errorf("Ticaga users with a billing id: %v; only the customer may have one", got)
			}
			var tid, bid int64
			var system string
			if err := db.QueryRow("SELECT ticaga_userid, billing_userid, billing_system FROM ticaga_billing").Scan(&tid, &bid, &system); err != nil {
				t.Fatal(err)
			}
			if tid != customer || bid != 10 || system != sys.name {
				t.Errorf("ticaga_billing row = %d %d %q", tid, bid, system)
			}

			before := maps.Clone(got)
			code, out, _ = runMain(t, env, "sync", "--output", "json")
			rep = daemon.JSONReport{}
			if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitOK {
				t.Fatalf("second sync: exit %d, %v", code, err)
			}
			if fake.Calls("customers/assign") != 1 || rep.Counts.AlreadyLinked != 1 || rep.ByEndpoint["customers/assign"] != 0 {
				t.Fatalf("second sync: %+v, assign calls in all %d; want already_linked and no new assign", rep.Counts, fake.Calls("customers/assign"))
			}
			for _, u := range fake.Users() {
				if before[u.ID] != carried(u) {
					t.Fatalf("second sync changed Ticaga user %d", u.ID)
				}
			}
		})
	}
}
