package billing_test

import (
	"database/sql"
	"strings"
	"testing"

	"gorm.io/gorm"

	"github.com/ticaga/ticaga-sync/billing"
	"github.com/ticaga/ticaga-sync/billing/blesta/blestatest"
	"github.com/ticaga/ticaga-sync/billing/clientexec/clientexectest"
	"github.com/ticaga/ticaga-sync/billing/fossbilling/fossbillingtest"
	"github.com/ticaga/ticaga-sync/billing/internal/readertest"
	"github.com/ticaga/ticaga-sync/billing/whmcs/whmcstest"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

const zeroDate = "0000-00-00 00:00:00"

// seedEverySystem creates the tables of all four billing systems in db
// (their names do not collide) with a few customers each.
func seedEverySystem(t *testing.T, db *sql.DB) {
	t.Helper()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(blestatest.Create(ctx, db, false))
	must(blestatest.AddClients(ctx, db, []blestatest.Client{
		{ID: 1, FirstName: "Zoë", LastName: "Ångström", Email: "Zoe@Example.com ", DateAdded: zeroDate},
		{ID: 2, Status: "fraud", FirstName: "Fr", Email: "fraud@example.com"},
		{ID: 4, CompanyID: 2, FirstName: "Other", Email: "other@example.com"},
		{ID: 5, NoPrimaryContact: true},
	}))
	must(whmcstest.Create(ctx, db))
	must(whmcstest.AddClients(ctx, db, []whmcstest.Client{
		{ID: 1, FirstName: "李", LastName: "雷", Email: "li.lei@example.cn"},
		{ID: 3, Status: "Closed", Email: "closed@example.com"},
		{ID: 6, Email: "six@example.com", DateCreated: "2020-01-02"},
	}))
	must(clientexectest.Create(ctx, db))
	must(clientexectest.AddUsers(ctx, db, []clientexectest.User{
		{ID: 1, Status: 1, GroupID: clientexectest.AdminGroup, Email: "admin@example.com"},
		{ID: 2, Status: 1, Email: "customer@example.com", CompanyID: 7},
		{ID: 3, Status: -2, Email: "cancelled@example.com"},
	}))
	must(fossbillingtest.Create(ctx, db))
	must(fossbillingtest.AddClients(ctx, db, []fossbillingtest.Client{
		{ID: 1, Email: "one@example.com", UpdatedAt: zeroDate},
		{ID: 2, Status: "suspended", Email: "two@example.com"},
		{ID: 3, Role: "guest", Email: "three@example.com"},
	}))
}

// firstContacts are the first contacts each system gives in
// seedEverySystem's database.
var firstContacts = map[string]ticagasync.Contact{
	"blesta":      {BillingID: "1", CompanyID: 1, Email: "Zoe@Example.com ", FirstName: "Zoë", LastName: "Ångström", Status: "active"},
	"whmcs":       {BillingID: "1", Email: "li.lei@example.cn", FirstName: "李", LastName: "雷", Status: "Active"},
	"clientexec":  {BillingID: "2", CompanyID: 7, Email: "customer@example.com", Status: "1"},
	"fossbilling": {BillingID: "1", Email: "one@example.com", Status: "active"},
}

// customers counts the customers of each system in seedEverySystem's
// database, whatever their company and status, without staff.
var customers = map[string]int64{"blesta": 4, "whmcs": 3, "clientexec": 2, "fossbilling": 2}

// checkEverySystem opens each reader of a database seeded by
// seedEverySystem and checks what it reads.
func checkEverySystem(t *testing.T, db *gorm.DB) {
	tests := []struct {
		kind   string
		opts   billing.Options
		want   []int64
		filter string
	}{
		{"blesta", billing.Options{}, []int64{1, 4, 5}, "BILLING_STATUSES=active (clients.status)"},
		{"Blesta", billing.Options{CompanyIDs: []int64{1}, Statuses: []string{"Active", "FRAUD"}, PageSize: 1}, []int64{1, 2, 5},
			"BILLING_COMPANY_ID=1 (client_groups.company_id), BILLING_STATUSES=active,fraud (clients.status)"},
		{"blesta", billing.Options{CompanyIDs: []int64{1}, CompanyIDsDefault: true}, []int64{1, 5}, // a default company is read
			"BILLING_COMPANY_ID=1 (client_groups.company_id), BILLING_STATUSES=active (clients.status)"},
		{"whmcs", billing.Options{PageSize: 1, CompanyIDs: []int64{1}}, []int64{1, 6}, "BILLING_STATUSES=Active (tblclients.status)"}, // no companies: ignored
		{"whmcs", billing.Options{Statuses: []string{"closed", "Closed"}}, []int64{3}, "BILLING_STATUSES=Closed (tblclients.status)"},
		{"clientexec", billing.Options{}, []int64{2}, "BILLING_STATUSES=1 (users.status)"},
		{"clientexec", billing.Options{Statuses: []string{"cancelled", "1"}}, []int64{2, 3}, "BILLING_STATUSES=-2,1 (users.status)"},
		{"clientexec", billing.Options{CompanyIDs: []int64{7}, PageSize: 1}, []int64{2},
			"BILLING_COMPANY_ID=7 (users.company_id), BILLING_STATUSES=1 (users.status)"},
		{"clientexec", billing.Options{CompanyIDs: []int64{1}, CompanyIDsDefault: true}, []int64{2}, // a default company is not
			"BILLING_STATUSES=1 (users.status)"},
		{"fossbilling", billing.Options{PageSize: 1, CompanyIDs: []int64{2}}, []int64{1}, "BILLING_STATUSES=active (client.status)"},
		{"fossbilling", billing.Options{Statuses: []string{"active", "suspended"}}, []int64{1, 2}, "BILLING_STATUSES=active,suspended (client.status)"},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			src, err := billing.Open(tt.kind, db, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if err := src.Check(t.Context()); err != nil {
				t.Fatalf("Check: %v", err)
			}
			got := readertest.Collect(t, src)
			readertest.WantIDs(t, got, tt.want...)
			if want := strings.ToLower(tt.kind); src.System() != want {
				t.Errorf("System() = %q, want %q", src.System(), want)
			}
			if want, ok := firstContacts[src.System()]; ok && len(tt.opts.Statuses) == 0 && got[0] != want {
				t.Errorf("first contact:\n got %+v\nwant %+v", got[0], want)
			}
			sel, ok := src.(billing.Selection)
			if !ok {
				t.Fatalf("%T is no billing.Selection", src)
			}
			if f := sel.Filter(); f != tt.filter {
				t.Errorf("Filter() = %q, want %q", f, tt.filter)
			}
			if n, err := sel.CountAll(t.Context()); err != nil || n != customers[src.System()] {
				t.Errorf("CountAll = %d, %v; want %d", n, err, customers[src.System()])
			}
		})
	}
}
