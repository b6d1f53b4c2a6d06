package billing_test

import (
	"slices"
	"testing"

	"github.com/ticaga/ticaga-sync/billing"
	"github.com/ticaga/ticaga-sync/billing/clientexec/clientexectest"
	"github.com/ticaga/ticaga-sync/billing/internal/readertest"
	"github.com/ticaga/ticaga-sync/internal/testdb"
)

// defaultCompanies are the companies a configuration without
// BILLING_COMPANY_ID selects (configs.DefaultConfig).
var defaultCompanies = []int64{1}

// TestClientExecDefaultCompanies reads a ClientExec install whose users
// keep users.company_id at its schema default, 0, with the default
// settings: every customer is read. Only companies set on purpose filter,
// and a selection that reads none says what filtered them out.
func TestClientExecDefaultCompanies(t *testing.T) {
	sqlDB, _ := testdb.Open(t)
	if err := clientexectest.Create(t.Context(), sqlDB); err != nil {
		t.Fatal(err)
	}
	// No company_id: the column's default.
	testdb.Exec(t, sqlDB, "INSERT INTO users (id, groupid, status, firstname, lastname, email) VALUES "+
		"(1, 2, 1, 'Ad', 'Min', 'admin@example.com'), "+
		"(2, 1, 1, 'Cus', 'Tomer', 'customer@example.com'), "+
		"(3, 1, 1, 'Ann', 'Other', 'another@example.com'), "+
		"(4, 1, -1, 'In', 'Active', 'inactive@example.com')")
	db := readertest.Gorm(t, sqlDB)

	src, err := billing.Open("clientexec", db, billing.Options{CompanyIDs: defaultCompanies, CompanyIDsDefault: true})
	if err != nil {
		t.Fatal(err)
	}
	got := readertest.Collect(t, src)
	readertest.WantIDs(t, got, 2, 3)
	if got[0].CompanyID != 0 {
		t.Errorf("CompanyID = %d, want 0", got[0].CompanyID)
	}

	// The same company chosen on purpose reads none of them.
	src, err = billing.Open("clientexec", db, billing.Options{CompanyIDs: defaultCompanies})
	if err != nil {
		t.Fatal(err)
	}
	readertest.WantIDs(t, readertest.Collect(t, src))
	sel := src.(billing.Selection)
	if n, err := sel.CountAll(t.Context()); err != nil || n != 3 {
		t.Errorf("CountAll = %d, %v; want the 3 customers (not the admin)", n, err)
	}
	if f, want := sel.Filter(), "BILLING_COMPANY_ID=1 (users.company_id), BILLING_STATUSES=1 (users.status)"; f != want {
		t.Errorf("Filter() = %q, want %q", f, want)
	}
}

func TestSelectedCompanies(t *testing.T) {
	chosen := billing.Options{CompanyIDs: []int64{1, 2}}
	byDefault := billing.Options{CompanyIDs: []int64{1}, CompanyIDsDefault: true}
	tests := []struct {
		kind string
		opts billing.Options
		want []int64
	}{
		{"blesta", chosen, []int64{1, 2}},
		{"Blesta", byDefault, []int64{1}},
		{"blesta", billing.Options{}, nil},
		{"blesta", billing.Options{CompanyIDs: []int64{}}, nil},
		{"clientexec", chosen, []int64{1, 2}},
		{"clientexec", byDefault, nil},
		{"whmcs", chosen, nil},
		{"fossbilling", chosen, nil},
		{"hostbill", chosen, nil},
	}
	for _, tt := range tests {
		if got := billing.SelectedCompanies(tt.kind, tt.opts); !slices.Equal(got, tt.want) || (got == nil) != (tt.want == nil) {
			t.Errorf("SelectedCompanies(%q, %+v) = %v, want %v", tt.kind, tt.opts, got, tt.want)
		}
	}
}
