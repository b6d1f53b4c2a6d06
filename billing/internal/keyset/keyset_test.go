package keyset_test

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"

	"github.com/ticaga/ticaga-sync/billing/internal/keyset"
	"github.com/ticaga/ticaga-sync/billing/internal/readertest"
	"github.com/ticaga/ticaga-sync/internal/testdb"
	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

func scanID(rows *sql.Rows) (ticagasync.Contact, error) {
	var c ticagasync.Contact
	var id int64
	err := rows.Scan(&id)
	c.BillingID = ticagasync.BillingIDOf(id)
	return c, err
}

func TestEach(t *testing.T) {
	sqlDB, _ := testdb.Open(t)
	testdb.Exec(t, sqlDB,
		"CREATE TABLE t (id BIGINT NOT NULL PRIMARY KEY)",
		"INSERT INTO t VALUES (-5), (0), (1), (7), (8), (20)")
	db := readertest.Gorm(t, sqlDB)
	s := keyset.Stream{System: "test", Table: "t", DB: db, PageSize: 2, Scan: scanID,
		Page: func(after int64, limit int) (string, []any) {
			return "SELECT id FROM t WHERE id > ? ORDER BY id LIMIT ?", []any{after, limit}
		}}

	var got []int64
	var pages [][]int64
	s.Complete = func(_ context.Context, page []ticagasync.Contact) error {
		pages = append(pages, readertest.IDs(page))
		return nil
	}
	err := s.Each(t.Context(), func(c ticagasync.Contact) error { n, _ := c.BillingID.Int(); got = append(got, n); return nil })
	if err != nil || len(got) != 6 || got[0] != -5 || got[5] != 20 || len(pages) != 3 {
		t.Fatalf("Each = %v, read %v in pages %v; want every id from -5 (the cursor starts below every id) in 3 pages", err, got, pages)
	}

	stop := errors.New("complete failed")
	s.Complete = func(context.Context, []ticagasync.Contact) error { return stop }
	if err := s.Each(t.Context(), func(ticagasync.Contact) error { return nil }); err != stop {
		t.Fatalf("Each with a failing Complete = %v, want its error as is", err)
	}
	s.Complete = nil

	// A page query that ignores the cursor would loop for ever: it is an
	// error instead.
	s.Page = func(_ int64, limit int) (string, []any) {
		return "SELECT id FROM t ORDER BY id LIMIT ?", []any{limit}
	}
	err = s.Each(t.Context(), func(ticagasync.Contact) error { return nil })
	if err == nil || !strings.Contains(err.Error(), "test: read t after id 0: id -5 does not follow id 0") {
		t.Fatalf("Each with a page that ignores the cursor = %v", err)
	}
}

func TestCheck(t *testing.T) {
	sqlDB, _ := testdb.Open(t)
	testdb.Exec(t, sqlDB, "CREATE TABLE a (id INT)")
	db := readertest.Gorm(t, sqlDB)
	err := keyset.Check(t.Context(), db, "test",
		keyset.Probe{Table: "a", SQL: "SELECT id FROM a LIMIT 0"},
		keyset.Probe{Table: "b", SQL: "SELECT id FROM b LIMIT 0"})
	if err == nil || !strings.HasPrefix(err.Error(), "test: table b: Error 1146") {
		t.Fatalf("Check = %v, want it to name table b", err)
	}
}

func TestCount(t *testing.T) {
	sqlDB, _ := testdb.Open(t)
	db := readertest.Gorm(t, sqlDB)
	_, err := keyset.Count(t.Context(), db, "test", "t", "SELECT COUNT(*) FROM t")
	if err == nil || !strings.HasPrefix(err.Error(), "test: count t: ") {
		t.Fatalf("Count without the table = %v, want an error naming it", err)
	}
	testdb.Exec(t, sqlDB, "CREATE TABLE t (id INT PRIMARY KEY)", "INSERT INTO t VALUES (1), (2), (3)")
	if n, err := keyset.Count(t.Context(), db, "test", "t", "SELECT COUNT(*) FROM t"); err != nil || n != 3 {
		t.Fatalf("Count = %d, %v; want 3", n, err)
	}
}
