// Package testdb gives each test a fresh, empty MySQL/MariaDB database.
//
// The server comes from TEST_MYSQL_DSN (a go-sql-driver DSN without a database
// name, e.g. "user:pass@tcp(127.0.0.1:3306)/"); scripts/test.sh starts a
// private MariaDB and sets it. Without it the test is skipped, unless
// TEST_REQUIRE_MYSQL=1, in which case it fails: the project's test command
// never skips a database test.
package testdb

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"testing"

	"github.com/go-sql-driver/mysql"
)

// Server returns the test server's configuration from TEST_MYSQL_DSN,
// skipping t without it (failing it under TEST_REQUIRE_MYSQL=1).
func Server(t testing.TB) *mysql.Config {
	t.Helper()
	base := os.Getenv("TEST_MYSQL_DSN")
	if base == "" {
		if os.Getenv("TEST_REQUIRE_MYSQL") == "1" {
			t.Fatal("TEST_MYSQL_DSN is not set but TEST_REQUIRE_MYSQL=1: run ./scripts/test.sh")
		}
		t.Skip("TEST_MYSQL_DSN is not set; run ./scripts/test.sh for the database tests")
	}
	cfg, err := mysql.ParseDSN(base)
	if err != nil {
		t.Fatalf("TEST_MYSQL_DSN: %v", err)
	}
	return cfg
}

// DSN creates a new database named after a random suffix and returns a DSN
// for it. The database is dropped when the test ends.
func DSN(t testing.TB) string {
	t.Helper()
	cfg := Server(t)
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatalf("open test server: %v", err)
	}
	defer admin.Close()

	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "tst_" + hex.EncodeToString(b[:])
	if _, err := admin.ExecContext(t.Context(), "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		db, err := sql.Open("mysql", cfg.FormatDSN())
		if err != nil {
			return
		}
		defer db.Close()
		_, _ = db.Exec("DROP DATABASE IF EXISTS `" + name + "`")
	})

	cfg.DBName = name
	cfg.ParseTime = true
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	return cfg.FormatDSN()
}

// Open returns a *sql.DB on a fresh database (see DSN), closed when the test ends.
func Open(t testing.TB) (*sql.DB, string) {
	t.Helper()
	dsn := DSN(t)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatalf("open test database: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dsn
}

// Exec runs each statement on db, failing the test on the first error.
func Exec(t testing.TB, db *sql.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("exec %q: %v", truncate(s, 120), err)
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("%s...", s[:n])
}
