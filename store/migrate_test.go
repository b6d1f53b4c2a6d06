package store

import (
	"database/sql"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"github.com/ticaga/ticaga-sync/internal/testdb"
)

var allTables = []string{"ticaga_billing", "ticaga_sync_migrations", "ticaga_sync_runs", "ticaga_sync_directory", "ticaga_sync_decisions", "ticaga_sync_notify", "ticaga_sync_unknown", "ticaga_sync_scan", "ticaga_sync_exclusions", "ticaga_sync_locks", "ticaga_sync_pairings"}

// pluginTableUTF8MyISAM is ticaga_billing as some installs have it.
const pluginTableUTF8MyISAM = "CREATE TABLE ticaga_billing (" +
	"ticaga_userid INT(10) NOT NULL DEFAULT 0 PRIMARY KEY," +
	"billing_userid INT(10) NOT NULL DEFAULT 0," +
	"email_address VARCHAR(255) NOT NULL DEFAULT ''," +
	"billing_system VARCHAR(255) NOT NULL DEFAULT ''," +
	"company_id INT(10) NOT NULL" +
	") ENGINE=MyISAM DEFAULT CHARSET=utf8 COLLATE=utf8_unicode_ci"

func showCreate(t *testing.T, raw *sql.DB, table string) string {
	t.Helper()
	var name, ddl string
	if err := raw.QueryRow("SHOW CREATE TABLE `"+table+"`").Scan(&name, &ddl); err != nil {
		t.Fatalf("show create %s: %v", table, err)
	}
	return ddl
}

func queryStrings(t *testing.T, raw *sql.DB, q string, args ...any) [][]string {
	t.Helper()
	rows, err := raw.Query(q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = "NULL"
			if v.Valid {
				row[i] = v.String
			}
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMigrateCreatesTables(t *testing.T) {
	t.Parallel()
	s, raw := migrated(t)

	got := queryStrings(t, raw, "SELECT column_name, column_type, is_nullable, column_default, column_key "+
		"FROM information_schema.columns WHERE table_schema = DATABASE() AND table_name = 'ticaga_billing' ORDER BY ordinal_position")
	want := [][]string{
		{"ticaga_userid", "int(10)", "NO", "0", "PRI"},
		{"billing_userid", "int(10)", "NO", "0", ""},
		{"email_address", "varchar(255)", "NO", "''", ""},
		{"billing_system", "varchar(255)", "NO", "''", ""},
		{"company_id", "int(10)", "NO", "NULL", ""},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ticaga_billing columns:\n got %q\nwant %q", got, want)
	}

	tables := queryStrings(t, raw, "SELECT table_name, engine, table_collation FROM information_schema.tables "+
		"WHERE table_schema = DATABASE() ORDER BY table_name")
	if len(tables) != len(allTables) {
		t.Fatalf("tables = %q, want %q", tables, allTables)
	}
	for _, tb := range tables {
		if tb[1] != "InnoDB" || !strings.HasPrefix(tb[2], "utf8mb4") {
			t.Errorf("table %s is %s %s, want InnoDB utf8mb4", tb[0], tb[1], tb[2])
		}
	}
	if v := queryStrings(t, raw, "SELECT version FROM ticaga_sync_migrations ORDER BY version"); !reflect.DeepEqual(v, [][]string{{"1"}, {"2"}, {"3"}, {"4"}, {"5"}, {"6"}, {"7"}, {"8"}}) {
		t.Errorf("recorded versions = %q", v)
	}
	cur, latest, err := s.SchemaVersion(t.Context())
	if err != nil || cur != latest || latest != 8 {
		t.Errorf("SchemaVersion = %d, %d, %v", cur, latest, err)
	}
	idx := queryStrings(t, raw, "SELECT column_name, sub_part FROM information_schema.statistics "+
		"WHERE table_schema = DATABASE() AND table_name = 'ticaga_sync_directory' AND index_name = 'idx_directory_email' ORDER BY seq_in_index")
	if !reflect.DeepEqual(idx, [][]string{{"target", "NULL"}, {"email_key", "191"}}) {
		t.Errorf("directory email index = %q", idx)
	}
}

func TestSchemaVersionBeforeMigrate(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	cur, latest, err := s.SchemaVersion(t.Context())
	if err != nil || cur != 0 || latest != 8 {
		t.Errorf("SchemaVersion = %d, %d, %v; want 0, 8, nil", cur, latest, err)
	}
}

func TestMigrateTwiceIsANoOp(t *testing.T) {
	t.Parallel()
	s, raw := migrated(t)
	snapshot := func() []string {
		var out []string
		for _, tb := range allTables {
			out = append(out, showCreate(t, raw, tb))
		}
		for _, r := range queryStrings(t, raw, "SELECT version, name, applied_at FROM ticaga_sync_migrations ORDER BY version") {
			out = append(out, strings.Join(r, "|"))
		}
		return out
	}
	before := snapshot()
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("second Migrate: %v", err)
	}
	if after := snapshot(); !reflect.DeepEqual(before, after) {
		t.Errorf("second Migrate changed the schema:\n%q\n%q", before, after)
	}
}

func TestMigrateKeepsPluginTable(t *testing.T) {
	t.Parallel()
	s, raw := openTest(t)
	testdb.Exec(t, raw, pluginTableUTF8MyISAM,
		"INSERT INTO ticaga_billing VALUES (8, 2, 'Dance@Example.com', 'Blesta', 1), (9, 3, 'zoë@example.com', 'blesta', 1)")
	before := showCreate(t, raw, "ticaga_billing")
	rowsBefore := queryStrings(t, raw, "SELECT * FROM ticaga_billing ORDER BY ticaga_userid")

	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if after := showCreate(t, raw, "ticaga_billing"); after != before {
		t.Errorf("ticaga_billing changed:\n%s\n%s", before, after)
	}
	if rows := queryStrings(t, raw, "SELECT * FROM ticaga_billing ORDER BY ticaga_userid"); !reflect.DeepEqual(rows, rowsBefore) {
		t.Errorf("rows changed: %q, want %q", rows, rowsBefore)
	}
	if err := s.CheckWritable(t.Context()); err != nil {
		t.Errorf("CheckWritable on a MyISAM plugin table: %v", err)
	}
	if rows := queryStrings(t, raw, "SELECT * FROM ticaga_billing ORDER BY ticaga_userid"); !reflect.DeepEqual(rows, rowsBefore) {
		t.Errorf("CheckWritable changed rows: %q", rows)
	}
}

func TestMigrateRejectsIncompatiblePluginTable(t *testing.T) {
	t.Parallel()
	for name, c := range map[string]struct{ ddl, mention string }{
		"missing column": {"CREATE TABLE ticaga_billing (ticaga_userid INT(10) NOT NULL DEFAULT 0 PRIMARY KEY, " +
			"billing_userid INT(10) NOT NULL DEFAULT 0, email_address VARCHAR(255) NOT NULL DEFAULT '', " +
			"billing_system VARCHAR(255) NOT NULL DEFAULT '')", "company_id"},
		"no key": {"CREATE TABLE ticaga_billing (ticaga_userid INT(10) NOT NULL DEFAULT 0, " +
			"billing_userid INT(10) NOT NULL DEFAULT 0, email_address VARCHAR(255) NOT NULL DEFAULT '', " +
			"billing_system VARCHAR(255) NOT NULL DEFAULT '', company_id INT(10) NOT NULL)", "ticaga_userid"},
		"wrong type": {"CREATE TABLE ticaga_billing (ticaga_userid INT(10) NOT NULL DEFAULT 0 PRIMARY KEY, " +
			"billing_userid DATETIME NULL, email_address VARCHAR(255) NOT NULL DEFAULT '', " +
			"billing_system VARCHAR(255) NOT NULL DEFAULT '', company_id INT(10) NOT NULL)", "billing_userid"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s, raw := openTest(t)
			testdb.Exec(t, raw, c.ddl)
			before := showCreate(t, raw, "ticaga_billing")
			err := s.Migrate(t.Context())
			if !errors.Is(err, ErrIncompatibleTable) || !strings.Contains(err.Error(), c.mention) {
				t.Fatalf("Migrate = %v, want ErrIncompatibleTable naming %s", err, c.mention)
			}
			if after := showCreate(t, raw, "ticaga_billing"); after != before {
				t.Errorf("ticaga_billing changed:\n%s\n%s", before, after)
			}
			if n := queryStrings(t, raw, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE()"); n[0][0] != "1" {
				t.Errorf("%s tables exist, want only ticaga_billing", n[0][0])
			}
		})
	}
}

