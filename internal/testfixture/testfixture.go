// Package testfixture holds the small world the command-line and daemon
// tests share: a Blesta database on MariaDB with three customers and a fake
// Ticaga where two of them have an account, and a buffer safe for a writer
// and a reader at once.
package testfixture

import (
	"path/filepath"
	"testing"

	"github.com/ticaga/ticaga-sync/billing/blesta/blestatest"
	"github.com/ticaga/ticaga-sync/internal/testdb"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

// Blesta creates the world and returns the environment of a source reading
// it (billing DSN, Ticaga URL and token, a small directory gap, JSON debug
// logs, a private control socket) and the fake Ticaga. Clients 1 (Ann) and
// 2 (Ben) have Ticaga accounts; client 3 (Cy) has none. It skips the test
// as testdb.Open does without a MariaDB.
func Blesta(t *testing.T, token string) (map[string]string, *ticagatest.Server) {
	t.Helper()
	db, dsn := testdb.Open(t)
	ctx := t.Context()
	if err := blestatest.Create(ctx, db, false); err != nil {
		t.Fatal(err)
	}
	err := blestatest.AddClients(ctx, db, []blestatest.Client{
		{ID: 1, FirstName: "Ann", LastName: "A", Email: "ann@example.com"},
		{ID: 2, FirstName: "Ben", LastName: "B", Email: "ben@example.com"},
		{ID: 3, FirstName: "Cy", LastName: "C", Email: "cy@example.com"},
	})
	if err != nil {
		t.Fatal(err)
	}
	fake := ticagatest.New(ticagatest.Options{Token: token})
	t.Cleanup(fake.Close)
	fake.AddUser(ticagatest.User{Name: "Ann", Email: "ann@example.com"})
	fake.AddUser(ticagatest.User{Name: "Ben", Email: "BEN@example.com"})
	return map[string]string{
		"BILLING_DSN": dsn, "TICAGA_URL": fake.URL(), "TICAGA_API_TOKEN": token,
		"TICAGA_DIRECTORY_GAP": "5", "LOG_FORMAT": "json", "LOG_LEVEL": "debug",
		"CONTROL_SOCKET": filepath.Join(t.TempDir(), "control.sock"),
	}, fake
}
