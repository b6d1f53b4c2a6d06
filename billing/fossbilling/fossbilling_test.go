package fossbilling_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ticaga/ticaga-sync/billing/fossbilling"
	"github.com/ticaga/ticaga-sync/billing/fossbilling/fossbillingtest"
	"github.com/ticaga/ticaga-sync/billing/internal/readertest"
	"github.com/ticaga/ticaga-sync/internal/testdb"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

const zeroDate = "0000-00-00 00:00:00"

func TestEachContact(t *testing.T) {
	sqlDB, _ := testdb.Open(t)
	if err := fossbillingtest.Create(t.Context(), sqlDB); err != nil {
		t.Fatal(err)
	}
	err := fossbillingtest.AddClients(t.Context(), sqlDB, []fossbillingtest.Client{
		{ID: 10, FirstName: "Zoë", LastName: "Ångström", Company: "Ämber Ltd", Email: " Zoe.Angstrom@Example.COM ", UpdatedAt: zeroDate},
		{ID: 11, FirstName: "李", LastName: "雷", Email: "li.lei@example.cn"},
		{ID: 12, FirstName: "Ana 🚀", Email: "ana@example.com", UpdatedAt: "2024-02-29 10:00:00"},
		{ID: 14, Role: "admin", FirstName: "Not", LastName: "Client", Email: "role.admin@example.com"},
		{ID: 15, Status: "suspended", FirstName: "Sus", Email: "suspended@example.com"},
		{ID: 16, Status: "canceled", FirstName: "Can", Email: "canceled@example.com"},
		{ID: 20, FirstName: "No", LastName: "Email", UpdatedAt: zeroDate}, // NULL email
		{ID: 3_000_000_000_000, FirstName: "Big", Email: "big@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	testdb.Exec(t, sqlDB, "INSERT INTO admin (role, email, name) VALUES ('admin', 'li.lei@example.cn', 'Staff')")
	db := readertest.Gorm(t, sqlDB)

	got := readertest.Collect(t, fossbilling.New(db, fossbilling.Options{PageSize: 2}))
	readertest.WantIDs(t, got, 10, 11, 12, 20, 3_000_000_000_000)
	want := []ticagasync.Contact{
		{BillingID: "10", Email: " Zoe.Angstrom@Example.COM ", FirstName: "Zoë", LastName: "Ångström", Company: "Ämber Ltd", Status: "active"},
		{BillingID: "11", Email: "li.lei@example.cn", FirstName: "李", LastName: "雷", Status: "active"},
		{BillingID: "12", Email: "ana@example.com", FirstName: "Ana 🚀", Status: "active"},
		{BillingID: "20", FirstName: "No", LastName: "Email", Status: "active"},
		{BillingID: "3000000000000", Email: "big@example.com", FirstName: "Big", Status: "active"},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("contact %s:\n got %+v\nwant %+v", want[i].BillingID, got[i], want[i])
		}
	}
	got = readertest.Collect(t, fossbilling.New(db, fossbilling.Options{Statuses: []string{"suspended", "canceled"}}))
	readertest.WantIDs(t, got, 15, 16)
	readertest.StreamContract(t, fossbilling.New(db, fossbilling.Options{PageSize: 2}))
}

func TestPaging(t *testing.T) {
	sqlDB, _ := testdb.Open(t)
	if err := fossbillingtest.Create(t.Context(), sqlDB); err != nil {
		t.Fatal(err)
	}
	var cs []fossbillingtest.Client
	var want []int64
	for i := range 15 {
		c := fossbillingtest.Client{ID: int64(1 + i*i*i), Email: fmt.Sprintf("c%d@example.com", i)}
		if i%4 == 2 {
			c.Role = "guest"
		} else {
			want = append(want, c.ID)
		}
		cs = append(cs, c)
	}
	if err := fossbillingtest.AddClients(t.Context(), sqlDB, cs); err != nil {
		t.Fatal(err)
	}
	db := readertest.Gorm(t, sqlDB)
	for _, size := range []int{1, 3, len(want)} {
		readertest.WantIDs(t, readertest.Collect(t, fossbilling.New(db, fossbilling.Options{PageSize: size})), want...)
	}
}

func TestCheck(t *testing.T) {
	sqlDB, _ := testdb.Open(t)
	r := fossbilling.New(readertest.Gorm(t, sqlDB), fossbilling.Options{})
	err := r.Check(t.Context())
	if err == nil || !strings.HasPrefix(err.Error(), "fossbilling: table client: ") || !strings.Contains(err.Error(), "doesn't exist") {
		t.Fatalf("Check without tables = %v, want it to name client", err)
	}
	if err := fossbillingtest.Create(t.Context(), sqlDB); err != nil {
		t.Fatal(err)
	}
	if err := r.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
}
