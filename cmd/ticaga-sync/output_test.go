package main

import (
	"database/sql"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A --report that cannot be written stops the command before the run:
// exit 2 naming --report and the path, no run recorded, no Ticaga call.
func TestReportPathCheckedBeforeTheRun(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	readOnly := filepath.Join(dir, "ro")
	if err := os.Mkdir(readOnly, 0o555); err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		filepath.Join(dir, "missing", "r.csv"): "directory " + filepath.Join(dir, "missing") + ": no such file or directory",
		filepath.Join(dir, "r.xlsx"):           "must end in .csv or .json",
	}
	if os.Geteuid() != 0 { // root writes anywhere
		cases[filepath.Join(readOnly, "r.csv")] = "cannot write in " + readOnly + ": permission denied"
	}
	for path, want := range cases {
		code, out, stderr := f.main(t, "sync", "--report", path)
		if code != exitUsage || !strings.Contains(stderr, "--report "+path+": ") || !strings.Contains(stderr, want) {
			t.Errorf("sync --report %s: exit %d, want 2 with %q\n%s\n%s", path, code, want, out, stderr)
		}
	}
	if n := f.fake.Calls("connection"); n != 0 {
		t.Errorf("%d Ticaga calls before the report path was refused", n)
	}
	db, err := sql.Open("mysql", f.env["BILLING_DSN"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var tables int
	if err := db.QueryRow("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'ticaga_sync_runs'").Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 0 {
		var runs int
		db.QueryRow("SELECT COUNT(*) FROM ticaga_sync_runs").Scan(&runs)
		if runs != 0 {
			t.Errorf("%d runs recorded although --report was refused", runs)
		}
	}
}

// `ticaga-sync sync --report r.csv | head -1`: the real binary's stdout is
// a pipe whose reader is gone before the report is printed. The program
// does not die of SIGPIPE: the run completes, is recorded, and the report
// file is written; the exit code is the run's.
func TestClosedStdoutLosesNothing(t *testing.T) {
	f := newFixture(t)
	for _, output := range []string{"text", "json"} {
		report := filepath.Join(t.TempDir(), "r.csv")
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		r.Close() // the reader is gone: every write to stdout fails
		p := &process{logs: &syncBuffer{}}
		p.cmd = exec.Command(buildBinary(t), "sync", "--output", output, "--report", report)
		p.cmd.Env = append(os.Environ(), "HTTP_ADDR=", ConfigFileVar+"=")
		for k, v := range f.env {
			p.cmd.Env = append(p.cmd.Env, k+"="+v)
		}
		p.cmd.Stdout, p.cmd.Stderr = w, p.logs
		if err := p.cmd.Start(); err != nil {
			t.Fatal(err)
		}
		w.Close()
		if err := p.cmd.Wait(); err != nil {
			t.Fatalf("--output %s with stdout closed: %v\n%s", output, err, p.logs.String())
		}
		rows := readCSV(t, report)
		if len(rows) != 4 { // the header and three customers
			t.Fatalf("--output %s: the report file has %d rows, want 4:\n%v", output, len(rows), rows)
		}
	}
	db, err := sql.Open("mysql", f.env["BILLING_DSN"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var completed int
	if err := db.QueryRow("SELECT COUNT(*) FROM ticaga_sync_runs WHERE outcome = 'completed'").Scan(&completed); err != nil || completed < 2 {
		t.Fatalf("%d completed runs recorded (%v), want 2", completed, err)
	}
}

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	fh, err := os.Open(path)
	if err != nil {
		t.Fatalf("the report file: %v", err)
	}
	defer fh.Close()
	rows, err := csv.NewReader(fh).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
