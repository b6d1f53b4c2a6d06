package blesta_test

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/ticaga/ticaga-sync/billing/blesta"
	"github.com/ticaga/ticaga-sync/billing/blesta/blestatest"
	"github.com/ticaga/ticaga-sync/billing/internal/readertest"
	"github.com/ticaga/ticaga-sync/internal/testdb"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

const zeroDate = "0000-00-00 00:00:00"

// seed builds a Blesta database with one client per case the reader must
// handle and returns it.
func seed(t *testing.T, utf8mb4 bool) *sql.DB {
	t.Helper()
	db, _ := testdb.Open(t)
	ctx := t.Context()
	if err := blestatest.Create(ctx, db, utf8mb4); err != nil {
		t.Fatal(err)
	}
	clients := []blestatest.Client{
		{ID: 3, FirstName: "Zoë", LastName: "Ångström", Company: "Ämber Ltd", Email: "  Zoe.Angstrom@Example.COM ", DateAdded: zeroDate,
			ExtraContacts: []blestatest.Contact{{Type: "billing", FirstName: "Bill", LastName: "Ing", Email: "billing@example.com"}}},
		{ID: 5, FirstName: "李", LastName: "雷", Email: "li.lei@example.cn"},
		{ID: 7, Status: "inactive", FirstName: "In", LastName: "Active", Email: "inactive@example.com", DateAdded: zeroDate},
		{ID: 8, Status: "fraud", FirstName: "Fr", LastName: "Aud", Email: "fraud@example.com"},
		{ID: 9, CompanyID: 2, FirstName: "Other", LastName: "Company", Email: "other@example.com"},
		{ID: 10, FirstName: "", LastName: "", Email: "", NoPrimaryContact: true,
			ExtraContacts: []blestatest.Contact{{Type: "billing", FirstName: "Only", LastName: "Billing", Email: "only.billing@example.com"}}},
		{ID: 12, FirstName: "First", LastName: "Primary", Email: "first@example.com",
			ExtraContacts: []blestatest.Contact{{Type: "primary", FirstName: "Second", LastName: "Primary", Email: "second@example.com"}}},
		{ID: 13, FirstName: "No", LastName: "Company", Email: "nocompany@example.com"},
	}
	if utf8mb4 {
		clients = append(clients, blestatest.Client{ID: 14, FirstName: "Ana 🚀", LastName: "Rocket", Email: "ana@example.com"})
	}
	if err := blestatest.AddClients(ctx, db, clients); err != nil {
		t.Fatal(err)
	}
	// Client 15's second primary contact was inserted last but has the
	// lower id: it is the one read.
	testdb.Exec(t, db,
		"INSERT INTO clients (id, id_format, id_value, user_id, client_group_id, status) VALUES (15, '{num}', 15, 15, 1, 'active')",
		"INSERT INTO contacts (id, client_id, contact_type, first_name, last_name, email, date_added) VALUES (1000, 15, 'primary', 'Later', 'Row', 'later@example.com', '"+zeroDate+"')",
		"INSERT INTO contacts (id, client_id, contact_type, first_name, last_name, email, date_added) VALUES (999, 15, 'primary', 'Lower', 'Id', 'lower@example.com', '"+zeroDate+"')",
	)
	return db
}

func TestEachContact(t *testing.T) {
	for _, mb4 := range []bool{false, true} {
		name := "utf8"
		if mb4 {
			name = "utf8mb4"
		}
		t.Run(name, func(t *testing.T) {
			db := readertest.Gorm(t, seed(t, mb4))
			r := blesta.New(db, blesta.Options{CompanyIDs: []int64{1}, PageSize: 2})
			got := readertest.Collect(t, r)
			want := []int64{3, 5, 10, 12, 13, 15}
			if mb4 {
				want = []int64{3, 5, 10, 12, 13, 14, 15}
			}
			readertest.WantIDs(t, got, want...)
			by := readertest.ByID(got)
			wantContact(t, by[3], ticagasync.Contact{BillingID: "3", CompanyID: 1, Email: "  Zoe.Angstrom@Example.COM ",
				FirstName: "Zoë", LastName: "Ångström", Company: "Ämber Ltd", Status: "active"})
			wantContact(t, by[5], ticagasync.Contact{BillingID: "5", CompanyID: 1, Email: "li.lei@example.cn",
				FirstName: "李", LastName: "雷", Status: "active"})
			wantContact(t, by[10], ticagasync.Contact{BillingID: "10", CompanyID: 1, Status: "active", Problem: "no primary contact"})
			wantContact(t, by[12], ticagasync.Contact{BillingID: "12", CompanyID: 1, Email: "first@example.com",
				FirstName: "First", LastName: "Primary", Status: "active"})
			wantContact(t, by[15], ticagasync.Contact{BillingID: "15", CompanyID: 1, Email: "lower@example.com",
				FirstName: "Lower", LastName: "Id", Status: "active"})
			if mb4 {
				wantContact(t, by[14], ticagasync.Contact{BillingID: "14", CompanyID: 1, Email: "ana@example.com",
					FirstName: "Ana 🚀", LastName: "Rocket", Status: "active"})
			}
		})
	}
}

