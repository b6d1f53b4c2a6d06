package main

import (
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

// A first scan of a few thousand users, stopped by SIGTERM and then killed
// with SIGKILL, resumes each time from its last save: in all it re-reads at
// most 1,000 answers. The killed run is not left "running": the next run
// closes it as abandoned, and status shows it.
func TestFirstScanSurvivesSIGTERMAndKill9(t *testing.T) {
	f := newFixture(t)
	const extra = 3000
	for i := range extra {
		f.fake.AddUser(ticagatest.User{Name: "User", Email: fmt.Sprintf("user%04d@example.com", i)})
	}
	users := extra + 2 // the fixture's two
	db, err := sql.Open("mysql", f.env["BILLING_DSN"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// interrupt starts `sync` as a process and sends sig once the fake has
	// served n more customers/get calls.
	interrupt := func(n int32, sig syscall.Signal) string {
		var calls atomic.Int32
		d := startDaemonArgs(t, f, []string{"sync"})
		f.fake.SetHooks(ticagatest.Hooks{BeforeRequest: func(endpoint string, _ *http.Request) {
			if endpoint == "customers/get" && calls.Add(1) == n {
				_ = d.cmd.Process.Signal(sig)
			}
		}})
		err := d.cmd.Wait()
		f.fake.SetHooks(ticagatest.Hooks{})
		var ee *exec.ExitError
		if err == nil || !errors.As(err, &ee) {
			t.Fatalf("sync stopped by %v exited with %v\n%s", sig, err, d.logs.String())
		}
		return d.logs.String()
	}

	logs := interrupt(800, syscall.SIGTERM)
	if !strings.Contains(logs, "resumes") {
		t.Fatalf("the stopped run did not say it saved its scan:\n%s", logs)
	}
	var next int64
	if err := db.QueryRow("SELECT next_id FROM ticaga_sync_scan").Scan(&next); err != nil || next < 790 {
		t.Fatalf("after SIGTERM the scan position is %d (%v), want about 800", next, err)
	}
	interrupt(900, syscall.SIGKILL)
	var running int
	if err := db.QueryRow("SELECT COUNT(*) FROM ticaga_sync_runs WHERE outcome = 'running'").Scan(&running); err != nil || running != 1 {
		t.Fatalf("after kill -9: %d runs recorded as running (%v), want the killed one", running, err)
	}

	code, out, stderr := f.main(t, "sync", "--output", "json")
	if code != exitOK {
		t.Fatalf("sync after the interruptions = %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(out, `"resumed_at"`) || !strings.Contains(out, fmt.Sprintf(`"size": %d`, users)) {
		t.Fatalf("the last run did not resume to a whole directory:\n%s", out)
	}
	// Every id once, the gap after the last, the window in flight at each
	// interruption; re-reads beyond that stay under 1,000.
	total := f.fake.Calls("customers/get")
	reread := total - users - 5 - 2*8
	t.Logf("customers/get: %d calls for %d users (%d re-read)", total, users, reread)
	if reread > 1000 {
		t.Fatalf("re-read %d answers across two interruptions, want at most 1,000", reread)
	}

	var outcomes []string
	rows, err := db.Query("SELECT outcome FROM ticaga_sync_runs ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var o string
		_ = rows.Scan(&o)
		outcomes = append(outcomes, o)
	}
	rows.Close()
	if strings.Join(outcomes, ",") != "failed,abandoned,completed" {
		t.Fatalf("run outcomes = %v, want failed (SIGTERM), abandoned (kill -9), completed", outcomes)
	}
	code, out, _ = f.main(t, "status")
	_, runs, _ := strings.Cut(out, "Recent runs") // after the daemon's line ("not running")
	if code != exitOK || !strings.Contains(runs, "abandoned") || strings.Contains(runs, "running") {
		t.Fatalf("status = %d:\n%s", code, out)
	}
}

// check says with which status this Ticaga answers "no such user", and
// fails when it does not answer it as documented.
func TestCheckSaysTheNotFoundStatus(t *testing.T) {
	f := newFixture(t)
	for _, status := range []int{200, 404, 401} {
		f.fake.SetNotFoundStatus(status)
		code, out, stderr := f.main(t, "check")
		want := fmt.Sprintf("Ticaga says \"no such user\" with HTTP %d and the documented body", status)
		if code != exitOK || !strings.Contains(out, want) {
			t.Fatalf("not found on %d: exit %d, output lacks %q:\n%s\n%s", status, code, want, out, stderr)
		}
	}
	f.fake.SetUserFault(2147483647, ticagatest.UserFault{Status: 404, Body: []byte(`{"message":"Not Found"}`)})
	code, out, _ := f.main(t, "check")
	if code != exitFailed || !strings.Contains(out, "FAIL  Ticaga answers a missing user as documented") {
		t.Fatalf("an undocumented not-found: exit %d\n%s", code, out)
	}
}
