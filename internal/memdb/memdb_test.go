package memdb

import (
	"database/sql"
	"testing"

	_ "github.com/go-sql-driver/mysql"
)

// The demo relies on these behaving as on MySQL/MariaDB.
func TestServerSpeaksTheSQLTheDaemonUses(t *testing.T) {
	s, err := Start("blesta")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	db, err := sql.Open("mysql", s.DSN())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		"CREATE TABLE t (id INT UNSIGNED NOT NULL PRIMARY KEY, v VARCHAR(10) NOT NULL, s ENUM('active','inactive') NOT NULL DEFAULT 'active') ENGINE=InnoDB DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci",
		"INSERT INTO t (id, v) VALUES (1, 'a'), (2, 'b'), (3, 'c')",
		"INSERT INTO t (id, v) VALUES (2, 'B') ON DUPLICATE KEY UPDATE v = VALUES(v)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	var id int
	var v string
	if err := db.QueryRow("SELECT id, v FROM t WHERE id > ? AND s IN (?) ORDER BY id LIMIT ?", 1, "active", 1).Scan(&id, &v); err != nil {
		t.Fatal(err)
	}
	if id != 2 || v != "B" {
		t.Fatalf("keyset page after upsert = %d %q, want 2 \"B\"", id, v)
	}

	holder, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	other, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var got sql.NullInt64
	if err := holder.QueryRowContext(t.Context(), "SELECT GET_LOCK('ticaga-sync:demo', 0)").Scan(&got); err != nil || got.Int64 != 1 {
		t.Fatalf("GET_LOCK = %v, %v; want 1", got, err)
	}
	if err := other.QueryRowContext(t.Context(), "SELECT GET_LOCK('ticaga-sync:demo', 0)").Scan(&got); err != nil || got.Int64 != 0 {
		t.Fatalf("second GET_LOCK = %v, %v; want 0 (held)", got, err)
	}
}