func wantContact(t *testing.T, got, want ticagasync.Contact) {
	t.Helper()
	if got != want {
		t.Errorf("contact %s:\n got %+v\nwant %+v", want.BillingID, got, want)
	}
}

func TestSelection(t *testing.T) {
	db := readertest.Gorm(t, seed(t, false))
	tests := []struct {
		name string
		opts blesta.Options
		want []int64
	}{
		{"other statuses", blesta.Options{CompanyIDs: []int64{1}, Statuses: []string{"inactive", "fraud"}}, []int64{7, 8}},
		{"other company", blesta.Options{CompanyIDs: []int64{2}}, []int64{9}},
		{"every company", blesta.Options{}, []int64{3, 5, 9, 10, 12, 13, 15}},
		{"two companies, every status", blesta.Options{CompanyIDs: []int64{1, 2}, Statuses: blesta.Statuses()},
			[]int64{3, 5, 7, 8, 9, 10, 12, 13, 15}},
		{"no such company", blesta.Options{CompanyIDs: []int64{42}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := readertest.Collect(t, blesta.New(db, tt.opts))
			readertest.WantIDs(t, got, tt.want...)
		})
	}
	t.Run("company of another company's client", func(t *testing.T) {
		got := readertest.Collect(t, blesta.New(db, blesta.Options{CompanyIDs: []int64{2}}))
		if got[0].CompanyID != 2 {
			t.Fatalf("CompanyID = %d, want 2", got[0].CompanyID)
		}
	})
}

func TestMissingClientGroup(t *testing.T) {
	sqlDB := seed(t, false)
	testdb.Exec(t, sqlDB,
		"INSERT INTO clients (id, id_format, id_value, user_id, client_group_id, status) VALUES (20, '{num}', 20, 20, 99, 'active')",
		"INSERT INTO contacts (client_id, contact_type, first_name, last_name, email, date_added) VALUES (20, 'primary', 'Lost', 'Group', 'lost@example.com', NOW())",
	)
	db := readertest.Gorm(t, sqlDB)
	got := readertest.Collect(t, blesta.New(db, blesta.Options{}))
	last := got[len(got)-1]
	if last.BillingID != "20" || last.Problem != "client group 99 does not exist" || last.Email != "lost@example.com" {
		t.Fatalf("client 20 = %+v, want it passed with a problem naming group 99", last)
	}
	got = readertest.Collect(t, blesta.New(db, blesta.Options{CompanyIDs: []int64{1}}))
	if got[len(got)-1].BillingID == "20" {
		t.Fatal("client 20 has no company but was read for company 1")
	}
}

func TestStreamContract(t *testing.T) {
	db := readertest.Gorm(t, seed(t, false))
	readertest.StreamContract(t, blesta.New(db, blesta.Options{PageSize: 2}))
}

func TestCheck(t *testing.T) {
	sqlDB := seed(t, false)
	r := blesta.New(readertest.Gorm(t, sqlDB), blesta.Options{})
	if err := r.Check(t.Context()); err != nil {
		t.Fatalf("Check on a complete schema: %v", err)
	}
	testdb.Exec(t, sqlDB, "ALTER TABLE contacts DROP COLUMN company")
	wantCheckErr(t, r, "blesta: table contacts: ", "company")
	testdb.Exec(t, sqlDB, "DROP TABLE client_groups")
	wantCheckErr(t, r, "blesta: table client_groups: ", "doesn't exist")
}

func wantCheckErr(t *testing.T, r *blesta.Reader, prefix, detail string) {
	t.Helper()
	err := r.Check(t.Context())
	if err == nil || !strings.HasPrefix(err.Error(), prefix) || !strings.Contains(err.Error(), detail) {
		t.Fatalf("Check = %v, want %q...%q", err, prefix, detail)
	}
}
