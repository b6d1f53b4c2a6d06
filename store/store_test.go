package store

import (
	"database/sql"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/rs/zerolog"

	"github.com/ticaga/ticaga-sync/internal/testdb"
)

// openTest opens a Store on a fresh database, and a plain connection to the
// same database for checks behind the store's back.
func openTest(t *testing.T) (*Store, *sql.DB) {
	t.Helper()
	raw, dsn := testdb.Open(t)
	s, err := Open(t.Context(), dsn, zerolog.Nop())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s, raw
}

// migrated is openTest after Migrate.
func migrated(t *testing.T) (*Store, *sql.DB) {
	t.Helper()
	s, raw := openTest(t)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s, raw
}

// at is a fixed UTC time, minutes after a base, at DATETIME(3) precision.
func at(minutes int) time.Time {
	return time.Date(2025, 7, 13, 17, 0, 0, 123_000_000, time.UTC).Add(time.Duration(minutes) * time.Minute)
}

func TestOpenNeverEchoesThePassword(t *testing.T) {
	t.Parallel()
	const pw = "s3cr3t-Pa55"
	dsns := map[string]string{
		"bad param":   "ticaga:" + pw + "@tcp(127.0.0.1:33061)/db?parseTime=maybe",
		"bad syntax":  "ticaga:" + pw + "@tcp(127.0.0.1:33061)",
		"unreachable": "ticaga:" + pw + "@tcp(127.0.0.1:1)/db?timeout=2s",
	}
	if base := os.Getenv("TEST_MYSQL_DSN"); base != "" {
		cfg, err := mysql.ParseDSN(base)
		if err != nil {
			t.Fatal(err)
		}
		cfg.Passwd, cfg.DBName = pw, "mysql"
		dsns["wrong password"] = cfg.FormatDSN()
	}
	for name, dsn := range dsns {
		t.Run(name, func(t *testing.T) {
			s, err := Open(t.Context(), dsn, zerolog.Nop())
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), pw) {
				t.Fatalf("error shows the password: %v", err)
			}
		})
	}
}

func TestOpenNeedsADatabase(t *testing.T) {
	t.Parallel()
	_, err := Open(t.Context(), "u:p@tcp(127.0.0.1:33061)/", zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), "names no database") {
		t.Fatalf("err = %v", err)
	}
}

func TestOpenSession(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	var charset string
	if err := s.DB().Raw("SELECT @@character_set_connection").Row().Scan(&charset); err != nil {
		t.Fatal(err)
	}
	if charset != "utf8mb4" {
		t.Errorf("character_set_connection = %q, want utf8mb4", charset)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}

func TestFromDBDoesNotClosePool(t *testing.T) {
	t.Parallel()
	s, _ := migrated(t)
	shared := FromDB(s.DB())
	if err := shared.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("pool closed by a FromDB store: %v", err)
	}
	if _, err := shared.RecentRuns(t.Context(), 1); err != nil {
		t.Fatalf("FromDB store: %v", err)
	}
}

func TestCheckWritable(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	if err := s.CheckWritable(t.Context()); err == nil || !strings.Contains(err.Error(), "migrate") {
		t.Fatalf("before Migrate: err = %v, want a hint to migrate", err)
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := s.CheckWritable(t.Context()); err != nil {
		t.Fatalf("after Migrate: %v", err)
	}
}

func TestClip(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abcdef", 3, "abc"},
		{"Zoë Ångström", 4, "Zoë "},
		{"山田太郎", 2, "山田"},
		{"a\xffb", 3, "a\uFFFDb"},
	} {
		if got := clip(c.in, c.n); got != c.want {
			t.Errorf("clip(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
