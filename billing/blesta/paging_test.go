package blesta_test

import (
	"fmt"
	"testing"

	"github.com/ticaga/ticaga-sync/billing/blesta"
	"github.com/ticaga/ticaga-sync/billing/blesta/blestatest"
	"github.com/ticaga/ticaga-sync/billing/internal/readertest"
	"github.com/ticaga/ticaga-sync/internal/testdb"
)

// TestPaging reads 25 selected clients among 40, with gaps in the ids, in
// pages of every size around the edges: each selected client exactly once,
// in ascending order.
func TestPaging(t *testing.T) {
	sqlDB, _ := testdb.Open(t)
	if err := blestatest.Create(t.Context(), sqlDB, true); err != nil {
		t.Fatal(err)
	}
	var clients []blestatest.Client
	var want []int64
	for i := range 40 {
		c := blestatest.Client{
			ID:        int64(i*i + 2*i + 1), // 1, 4, 9, ...: growing gaps
			FirstName: fmt.Sprint("Client ", i),
			Email:     fmt.Sprintf("client%d@example.com", i),
		}
		switch {
		case i%8 == 3:
			c.Status = "inactive"
		case i%8 == 5:
			c.CompanyID = 2
		case i%8 == 6:
			c.NoPrimaryContact = true // still read, with a problem
		}
		if i%8 != 3 && i%8 != 5 {
			want = append(want, c.ID)
		}
		clients = append(clients, c)
	}
	// Inserted out of order: the order must come from the query.
	for i, j := 0, len(clients)-1; i < j; i, j = i+1, j-1 {
		clients[i], clients[j] = clients[j], clients[i]
	}
	if err := blestatest.AddClients(t.Context(), sqlDB, clients); err != nil {
		t.Fatal(err)
	}
	db := readertest.Gorm(t, sqlDB)
	for _, size := range []int{1, 3, 5, len(want) - 1, len(want), len(want) + 1, 0} {
		t.Run(fmt.Sprint("page size ", size), func(t *testing.T) {
			got := readertest.Collect(t, blesta.New(db, blesta.Options{CompanyIDs: []int64{1}, PageSize: size}))
			readertest.WantIDs(t, got, want...)
		})
	}
}
