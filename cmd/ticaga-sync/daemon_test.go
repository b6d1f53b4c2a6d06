package main

import (
	"database/sql"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// buildBinary builds the ticaga-sync binary once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ticaga-sync-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "ticaga-sync")
		if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
			buildErr = &buildError{err, string(out)}
		}
	})
	if buildErr != nil {
		t.Fatalf("build: %v", buildErr)
	}
	return binPath
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return e.err.Error() + "\n" + e.out }

// daemon is the real binary running `run` with the fixture's settings.
type daemon struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	addr string
}

func startDaemon(t *testing.T, f *fixture, extra ...string) *daemon {
	t.Helper()
	return startDaemonArgs(t, f, []string{"run"}, extra...)
}

func startDaemonArgs(t *testing.T, f *fixture, args []string, extra ...string) *daemon {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	d := &daemon{cmd: exec.Command(buildBinary(t), args...), logs: &syncBuffer{}, addr: addr}
	d.cmd.Env = append(os.Environ(), "HTTP_ADDR="+addr)
	for k, v := range f.env {
		d.cmd.Env = append(d.cmd.Env, k+"="+v)
	}
	d.cmd.Env = append(d.cmd.Env, extra...)
	d.cmd.Stderr = d.logs
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.cmd.Process.Kill(); d.cmd.Wait() })
	return d
}

func (d *daemon) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + d.addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// waitFor polls cond for up to 30 seconds.
func (d *daemon) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; daemon logs:\n%s", what, d.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (d *daemon) stop(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Wait(); err != nil {
		t.Fatalf("daemon exited with %v\n%s", err, d.logs.String())
	}
}

