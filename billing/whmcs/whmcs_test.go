package whmcs_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ticaga/ticaga-sync/billing/internal/readertest"
	"github.com/ticaga/ticaga-sync/billing/whmcs"
	"github.com/ticaga/ticaga-sync/billing/whmcs/whmcstest"
	"github.com/ticaga/ticaga-sync/internal/testdb"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

func TestEachContact(t *testing.T) {
	sqlDB, _ := testdb.Open(t)
	if err := whmcstest.Create(t.Context(), sqlDB); err != nil {
		t.Fatal(err)
	}
	err := whmcstest.AddClients(t.Context(), sqlDB, []whmcstest.Client{
		{ID: 2, FirstName: "Zoë", LastName: "Ångström", Company: "Ämber Ltd", Email: " Zoe.Angstrom@Example.COM  "},
		{ID: 4, FirstName: "李", LastName: "雷", Email: "li.lei@example.cn", DateCreated: "2021-03-04"},
		{ID: 5, Email: "nulls@example.com"}, // NULL names and company
		{ID: 6, Status: "Inactive", FirstName: "In", Email: "inactive@example.com"},
		{ID: 9, Status: "Closed", FirstName: "Closed", Email: "closed@example.com"},
		{ID: 11, FirstName: "Empty", Email: ""},
	})
	if err != nil {
		t.Fatal(err)
	}
	// A member of staff with a client's address: staff are never read.
	testdb.Exec(t, sqlDB, "INSERT INTO tbladmins (username, firstname, lastname, email) VALUES ('admin', 'Ad', 'Min', 'li.lei@example.cn')")
	db := readertest.Gorm(t, sqlDB)

	got := readertest.Collect(t, whmcs.New(db, whmcs.Options{PageSize: 2}))
	readertest.WantIDs(t, got, 2, 4, 5, 11)
	want := []ticagasync.Contact{
		{BillingID: "2", Email: " Zoe.Angstrom@Example.COM  ", FirstName: "Zoë", LastName: "Ångström", Company: "Ämber Ltd", Status: "Active"},
		{BillingID: "4", Email: "li.lei@example.cn", FirstName: "李", LastName: "雷", Status: "Active"},
		{BillingID: "5", Email: "nulls@example.com", Status: "Active"},
		{BillingID: "11", FirstName: "Empty", Status: "Active"},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("contact %s:\n got %+v\nwant %+v", want[i].BillingID, got[i], want[i])
		}
	}

	got = readertest.Collect(t, whmcs.New(db, whmcs.Options{Statuses: []string{"Inactive", "Closed"}}))
	readertest.WantIDs(t, got, 6, 9)
	if got[1].Status != "Closed" {
		t.Errorf("status = %q, want Closed", got[1].Status)
	}
	readertest.StreamContract(t, whmcs.New(db, whmcs.Options{PageSize: 2}))
}

func TestPaging(t *testing.T) {
	sqlDB, _ := testdb.Open(t)
	if err := whmcstest.Create(t.Context(), sqlDB); err != nil {
		t.Fatal(err)
	}
	var cs []whmcstest.Client
	var want []int64
	for i := range 17 {
		c := whmcstest.Client{ID: int64(300 - i*i), Email: fmt.Sprintf("c%d@example.com", i)}
		if i%4 == 1 {
			c.Status = "Closed"
		} else {
			want = append([]int64{c.ID}, want...)
		}
		cs = append(cs, c)
	}
	if err := whmcstest.AddClients(t.Context(), sqlDB, cs); err != nil {
		t.Fatal(err)
	}
	db := readertest.Gorm(t, sqlDB)
	for _, size := range []int{1, 3, len(want)} {
		got := readertest.Collect(t, whmcs.New(db, whmcs.Options{PageSize: size}))
		readertest.WantIDs(t, got, want...)
	}
}

func TestCheck(t *testing.T) {
	sqlDB, _ := testdb.Open(t)
	r := whmcs.New(readertest.Gorm(t, sqlDB), whmcs.Options{})
	err := r.Check(t.Context())
	if err == nil || !strings.HasPrefix(err.Error(), "whmcs: table tblclients: ") || !strings.Contains(err.Error(), "doesn't exist") {
		t.Fatalf("Check without tables = %v, want it to name tblclients", err)
	}
	if err := whmcstest.Create(t.Context(), sqlDB); err != nil {
		t.Fatal(err)
	}
	if err := r.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
}
