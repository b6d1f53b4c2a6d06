package daemon

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ticaga/ticaga-sync/configs"
	"github.com/ticaga/ticaga-sync/internal/syncbuf"
	"github.com/ticaga/ticaga-sync/internal/testfixture"
	"github.com/ticaga/ticaga-sync/ticaga/ticagatest"
)

const testToken = "tok-daemon-test-SECRET-78"

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

// syncBuffer is a buffer safe for a writer and a reader at once.
type syncBuffer = syncbuf.Buffer

// running is Run in a goroutine of the test, with the fixture's settings.
type running struct {
	cancel  context.CancelFunc
	done    chan error
	logs    *syncBuffer
	addr    string
	trigger chan os.Signal
}

// startRun loads env as the daemon would (with HTTP_ADDR on a free port)
// and runs the daemon until stop or the end of the test.
func startRun(t *testing.T, env map[string]string) *running {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &running{done: make(chan error, 1), logs: &syncBuffer{}, addr: l.Addr().String(), trigger: make(chan os.Signal, 1)}
	l.Close()
	env = maps.Clone(env)
	env["HTTP_ADDR"] = r.addr
	d, err := Load(t.Context(), "", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err == nil {
		err = CheckSchedules(d)
	}
	if err != nil {
		t.Fatalf("configuration: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		r.done <- Run(ctx, d, RunOptions{Log: NewLogger(d, r.logs), Version: "test", Trigger: r.trigger,
			Load: func(context.Context) (configs.Daemon, error) { return d, nil }})
	}()
	t.Cleanup(func() {
		cancel()
		<-r.done
	})
	return r
}

// runNow asks for a run, as SIGUSR1 does, unless one is asked already.
func (r *running) runNow() {
	select {
	case r.trigger <- syscall.SIGUSR1:
	default:
	}
}

func (r *running) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + r.addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// waitFor polls cond for up to 30 seconds.
func (r *running) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; daemon logs:\n%s", what, r.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stop stops the daemon as SIGTERM does and expects a clean stop.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		if err != nil {
			t.Fatalf("Run = %v\n%s", err, r.logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("the daemon did not stop within 15s\n%s", r.logs.String())
	}
}

// The daemon with the unit's settings serves /metrics with the domain
// series after one run against the fake Ticaga; /readyz turns 503 when
// Ticaga becomes unreachable and 200 again after recovery.
func TestRunMetricsAndReadiness(t *testing.T) {
	f := newFixture(t)
	// As the unit starts it: the token only as the systemd credential
	// (LoadCredential=ticaga-api-token:...), never in the environment.
	creds := t.TempDir()
	if err := os.WriteFile(filepath.Join(creds, "ticaga-api-token"), []byte(testToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := maps.Clone(f.env)
	delete(env, "TICAGA_API_TOKEN")
	env["CREDENTIALS_DIRECTORY"] = creds
	// Runs come from the trigger (SIGUSR1) while the test waits: a schedule
	// may not be more frequent than once a minute.
	env["SYNC_SCHEDULE"], env["TICAGA_TIMEOUT"] = "@every 1h", "2s"
	d := startRun(t, env)

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
	d.waitFor(t, "/readyz 503 while Ticaga is down", func() bool { d.runNow(); code, _ := d.get(t, "/readyz"); return code == 503 })
	_, reasons := d.get(t, "/readyz")
	if !strings.Contains(reasons, "blesta") {
		t.Errorf("/readyz body does not name the source: %q", reasons)
	}
	f.fake.Down(false)
	d.waitFor(t, "/readyz 200 after recovery", func() bool { d.runNow(); code, _ := d.get(t, "/readyz"); return code == 200 })
	d.stop(t)
}

// The daemon reports changed decisions to the webhook once, not every
// run, and reports a failed run.
func TestRunWebhook(t *testing.T) {
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

	env := maps.Clone(f.env)
	env["SYNC_SCHEDULE"] = "@every 1h"
	env["NOTIFY_WEBHOOK_URL"], env["NOTIFY_ACTIONS"] = hook.URL+"/hook?token=s3cr3t", "no_match,failed"
	d := startRun(t, env)
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
	d.trigger <- os.Interrupt // any value: SIGUSR1 in the binary
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
	d = startRun(t, env)
	d.waitFor(t, "the first run after the restart", func() bool { return strings.Contains(d.logs.String(), `"message":"run finished"`) })
	time.Sleep(200 * time.Millisecond)
	if n := len(got()); n != 1 {
		t.Fatalf("the restarted daemon reported the same decisions again (%d reports in all)", n)
	}
	f.fake.Down(true)
	d.trigger <- os.Interrupt
	d.waitFor(t, "the failure report", func() bool { return len(got()) == 2 })
	if p := got()[1]; !strings.Contains(p, `"event":"failed"`) {
		t.Fatalf("failure report: %s", p)
	}
	if strings.Contains(d.logs.String(), "s3cr3t") {
		t.Fatal("the webhook token appears in the logs")
	}
	d.stop(t)
}

// A one-off run asked on the control socket is carried out by the daemon's
// sources, and its report comes back whole; without a daemon, the caller
// is told to run in its own process.
func TestSyncViaDaemon(t *testing.T) {
	f := newFixture(t)
	sock := f.env["CONTROL_SOCKET"]
	if _, err := SyncViaDaemon(t.Context(), sock, SyncRequest{}); !errors.Is(err, ErrNoDaemon) {
		t.Fatalf("no daemon: %v, want ErrNoDaemon", err)
	}
	env := maps.Clone(f.env)
	env["SYNC_SCHEDULE"] = "@every 1h"
	d := startRun(t, env)
	d.waitFor(t, "the first run", func() bool { return strings.Contains(d.logs.String(), `"message":"run finished"`) })

	outs, err := SyncViaDaemon(t.Context(), sock, SyncRequest{DryRun: true, Wait: 10 * time.Second})
	if err != nil || len(outs) != 1 {
		t.Fatalf("SyncViaDaemon = %+v, %v", outs, err)
	}
	o := outs[0]
	if o.Source != "blesta" || o.Code != ExitOK || o.Report == nil || !o.Report.DryRun ||
		o.Report.Counts.AlreadyLinked != 2 || o.Report.Counts.NoMatch != 1 || o.Report.NumDecisions() != 3 {
		t.Fatalf("outcome = %+v, report %+v", o, o.Report)
	}
	if outs, err := SyncViaDaemon(t.Context(), sock, SyncRequest{Sources: []string{"nope"}}); err != nil || len(outs) != 0 {
		t.Fatalf("an unknown source: %+v, %v", outs, err)
	}
	d.stop(t)
	// JSON log lines carry each key once; durations carry their unit.
	for _, line := range strings.Split(d.logs.String(), "\n") {
		if strings.Count(line, `"source":`) > 1 || strings.Count(line, `"run_id":`) > 1 {
			t.Errorf("a log line repeats a key: %s", line)
		}
		if strings.Contains(line, `"message":"run finished"`) && !regexp.MustCompile(`"took":"[0-9.]+(ms|s|µs|m[0-9])`).MatchString(line) {
			t.Errorf("took carries no unit: %s", line)
		}
	}
	if !strings.Contains(d.logs.String(), `"message":"run finished"`) || !strings.Contains(d.logs.String(), `"source":"blesta"`) {
		t.Errorf("no run finished line naming the source:\n%s", d.logs.String())
	}
	if _, err := os.Stat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the stopped daemon left its socket: %v", err)
	}
}