func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	raw, dsn := testdb.Open(t)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() {
			s, err := Open(t.Context(), dsn, zerolog.Nop())
			if err != nil {
				errs[i] = err
				return
			}
			defer s.Close()
			errs[i] = s.Migrate(t.Context())
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate %d: %v", i, err)
		}
	}
	if v := queryStrings(t, raw, "SELECT COUNT(*), COUNT(DISTINCT version) FROM ticaga_sync_migrations"); v[0][0] != "8" || v[0][1] != "8" {
		t.Errorf("migrations recorded: %q", v)
	}
}

func TestMigrateAcceptsUniqueKeyOnTicagaUserID(t *testing.T) {
	t.Parallel()
	s, raw := openTest(t)
	testdb.Exec(t, raw, "CREATE TABLE ticaga_billing (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, "+
		"ticaga_userid INT(10) UNSIGNED NOT NULL DEFAULT 0, billing_userid BIGINT NOT NULL DEFAULT 0, "+
		"email_address TEXT NOT NULL, billing_system VARCHAR(255) NOT NULL DEFAULT '', company_id INT(10) NULL, "+
		"UNIQUE KEY uq_ticaga (ticaga_userid))")
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
}

// A crash between a step's DDL and its record is repaired by the next
// Migrate, also for a step that adds a column.
func TestMigrateRepairsAnUnrecordedStep(t *testing.T) {
	t.Parallel()
	s, raw := migrated(t)
	if _, err := raw.ExecContext(t.Context(), "DELETE FROM ticaga_sync_migrations WHERE version >= 5"); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatalf("Migrate over applied but unrecorded steps: %v", err)
	}
	if cur, latest, err := s.SchemaVersion(t.Context()); err != nil || cur != latest {
		t.Fatalf("SchemaVersion = %d, %d, %v", cur, latest, err)
	}
}
