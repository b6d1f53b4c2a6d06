package billing_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ticaga/ticaga-sync/billing"
	"github.com/ticaga/ticaga-sync/billing/internal/readertest"
	"github.com/ticaga/ticaga-sync/internal/testdb"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// Every reader looks one customer up unfiltered on MariaDB and says
// exactly why its filters drop it; a customer its stream reads looks up
// as selected, with the very contact the stream gives.
func TestLookupClientSaysWhyNotSelected(t *testing.T) {
	sqlDB, _ := testdb.Open(t)
	seedEverySystem(t, sqlDB)
	db := readertest.Gorm(t, sqlDB)

	tests := []struct {
		kind     string
		opts     billing.Options
		id       int64
		codes    []string
		contains []string
		problem  string
	}{
		{kind: "blesta", id: 2, codes: []string{"status"}, contains: []string{"status is fraud", "BILLING_STATUSES=active (clients.status)"}},
		{kind: "blesta", opts: billing.Options{CompanyIDs: []int64{1}}, id: 4, codes: []string{"company"},
			contains: []string{"billing company 2", "BILLING_COMPANY_ID=1 (client_groups.company_id)"}},
		{kind: "blesta", opts: billing.Options{CompanyIDs: []int64{1}, Statuses: []string{"active", "fraud"}}, id: 2},
		{kind: "blesta", id: 5, problem: "no primary contact"},
		{kind: "blesta", id: 99, codes: []string{"no_such_client"}, contains: []string{"clients has no row with id 99"}},
		{kind: "whmcs", id: 3, codes: []string{"status"}, contains: []string{"status is Closed", "BILLING_STATUSES=Active (tblclients.status)"}},
		{kind: "whmcs", id: 2, codes: []string{"no_such_client"}, contains: []string{"tblclients has no row with id 2"}},
		{kind: "clientexec", id: 1, codes: []string{"staff"}, contains: []string{"admin group"}},
		{kind: "clientexec", id: 3, codes: []string{"status"}, contains: []string{"status is -2 (cancelled)", "BILLING_STATUSES=1 (users.status)"}},
		{kind: "clientexec", opts: billing.Options{CompanyIDs: []int64{3}}, id: 2, codes: []string{"company"},
			contains: []string{"billing company 7", "BILLING_COMPANY_ID=3 (users.company_id)"}},
		{kind: "fossbilling", id: 2, codes: []string{"status"}, contains: []string{"status is suspended", "(client.status)"}},
		{kind: "fossbilling", id: 3, codes: []string{"staff"}, contains: []string{"role = 'client'"}},
		{kind: "fossbilling", id: 4, codes: []string{"no_such_client"}},
	}
	for _, tt := range tests {
		src, err := billing.Open(tt.kind, db, tt.opts)
		if err != nil {
			t.Fatal(err)
		}
		x, ok := src.(ticagasync.Explainer)
		if !ok {
			t.Fatalf("%s: the reader is no Explainer", tt.kind)
		}
		l, err := x.LookupClient(t.Context(), ticagasync.BillingIDOf(tt.id))
		if err != nil {
			t.Fatalf("%s %d: %v", tt.kind, tt.id, err)
		}
		var codes []string
		for _, w := range l.Why {
			codes = append(codes, w.Code)
		}
		if !slices.Equal(codes, tt.codes) {
			t.Errorf("%s %d: reasons %+v, want codes %v", tt.kind, tt.id, l.Why, tt.codes)
		}
		if (len(tt.codes) == 0) != l.Selected() || l.Found == slices.Contains(tt.codes, "no_such_client") {
			t.Errorf("%s %d: selected %v, found %v", tt.kind, tt.id, l.Selected(), l.Found)
		}
		for _, c := range tt.contains {
			if !strings.Contains(l.Reason(), c) {
				t.Errorf("%s %d: reason %q lacks %q", tt.kind, tt.id, l.Reason(), c)
			}
		}
		if l.Contact.Problem != tt.problem {
			t.Errorf("%s %d: problem %q, want %q", tt.kind, tt.id, l.Contact.Problem, tt.problem)
		}
	}

	// The lookup agrees with the stream, for every selected customer of
	// every database reader (TicketSource is read over its API: its lookup
	// is tested in billing/ticketsource).
	for _, kind := range billing.Systems() {
		if billing.IsAPI(kind) {
			continue
		}
		src, err := billing.Open(kind, db, billing.Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range readertest.Collect(t, src) {
			l, err := src.(ticagasync.Explainer).LookupClient(t.Context(), c.BillingID)
			if err != nil {
				t.Fatal(err)
			}
			if !l.Selected() || !reflect.DeepEqual(l.Contact, c) {
				t.Errorf("%s %s: lookup %+v, stream %+v", kind, c.BillingID, l, c)
			}
		}
	}
}