// The daemon with the unit's settings serves /metrics with the domain
// series after one run against the fake Ticaga; /readyz turns 503 when
// Ticaga becomes unreachable and 200 again after recovery.
func TestDaemonMetricsAndReadiness(t *testing.T) {
	f := newFixture(t)
	// As the unit starts it: the token only as the systemd credential
	// (LoadCredential=ticaga-api-token:...), never in the environment.
	creds := t.TempDir()
	if err := os.WriteFile(filepath.Join(creds, "ticaga-api-token"), []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	unitEnv := &fixture{fake: f.fake, env: maps.Clone(f.env)}
	delete(unitEnv.env, "TICAGA_API_TOKEN")
	unitEnv.env["CREDENTIALS_DIRECTORY"] = creds
	d := startDaemon(t, unitEnv, "SYNC_SCHEDULE=@every 1s", "TICAGA_TIMEOUT=2s")

	d.waitFor(t, "ready", func() bool { code, _ := d.get(t, "/readyz"); return code == 200 })
	d.waitFor(t, "a finished run in /metrics", func() bool {
		_, body := d.get(t, "/metrics")
		return strings.Contains(body, `ticaga_sync_runs_total{outcome="completed",source="blesta"} `) &&
			!strings.Contains(body, `ticaga_sync_runs_total{outcome="completed",source="blesta"} 0`)
	})
	_, body := d.get(t, "/metrics")
	for _, series := range []string{
		`ticaga_sync_decisions{action="no_match",reason="no_ticaga_user",source="blesta"} 1`,
		`ticaga_sync_decisions_total{action="link",reason="none",source="blesta"} 2`,
		`ticaga_sync_ticaga_requests_total{endpoint="customers/get",source="blesta",status="200"}`,
		`ticaga_sync_run_duration_seconds_bucket{source="blesta"`,
		`ticaga_sync_directory_users{source="blesta"} 2`,
		`ticaga_sync_last_success_timestamp_seconds{source="blesta"}`,
		`ticaga_sync_lock_held{source="blesta"}`,
		`ticaga_sync_ticaga_retries_total{source="blesta"}`,
		`ticaga_sync_build_info{`,
	} {
		if !strings.Contains(body, series) {
			t.Errorf("/metrics lacks %s", series)
		}
	}
	if code, _ := d.get(t, "/healthz"); code != 200 {
		t.Errorf("/healthz = %d", code)
	}

	f.fake.Down(true)
	d.waitFor(t, "/readyz 503 while Ticaga is down", func() bool { code, _ := d.get(t, "/readyz"); return code == 503 })
	_, reasons := d.get(t, "/readyz")
	if !strings.Contains(reasons, "blesta") {
		t.Errorf("/readyz body does not name the source: %q", reasons)
	}
	f.fake.Down(false)
	d.waitFor(t, "/readyz 200 after recovery", func() bool { code, _ := d.get(t, "/readyz"); return code == 200 })
	d.stop(t)
}

// A one-off sync while the daemon runs is executed by the daemon: one run
// at a time, no second lock holder, the report printed by the client.
func TestOneOffSyncRunsInsideTheDaemon(t *testing.T) {
	f := newFixture(t)
	d := startDaemon(t, f, "SYNC_SCHEDULE=@every 1h")
	d.waitFor(t, "the first run", func() bool { return strings.Contains(d.logs.String(), "waiting for the next scheduled run") })
	runsBefore := f.fake.Calls("connection")

	code, out, stderr := runMain(t, f.env, "sync", "--output", "json")
	if code != exitOK || !strings.Contains(stderr, "the running daemon did the run") {
		t.Fatalf("exit %d\nstdout: %s\nstderr: %s", code, out, stderr)
	}
	if !strings.Contains(out, `"already_linked": 2`) {
		t.Fatalf("report: %s", out)
	}
	if !strings.Contains(d.logs.String(), "one-off run requested on the control socket") {
		t.Fatalf("the daemon did not log the request:\n%s", d.logs.String())
	}
	if n := f.fake.Calls("connection") - runsBefore; n != 1 {
		t.Fatalf("%d runs happened for one one-off sync", n)
	}
	// The text report comes through the socket as well, and a dry run too.
	code, out, _ = runMain(t, f.env, "sync", "--dry-run")
	if code != exitOK || !strings.Contains(out, "Dry run") || !strings.Contains(out, "2 already linked") {
		t.Fatalf("dry run via the daemon: exit %d\n%s", code, out)
	}
	d.stop(t)
	// After the daemon is gone, sync runs in its own process again.
	code, _, stderr = runMain(t, f.env, "sync")
	if code != exitOK || strings.Contains(stderr, "the running daemon did the run") {
		t.Fatalf("after stop: exit %d, %s", code, stderr)
	}
}

// SIGHUP reloads the configuration file (an invalid one is refused and the
// running configuration kept); SIGUSR1 starts a run now.
func TestDaemonReloadAndTrigger(t *testing.T) {
	f := newFixture(t)
	file := filepath.Join(t.TempDir(), "ticaga-sync.env")
	write := func(extra string) {
		var b strings.Builder
		for k, v := range f.env {
			b.WriteString(k + "=" + v + "\n")
		}
		b.WriteString("SYNC_SCHEDULE=@every 1h\n" + extra)
		if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("")
	d := startDaemonArgs(t, &fixture{fake: f.fake, env: map[string]string{}}, []string{"run", "--config", file})
	runs := func() int { return f.fake.Calls("connection") }
	d.waitFor(t, "the first run", func() bool { return runs() == 1 })

	d.cmd.Process.Signal(syscall.SIGUSR1)
	d.waitFor(t, "a run on SIGUSR1", func() bool { return runs() == 2 })

	write("SYNC_CONCURRENCY=lots\n")
	d.cmd.Process.Signal(syscall.SIGHUP)
	d.waitFor(t, "the invalid reload refused", func() bool {
		return strings.Contains(d.logs.String(), "keeping the running one")
	})
	if !strings.Contains(d.logs.String(), "SYNC_CONCURRENCY") {
		t.Errorf("the refused reload does not name the variable:\n%s", d.logs.String())
	}

	write("SYNC_CONCURRENCY=2\n")
	d.cmd.Process.Signal(syscall.SIGHUP)
	d.waitFor(t, "the reload and its first run", func() bool {
		return strings.Count(d.logs.String(), "sources started") == 2 && runs() == 3
	})
	// The reloaded daemon's control socket takes one-off syncs (the old
	// generation's shutdown must not remove it).
	d.waitFor(t, "the new control socket", func() bool { return strings.Count(d.logs.String(), "control socket listening") == 2 })
	code, _, stderr := runMain(t, f.env, "sync")
	if code != exitOK || !strings.Contains(stderr, "the running daemon did the run") {
		t.Fatalf("sync after a reload: exit %d, %s", code, stderr)
	}
	d.stop(t)
}

// The daemon reports changed decisions to the webhook once, not every
// run, and reports a failed run.
func TestDaemonWebhook(t *testing.T) {
	f := newFixture(t)
	var mu sync.Mutex
	var posts []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		posts = append(posts, string(body))
		mu.Unlock()
	}))
	defer hook.Close()
	got := func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), posts...) }

	d := startDaemon(t, f, "SYNC_SCHEDULE=@every 1h", "NOTIFY_WEBHOOK_URL="+hook.URL+"/hook?token=s3cr3t", "NOTIFY_ACTIONS=no_match,failed")
	d.waitFor(t, "the first report", func() bool { return len(got()) == 1 })
	if p := got()[0]; !strings.Contains(p, `"billing_id":3`) || !strings.Contains(p, `"reason":"no_ticaga_user"`) {
		t.Fatalf("first report: %s", p)
	}
	runs := f.fake.Calls("connection")
	db, err := sql.Open("mysql", f.env["BILLING_DSN"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	kept := func() string {
		var at string
		_ = db.QueryRow("SELECT CAST(updated_at AS CHAR) FROM ticaga_sync_notify WHERE source = 'blesta'").Scan(&at)
		return at
	}
	before := kept()
	d.cmd.Process.Signal(syscall.SIGUSR1)
	d.waitFor(t, "the second run", func() bool {
		return f.fake.Calls("connection") > runs && strings.Count(d.logs.String(), `"message":"run finished"`) == 2
	})
	time.Sleep(200 * time.Millisecond)
	if n := len(got()); n != 1 {
		t.Fatalf("the unchanged second run sent a report (%d in all)", n)
	}
	if before == "" || kept() != before {
		t.Fatalf("the report state was written by a run with nothing to report (%q -> %q)", before, kept())
	}
	// A restarted daemon remembers what it reported (kept in the store).
	d.stop(t)
	d = startDaemon(t, f, "SYNC_SCHEDULE=@every 1h", "NOTIFY_WEBHOOK_URL="+hook.URL+"/hook?token=s3cr3t", "NOTIFY_ACTIONS=no_match,failed")
	d.waitFor(t, "the first run after the restart", func() bool { return strings.Contains(d.logs.String(), `"message":"run finished"`) })
	time.Sleep(200 * time.Millisecond)
	if n := len(got()); n != 1 {
		t.Fatalf("the restarted daemon reported the same decisions again (%d reports in all)", n)
	}
	f.fake.Down(true)
	d.cmd.Process.Signal(syscall.SIGUSR1)
	d.waitFor(t, "the failure report", func() bool { return len(got()) == 2 })
	if p := got()[1]; !strings.Contains(p, `"event":"failed"`) {
		t.Fatalf("failure report: %s", p)
	}
	if strings.Contains(d.logs.String(), "s3cr3t") {
		t.Fatal("the webhook token appears in the logs")
	}
	d.stop(t)
}
