package billing_test

import (
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/ticaga/ticaga-sync/billing"
	"github.com/ticaga/ticaga-sync/billing/blesta/blestatest"
	"github.com/ticaga/ticaga-sync/internal/testdb"
)

func TestOpenDB(t *testing.T) {
	dsn := testdb.DSN(t)
	db, err := billing.OpenDB(dsn)
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sqlDB.Close() })
	if n := sqlDB.Stats().MaxOpenConnections; n != billing.MaxOpenConns {
		t.Errorf("MaxOpenConnections = %d, want %d", n, billing.MaxOpenConns)
	}
	var charset string
	if err := sqlDB.QueryRowContext(t.Context(), "SELECT @@character_set_client").Scan(&charset); err != nil {
		t.Fatal(err)
	}
	if charset != "utf8mb4" {
		t.Errorf("connection charset = %q, want utf8mb4", charset)
	}
	if err := blestatest.Create(t.Context(), sqlDB, true); err != nil {
		t.Fatal(err)
	}
	src, err := billing.Open("blesta", db, billing.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Check(t.Context()); err != nil {
		t.Fatalf("Check: %v", err)
	}
}

func TestOpenDBWrongPassword(t *testing.T) {
	cfg, err := mysql.ParseDSN(testdb.DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Passwd = "wrong-Pw-4711"
	db, err := billing.OpenDB(cfg.FormatDSN())
	if err != nil {
		t.Fatalf("OpenDB connects lazily, but: %v", err)
	}
	src, err := billing.Open("whmcs", db, billing.Options{})
	if err != nil {
		t.Fatal(err)
	}
	err = src.Check(t.Context())
	if err == nil || !strings.HasPrefix(err.Error(), "whmcs: table tblclients: ") || strings.Contains(err.Error(), cfg.Passwd) {
		t.Fatalf("Check with a wrong password = %v, want an error naming the table and not the password", err)
	}
}

func TestOpenDBKeepsCharset(t *testing.T) {
	db, err := billing.OpenDB(testdb.DSN(t) + "&charset=latin1")
	if err != nil {
		t.Fatal(err)
	}
	var charset string
	if err := db.WithContext(t.Context()).Raw("SELECT @@character_set_client").Row().Scan(&charset); err != nil {
		t.Fatal(err)
	}
	if charset != "latin1" {
		t.Errorf("connection charset = %q, want the DSN's latin1", charset)
	}
}

func TestOpenDBErrorsHidePassword(t *testing.T) {
	const pw = "Tr0ub4dor-3"
	for _, dsn := range []string{
		"sync:" + pw + "@tcp(db.example.com:3306/blesta",            // unterminated address
		"sync:" + pw + "@tcp(db.example.com:3306)",                  // no slash
		"sync:" + pw + "@tcp(db.example.com:3306)/",                 // no database
		"sync:" + pw + "@tcp(db.example.com:3306)/blesta?tls=" + pw, // unknown TLS config
		"sync:" + pw + "@tcp(db.example.com:3306)/blesta?parseTime=" + pw,
		"sync:" + pw + "@tcp(db.example.com:3306)/bl%zzesta",
	} {
		_, err := billing.OpenDB(dsn)
		if err == nil {
			t.Errorf("OpenDB(%q): no error", dsn)
			continue
		}
		if strings.Contains(err.Error(), pw) || strings.Contains(err.Error(), "Tr0ub") {
			t.Errorf("OpenDB error shows the password: %v", err)
		}
		if !strings.HasPrefix(err.Error(), "billing database DSN: ") {
			t.Errorf("OpenDB error = %v, want it to name the DSN", err)
		}
	}
}
