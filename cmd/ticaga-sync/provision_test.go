package main

import (
	"database/sql"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

// dumpAllTables returns every row of every table of the fixture's database
// as text.
func dumpAllTables(t *testing.T, dsn string) string {
	t.Helper()
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()")
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	var b strings.Builder
	for _, table := range tables {
		rows, err := db.Query("SELECT * FROM `" + table + "`")
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]sql.RawBytes, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			_ = rows.Scan(ptrs...)
			for _, v := range vals {
				b.Write(v)
				b.WriteByte('|')
			}
			b.WriteByte('\n')
		}
		rows.Close()
	}
	if len(tables) < 5 {
		t.Fatalf("only tables %v", tables)
	}
	return b.String()
}

// The password of a created account is in no log line, output, report
// file or table: the test knows it from the fake Ticaga, and scans them.
func TestProvisionedPasswordIsNowhere(t *testing.T) {
	f := newFixture(t)
	f.env["SYNC_PROVISION"] = "true"
	report := filepath.Join(t.TempDir(), "report.csv")
	// The creating run, as a process logging at trace level, with the JSON
	// output and a report file.
	d := startDaemonArgs(t, f, []string{"sync", "--output", "json", "--report", report}, "LOG_LEVEL=trace")
	if err := d.cmd.Wait(); err != nil {
		t.Fatalf("sync: %v\n%s", err, d.logs.String())
	}
	cy := userByEmail(t, f.fake, "cy@example.com")
	if len(cy.Password) < 32 || cy.BillingID != "3" {
		t.Fatalf("created user = %+v", cy)
	}
	// And a text run in-process.
	code, out, stderr := f.main(t, "sync")
	if code != exitOK {
		t.Fatalf("second sync: exit %d\n%s\n%s", code, out, stderr)
	}
	file, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"text output": out, "logs": stderr + d.logs.String(), "report file": string(file),
		"database": dumpAllTables(t, f.env["BILLING_DSN"])} {
		if strings.Contains(text, cy.Password) {
			t.Errorf("the password of the created account appears in the %s", name)
		}
	}
	if !strings.Contains(string(file), "create") || !strings.Contains(d.logs.String(), `"action":"create"`) {
		t.Errorf("the run did not create through register:\n%s", file)
	}
}

func userByEmail(t *testing.T, fake *ticagatest.Server, email string) ticagatest.User {
	t.Helper()
	for _, u := range fake.Users() {
		if strings.EqualFold(u.Email, email) {
			return u
		}
	}
	t.Fatalf("no Ticaga user %s", email)
	return ticagatest.User{}
}

// A crash between register and the pairing row (a process killed while its
// register call is in flight) is repaired by the next run: it finds the new
// user carrying the billing id and writes only the row; nobody is
// registered twice.
func TestProvisionCrashBetweenRegisterAndRow(t *testing.T) {
	f := newFixture(t)
	f.env["SYNC_PROVISION"] = "true"
	d := startDaemonArgs(t, f, []string{"sync"})
	f.fake.SetHooks(ticagatest.Hooks{BeforeRequest: func(endpoint string, r *http.Request) {
		if endpoint == "register" {
			// Ticaga has the whole request; the process dies before the
			// answer reaches it.
			if err := r.ParseForm(); err != nil || r.PostForm.Get("email") == "" {
				t.Errorf("the register request did not arrive whole: %v %v", err, r.PostForm)
			}
			_ = d.cmd.Process.Signal(syscall.SIGKILL)
			_, _ = d.cmd.Process.Wait()
		}
	}})
	_ = d.cmd.Wait()
	f.fake.SetHooks(ticagatest.Hooks{})
	if f.fake.Calls("register") != 1 {
		t.Fatalf("the first run made %d register calls\n%s", f.fake.Calls("register"), d.logs.String())
	}
	// The fake finishes the register call the dead process made.
	for deadline := time.Now().Add(10 * time.Second); len(f.fake.Users()) < 3 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	cy := userByEmail(t, f.fake, "cy@example.com")
	db, err := sql.Open("mysql", f.env["BILLING_DSN"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var rows int
	if err := db.QueryRow("SELECT COUNT(*) FROM ticaga_billing WHERE ticaga_userid = ?", cy.ID).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("the killed run wrote the row (%d, %v): the crash came too late", rows, err)
	}

	code, out, stderr := f.main(t, "sync", "--output", "json")
	if code != exitOK {
		t.Fatalf("next run: exit %d\n%s\n%s", code, out, stderr)
	}
	if f.fake.Calls("register") != 1 {
		t.Fatalf("registered %d times", f.fake.Calls("register"))
	}
	if err := db.QueryRow("SELECT COUNT(*) FROM ticaga_billing WHERE ticaga_userid = ? AND billing_userid = 3", cy.ID).Scan(&rows); err != nil || rows != 1 {
		t.Fatalf("the next run did not write the row: %d, %v\n%s", rows, err, out)
	}
	if !strings.Contains(out, `"created": 0`) || f.fake.Calls("customers/assign") != 2 {
		t.Fatalf("the next run created again, or assigned the created user (%d assign calls, 2 for ann and ben):\n%s",
			f.fake.Calls("customers/assign"), out)
	}
}
