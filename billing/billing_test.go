package billing_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ticaga/ticaga-sync/billing"
	"github.com/ticaga/ticaga-sync/billing/internal/readertest"
	"github.com/ticaga/ticaga-sync/internal/testdb"
)

func TestValidateStatuses(t *testing.T) {
	tests := []struct {
		kind     string
		statuses []string
		want     string // "" for no error
	}{
		{"blesta", nil, ""},
		{"blesta", []string{"active", "Inactive", " fraud "}, ""},
		{"blesta", []string{"activ"}, `unknown status "activ" for blesta (valid: active, inactive, fraud)`},
		{"Blesta", []string{"active", "closed"}, `unknown status "closed" for blesta (valid: active, inactive, fraud)`},
		{"whmcs", []string{"Active", "closed"}, ""},
		{"whmcs", []string{"suspended"}, `unknown status "suspended" for whmcs (valid: Active, Inactive, Closed)`},
		{"clientexec", []string{"1", "-3", "pending", "Cancelled"}, ""},
		{"clientexec", []string{"2"}, `unknown status "2" for clientexec (valid: 1/active, 0/pending, -1/inactive, -2/cancelled, -3/fraud)`},
		{"fossbilling", []string{"canceled", "suspended"}, ""},
		{"fossbilling", []string{"cancelled"}, `unknown status "cancelled" for fossbilling (valid: active, suspended, canceled)`},
		{"fossbilling", []string{""}, `unknown status "" for fossbilling (valid: active, suspended, canceled)`},
		{"hostbill", nil, `unknown billing system "hostbill" (valid: blesta, whmcs, clientexec, fossbilling, ticketsource)`},
	}
	for _, tt := range tests {
		err := billing.ValidateStatuses(tt.kind, tt.statuses)
		if got := errString(err); got != tt.want {
			t.Errorf("ValidateStatuses(%q, %q) = %q, want %q", tt.kind, tt.statuses, got, tt.want)
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestSystems(t *testing.T) {
	tests := []struct {
		kind, name string
		defaults   []string
		valid      []string
	}{
		{"blesta", "Blesta", []string{"active"}, []string{"active", "inactive", "fraud"}},
		{"whmcs", "WHMCS", []string{"Active"}, []string{"Active", "Inactive", "Closed"}},
		{"clientexec", "ClientExec", []string{"1"}, []string{"1", "0", "-1", "-2", "-3"}},
		{" FOSSBilling ", "FOSSBilling", []string{"active"}, []string{"active", "suspended", "canceled"}},
		{"hostbill", "", nil, nil},
	}
	for _, tt := range tests {
		if got := billing.DefaultBillingSystemName(tt.kind); got != tt.name {
			t.Errorf("DefaultBillingSystemName(%q) = %q, want %q", tt.kind, got, tt.name)
		}
		if got := billing.DefaultStatuses(tt.kind); !slices.Equal(got, tt.defaults) {
			t.Errorf("DefaultStatuses(%q) = %q, want %q", tt.kind, got, tt.defaults)
		}
		if got := billing.ValidStatuses(tt.kind); !slices.Equal(got, tt.valid) {
			t.Errorf("ValidStatuses(%q) = %q, want %q", tt.kind, got, tt.valid)
		}
	}
	for kind, want := range map[string]bool{"blesta": true, "whmcs": false, "ClientExec": true, "fossbilling": false, "hostbill": false} {
		if got := billing.HasCompanies(kind); got != want {
			t.Errorf("HasCompanies(%q) = %v, want %v", kind, got, want)
		}
	}
	if got := billing.Systems(); !slices.Equal(got, []string{"blesta", "whmcs", "clientexec", "fossbilling", "ticketsource"}) {
		t.Errorf("Systems() = %q", got)
	}
	for kind, want := range map[string]bool{"blesta": true, " WHMCS ": true, "ClientExec": true, "fossbilling": true, "hostbill": false, "": false} {
		if got := billing.Known(kind); got != want {
			t.Errorf("Known(%q) = %v, want %v", kind, got, want)
		}
	}
	if !billing.Known(billing.DefaultSystem) || billing.DefaultSystem != "blesta" {
		t.Errorf("DefaultSystem = %q", billing.DefaultSystem)
	}
}

func TestOpenRejects(t *testing.T) {
	sqlDB, _ := testdb.Open(t)
	db := readertest.Gorm(t, sqlDB)
	tests := []struct {
		kind string
		opts billing.Options
		want string
	}{
		{"hostbill", billing.Options{}, `unknown billing system "hostbill" (valid: blesta, whmcs, clientexec, fossbilling, ticketsource)`},
		{"blesta", billing.Options{Statuses: []string{"activ"}}, `unknown status "activ" for blesta`},
		{"blesta", billing.Options{PageSize: -1}, "page size -1"},
	}
	for _, tt := range tests {
		src, err := billing.Open(tt.kind, db, tt.opts)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Open(%q, %+v) = %v, %v; want an error containing %q", tt.kind, tt.opts, src, err, tt.want)
		}
	}
	if _, err := billing.Open("blesta", nil, billing.Options{}); err == nil {
		t.Error("Open without a database: no error")
	}
}

// TestOpen reads the four kinds of billing database through Open, each
// with its defaults and with other statuses spelled loosely.
func TestOpen(t *testing.T) {
	sqlDB, _ := testdb.Open(t)
	seedEverySystem(t, sqlDB)
	checkEverySystem(t, readertest.Gorm(t, sqlDB))
}
