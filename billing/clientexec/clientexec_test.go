package clientexec_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ticaga/ticaga-sync/billing/clientexec"
	cet "github.com/ticaga/ticaga-sync/billing/clientexec/clientexectest"
	"github.com/ticaga/ticaga-sync/billing/internal/readertest"
	"github.com/ticaga/ticaga-sync/internal/testdb"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

func TestEachContact(t *testing.T) {
	sqlDB, _ := testdb.Open(t)
	if err := cet.Create(t.Context(), sqlDB); err != nil {
		t.Fatal(err)
	}
	err := cet.AddUsers(t.Context(), sqlDB, []cet.User{
		{ID: 1, Status: 1, GroupID: cet.AdminGroup, FirstName: "Ad", LastName: "Min", Email: "admin@example.com"},
		{ID: 3, Status: 1, FirstName: "Zoë", LastName: "Ångström", Organization: "Ämber Ltd", Email: " Zoe.Angstrom@Example.COM "},
		{ID: 4, Status: 1, CompanyID: 3, FirstName: "李", LastName: "雷", Email: "li.lei@example.cn"},
		{ID: 6, Status: 0, FirstName: "Pen", LastName: "Ding", Email: "pending@example.com"},
		{ID: 7, Status: -2, FirstName: "Can", LastName: "Celled", Email: "cancelled@example.com"},
		{ID: 8, Status: -3, GroupID: cet.AdminGroup, FirstName: "Fraud", LastName: "Admin", Email: "fraud.admin@example.com"},
		{ID: 9, Status: 1, GroupID: 77, FirstName: "Lost", LastName: "Group", Email: "lost@example.com"},
		{ID: 12, Status: 1, FirstName: "Last", Email: "last@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	db := readertest.Gorm(t, sqlDB)

	got := readertest.Collect(t, clientexec.New(db, clientexec.Options{PageSize: 2}))
	readertest.WantIDs(t, got, 3, 4, 9, 12)
	want := []ticagasync.Contact{
		{BillingID: "3", Email: " Zoe.Angstrom@Example.COM ", FirstName: "Zoë", LastName: "Ångström", Company: "Ämber Ltd", Status: "1"},
		{BillingID: "4", CompanyID: 3, Email: "li.lei@example.cn", FirstName: "李", LastName: "雷", Status: "1"},
		{BillingID: "9", Email: "lost@example.com", FirstName: "Lost", LastName: "Group", Status: "1",
			Problem: "group 77 does not exist: cannot tell a customer from staff"},
		{BillingID: "12", Email: "last@example.com", FirstName: "Last", Status: "1"},
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("contact %s:\n got %+v\nwant %+v", want[i].BillingID, got[i], want[i])
		}
	}

	tests := []struct {
		name string
		opts clientexec.Options
		want []int64
	}{
		{"company 3", clientexec.Options{CompanyIDs: []int64{3}}, []int64{4}},
		{"company 0", clientexec.Options{CompanyIDs: []int64{0}}, []int64{3, 9, 12}},
		{"pending and cancelled", clientexec.Options{Statuses: []int{0, -2}}, []int64{6, 7}},
		{"fraud: the admin is still left out", clientexec.Options{Statuses: []int{-3}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			readertest.WantIDs(t, readertest.Collect(t, clientexec.New(db, tt.opts)), tt.want...)
		})
	}
	readertest.StreamContract(t, clientexec.New(db, clientexec.Options{PageSize: 2}))
}

func TestPaging(t *testing.T) {
	sqlDB, _ := testdb.Open(t)
	if err := cet.Create(t.Context(), sqlDB); err != nil {
		t.Fatal(err)
	}
	var us []cet.User
	var want []int64
	for i := range 20 {
		u := cet.User{ID: int64(5 + 7*i + i%3), Status: 1, Email: fmt.Sprintf("u%d@example.com", i)}
		switch i % 5 {
		case 1:
			u.GroupID = cet.AdminGroup
		case 2:
			u.Status = -1
		default:
			want = append(want, u.ID)
		}
		us = append(us, u)
	}
	if err := cet.AddUsers(t.Context(), sqlDB, us); err != nil {
		t.Fatal(err)
	}
	db := readertest.Gorm(t, sqlDB)
	for _, size := range []int{1, 3, len(want)} {
		readertest.WantIDs(t, readertest.Collect(t, clientexec.New(db, clientexec.Options{PageSize: size})), want...)
	}
}

func TestCheck(t *testing.T) {
	sqlDB, _ := testdb.Open(t)
	if err := cet.Create(t.Context(), sqlDB); err != nil {
		t.Fatal(err)
	}
	r := clientexec.New(readertest.Gorm(t, sqlDB), clientexec.Options{})
	if err := r.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
	testdb.Exec(t, sqlDB, "DROP TABLE `groups`")
	err := r.Check(t.Context())
	if err == nil || !strings.HasPrefix(err.Error(), "clientexec: table groups: ") || !strings.Contains(err.Error(), "doesn't exist") {
		t.Fatalf("Check without groups = %v, want it to name groups", err)
	}
}

func TestParseStatus(t *testing.T) {
	for word, want := range map[string]int{"1": 1, "0": 0, "-1": -1, "-2": -2, "-3": -3,
		"active": 1, "Pending": 0, "inactive": -1, "cancelled": -2, "FRAUD": -3} {
		if n, ok := clientexec.ParseStatus(word); !ok || n != want {
			t.Errorf("ParseStatus(%q) = %d, %v; want %d", word, n, ok, want)
		}
	}
	for _, word := range []string{"", "2", "-4", "activ", "01"} {
		if n, ok := clientexec.ParseStatus(word); ok {
			t.Errorf("ParseStatus(%q) = %d, want not ok", word, n)
		}
	}
	if clientexec.StatusName(-2) != "cancelled" || clientexec.StatusName(5) != "" {
		t.Error("StatusName")
	}
}
