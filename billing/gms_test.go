package billing_test

import (
	"testing"

	"github.com/ticaga/ticaga-sync/billing"
	"github.com/ticaga/ticaga-sync/internal/memdb"
)

// TestGoMySQLServer runs the fixtures' DDL and every reader, through
// OpenDB, on go-mysql-server: the in-memory server of the demo.
func TestGoMySQLServer(t *testing.T) {
	srv, err := memdb.Start("billing")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	db, err := billing.OpenDB(srv.DSN())
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	seedEverySystem(t, sqlDB)
	checkEverySystem(t, db)
}
