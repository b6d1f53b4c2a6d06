package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/ticaga/ticaga-sync/daemon"
	"github.com/ticaga/ticaga-sync/internal/testfixture"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

const testToken = "tok-cmd-test-SECRET-77"

// fixture is a Blesta database on MariaDB with three customers and a fake
// Ticaga where two of them have an account.
type fixture struct {
	env  map[string]string
	fake *ticagatest.Server
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	env, fake := testfixture.Blesta(t, testToken)
	return &fixture{env: env, fake: fake}
}

// main runs the command line in-process with the fixture's environment.
func (f *fixture) main(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	return runMain(t, f.env, args...)
}

func runMain(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := Main(t.Context(), args, Env{Stdout: &out, Stderr: &errOut, Getenv: func(k string) (string, bool) {
		v, ok := env[k]
		if !ok && k == ConfigFileVar {
			return "", true // hermetic: never this machine's /etc/ticaga-sync
		}
		return v, ok
	}})
	return code, out.String(), errOut.String()
}

func TestSyncJSONReport(t *testing.T) {
	f := newFixture(t)
	code, out, stderr := f.main(t, "sync", "--output", "json")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	var rep struct {
		Counts    map[string]int   `json:"counts"`
		APICalls  *int             `json:"api_calls"`
		DryRun    *bool            `json:"dry_run"`
		Decisions []map[string]any `json:"decisions"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("stdout is not one JSON object: %v\n%s", err, out)
	}
	wantCounts := map[string]int{"contacts": 3, "linked": 2, "created": 0, "already_linked": 0, "no_match": 1, "conflict": 0, "invalid_email": 0, "failed": 0, "excluded": 0}
	if !maps.Equal(rep.Counts, wantCounts) {
		t.Errorf("counts = %v, want %v", rep.Counts, wantCounts)
	}
	if rep.APICalls == nil || *rep.APICalls < 3 || rep.DryRun == nil || *rep.DryRun {
		t.Errorf("api_calls = %v, dry_run = %v", rep.APICalls, rep.DryRun)
	}
	if len(rep.Decisions) != 3 {
		t.Fatalf("decisions = %v", rep.Decisions)
	}
	for _, d := range rep.Decisions {
		for _, k := range []string{"billing_id", "email", "ticaga_id", "action", "reason"} {
			if _, ok := d[k]; !ok {
				t.Errorf("decision %v lacks %q", d, k)
			}
		}
		if d["email"] == "cy@example.com" && (d["ticaga_id"] != nil || d["action"] != "no_match") {
			t.Errorf("cy: %v, want no_match with ticaga_id null", d)
		}
	}
	if strings.Contains(out+stderr, testToken) {
		t.Fatal("the token appears in the output")
	}

	// The second run: everything linked is already linked, and left out of
	// the decisions list.
	code, out, _ = f.main(t, "sync", "--output", "json")
	if code != exitOK || !strings.Contains(out, `"already_linked": 2`) || f.fake.Calls("customers/assign") != 2 {
		t.Fatalf("second run: exit %d, assign calls %d\n%s", code, f.fake.Calls("customers/assign"), out)
	}
}

func TestSyncTextReport(t *testing.T) {
	f := newFixture(t)
	code, out, stderr := f.main(t, "sync", "--dry-run")
	if code != exitOK {
		t.Fatalf("exit %d, stderr:\n%s", code, stderr)
	}
	for _, want := range []string{"Dry run", "3 contacts: 2 to link, 0 already linked, 1 no match", "Would link: 2", "cy@example.com"} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	if f.fake.Calls("customers/assign") != 0 {
		t.Fatal("dry run assigned")
	}
}

func TestExitCodes(t *testing.T) {
	f := newFixture(t)
	with := func(k, v string) map[string]string {
		m := maps.Clone(f.env)
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		want     int
		inStderr string
	}{
		{"no command", f.env, nil, exitUsage, ""},
		{"unknown command", f.env, []string{"frobnicate"}, exitUsage, `unknown command "frobnicate"`},
		{"unknown flag", f.env, []string{"sync", "--nope"}, exitUsage, "flag provided but not defined"},
		{"bad output", f.env, []string{"sync", "--output", "xml"}, exitUsage, "--output must be text or json"},
		{"bad client", f.env, []string{"sync", "--client", "x"}, exitUsage, `"x" is not a billing client id`},
		{"unknown source", f.env, []string{"sync", "--source", "nope"}, exitUsage, "no source matches"},
		{"missing setting", with("BILLING_DSN", ""), []string{"sync"}, exitUsage, "BILLING_DSN: required"},
		{"no Ticaga setting and no plugin", with("TICAGA_URL", ""), []string{"sync"}, exitFailed, "source blesta skipped: blesta: read the Ticaga plugin's ticaga_settings (set TICAGA_URL when the plugin is not installed)"},
		{"malformed setting", with("SYNC_CONCURRENCY", "lots"), []string{"sync"}, exitUsage, "SYNC_CONCURRENCY"},
		{"bad schedule", with("SYNC_SCHEDULE", "every day"), []string{"run"}, exitUsage, "SYNC_SCHEDULE"},
		{"rejected token", with("TICAGA_API_TOKEN", "wrong-token"), []string{"sync"}, exitFailed, "Ticaga rejected the API token; check TICAGA_API_TOKEN (or TICAGA_API_TOKEN_FILE)"},
		{"unknown billing status", with("BILLING_STATUSES", "activ"), []string{"sync"}, exitUsage, `BILLING_STATUSES: unknown status "activ" for blesta (valid: active, inactive, fraud)`},
		{"provision status not read", with("SYNC_PROVISION_STATUSES", "inactive"), []string{"sync"}, exitUsage, `SYNC_PROVISION_STATUSES: status "inactive" is not among the statuses the source reads (BILLING_STATUSES: active)`},
		{"unknown provision status", with("SYNC_PROVISION_STATUSES", "activ"), []string{"sync"}, exitUsage, `SYNC_PROVISION_STATUSES: unknown status "activ" for blesta`},
		{"config file missing", f.env, []string{"sync", "--config", "/nonexistent/ticaga.env"}, exitUsage, "/nonexistent/ticaga.env"},
		{"demo is its own program", f.env, []string{"demo"}, exitUsage, "go run ./cmd/ticaga-sync-demo"},
		{"version", f.env, []string{"version"}, exitOK, ""},
		{"help", f.env, []string{"help"}, exitOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, stderr := runMain(t, tt.env, tt.args...)
			if code != tt.want {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.want, out, stderr)
			}
			if !strings.Contains(stderr, tt.inStderr) {
				t.Fatalf("stderr lacks %q:\n%s", tt.inStderr, stderr)
			}
			if strings.Contains(out+stderr, "wrong-token") || strings.Contains(out+stderr, testToken) {
				t.Fatal("a token appears in the output")
			}
		})
	}
}

func TestSyncLockHeldExitsThree(t *testing.T) {
	f := newFixture(t)
	if code, _, stderr := f.main(t, "migrate"); code != exitOK {
		t.Fatalf("migrate: %s", stderr)
	}
	holdRunLock(t, f.env)
	code, _, stderr := f.main(t, "sync")
	if code != exitLocked || !strings.Contains(stderr, "--wait") {
		t.Fatalf("exit %d, want 3; stderr: %s", code, stderr)
	}
	// Who holds it, once: this test's process on this host, since when.
	host, _ := os.Hostname()
	want := fmt.Sprintf("the run lock of blesta is held on host %s, process %d, since ", host, os.Getpid())
	if !strings.Contains(stderr, want) || strings.Count(stderr, "lock") != 1 || !strings.Contains(stderr, " UTC") && !strings.Contains(stderr, time.Now().Format("MST")) {
		t.Fatalf("the lock message should say who holds it, once:\n%s", stderr)
	}
	if f.fake.TotalCalls() != 0 {
		t.Fatal("a locked-out sync talked to Ticaga")
	}
}

func TestCheck(t *testing.T) {
	f := newFixture(t)
	code, out, stderr := f.main(t, "check")
	if code != exitOK || !strings.Contains(out, "not migrated yet") {
		t.Fatalf("before migrate: exit %d\n%s\n%s", code, out, stderr)
	}
	if code, _, stderr := f.main(t, "migrate"); code != exitOK {
		t.Fatal(stderr)
	}
	code, out, stderr = f.main(t, "check")
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	for _, want := range []string{"ok    billing tables readable", "ok    store reachable and writable", "ok    Ticaga reachable", "TICAGA_API_TOKEN=[redacted]", "all checks passed"} {
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
	}

	bad := maps.Clone(f.env)
	bad["TICAGA_API_TOKEN"] = "wrong-token"
	code, out, _ = runMain(t, bad, "check")
	if code != exitFailed || !strings.Contains(out, "FAIL  Ticaga reachable") || strings.Contains(out, "wrong-token") ||
		!strings.Contains(out, "Ticaga rejected the API token; check TICAGA_API_TOKEN") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
	// Every check runs and reports, whatever failed before it: a broken
	// selection and a rejected token are both reported, the store too.
	bad["BILLING_STATUSES"] = "fraud"
	code, out, _ = runMain(t, bad, "check")
	for _, want := range []string{"ok    billing tables readable", "FAIL  billing selection reads customers", "ok    store reachable and writable",
		"FAIL  Ticaga reachable", "skip  Ticaga answers a missing user as documented (customers/get): needs Ticaga reachable", "some checks failed"} {
		if code != exitFailed || !strings.Contains(out, want) {
			t.Errorf("check with two failures lacks %q:\n%s", want, out)
		}
	}
	// A store that cannot be opened stops the source, not the check: its
	// Ticaga and token are still checked and reported.
	noStore := maps.Clone(f.env)
	noStore["STORE_DSN"] = f.env["BILLING_DSN"][:strings.LastIndex(f.env["BILLING_DSN"], "/")] + "/ticaga_sync_no_such_database"
	code, out, _ = runMain(t, noStore, "check")
	for _, want := range []string{"FAIL  source can run: STORE_DSN: ", "Unknown database",
		"skip  billing database reachable (BILLING_DSN): not checked while the source cannot run", "skip  billing tables readable (blesta): not checked",
		"skip  billing selection reads customers", "skip  store reachable and writable (STORE_DSN): not checked while the source cannot run",
		"ok    Ticaga reachable and API token accepted", "ok    Ticaga answers a missing user as documented", "some checks failed"} {
		if code != exitFailed || !strings.Contains(out, want) {
			t.Errorf("check with an unreachable store lacks %q:\n%s", want, out)
		}
	}
	noStore["TICAGA_API_TOKEN"] = "wrong-token"
	code, out, _ = runMain(t, noStore, "check")
	if code != exitFailed || !strings.Contains(out, "FAIL  source can run: STORE_DSN: ") ||
		!strings.Contains(out, "FAIL  Ticaga reachable") || !strings.Contains(out, "check TICAGA_API_TOKEN") || strings.Contains(out, "wrong-token") {
		t.Errorf("check with an unreachable store and a rejected token: exit %d\n%s", code, out)
	}
}

func TestStatusShowsRunsAndOpenDecisions(t *testing.T) {
	f := newFixture(t)
	if code, _, stderr := f.main(t, "sync"); code != exitOK {
		t.Fatal(stderr)
	}
	code, out, stderr := f.main(t, "status")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"Ticaga directories:", "2 users (highest id 2), oldest entry read", "Recent runs (1)", "completed", "Not linked (1)", "no_match / no_ticaga_user: 1", "client 3", "cy@example.com"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}
}

// TestDaemonStopsCleanlyOnSIGTERM starts the real binary as a process,
// waits for its first run, sends SIGTERM and expects exit 0.
func TestDaemonStopsCleanlyOnSIGTERM(t *testing.T) {
	f := newFixture(t)
	bin := buildBinary(t)
	// Play systemd: a notify socket and a watchdog of 300ms.
	sockPath := filepath.Join(t.TempDir(), "notify.sock")
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sockPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	var notes syncBuffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := sock.Read(buf)
			if err != nil {
				return
			}
			notes.Write(append(buf[:n:n], '\n'))
		}
	}()

	cmd := exec.Command(bin, "run")
	cmd.Env = append(os.Environ(), "SYNC_SCHEDULE=@every 1h", "NOTIFY_SOCKET="+sockPath, "WATCHDOG_USEC=300000")
	for k, v := range f.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var logs syncBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(logs.String(), "waiting for the next scheduled run") {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not finish its first run:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(400 * time.Millisecond) // at least one watchdog ping
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("daemon exited with %v\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("daemon did not stop within 15s of SIGTERM\n%s", logs.String())
	}
	if f.fake.Calls("customers/assign") != 2 {
		t.Fatalf("the daemon's first run made %d assign calls, want 2", f.fake.Calls("customers/assign"))
	}
	if strings.Contains(logs.String(), testToken) {
		t.Fatal("the token appears in the daemon's logs")
	}
	for _, want := range []string{"READY=1", "WATCHDOG=1", "STOPPING=1"} {
		if !strings.Contains(notes.String(), want) {
			t.Errorf("systemd was not told %s; it got:\n%s", want, notes.String())
		}
	}
	for _, want := range []string{`"message":"ticaga-sync daemon stopped"`, `"message":"run finished"`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %s", want)
		}
	}
}

// holdRunLock takes the run lock of the first source of env, as another
// process running it would, until the test ends.
func holdRunLock(t *testing.T, env map[string]string) {
	t.Helper()
	a, err := openAppForTest(t, env)
	if err != nil {
		t.Fatal(err)
	}
	src := a.Sources()[0]
	_, unlock, err := src.Store().Lock(t.Context(), src.Engine().Name, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unlock)
}

func openAppForTest(t *testing.T, env map[string]string) (*daemon.App, error) {
	t.Helper()
	d, err := daemon.Load(t.Context(), "", func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	})
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	a, err := daemon.Open(context.Background(), d, daemon.Options{Log: zerolog.Nop()})
	if err == nil {
		t.Cleanup(func() { a.Close() })
	}
	return a, err
}
