package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ticaga/ticaga-sync/billing/blesta/blestatest"
	"github.com/ticaga/ticaga-sync/internal/syncbuf"
)

// status asks the real daemon process on its control socket: running, its
// pid and next run; each run's kind (scheduled, one-off, dry-run) is kept
// and shown with time zones. A sync --client of a customer the daemon's
// source does not select calls nothing there either. Once the daemon
// stops, status says it is not running, and exits 0.
func TestStatusAsksTheDaemon(t *testing.T) {
	f := newFixture(t)
	addBlestaClient(t, f, blestatest.Client{ID: 12, FirstName: "In", LastName: "Active", Email: "inactive@example.com", Status: "inactive"})
	bin := buildBinary(t)
	cmd := exec.Command(bin, "run")
	cmd.Env = append(os.Environ(), "SYNC_SCHEDULE=@every 1h", "TZ=UTC")
	for k, v := range f.env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var logs syncbuf.Buffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(logs.String(), "control socket listening") || !strings.Contains(logs.String(), "waiting for the next scheduled run") {
		if time.Now().After(deadline) {
			t.Fatalf("the daemon did not finish its first run:\n%s", logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if code, _, stderr := f.main(t, "sync", "--dry-run"); code != exitOK || !strings.Contains(stderr, "the running daemon did the run") {
		t.Fatalf("sync --dry-run: %d %s", code, stderr)
	}
	if code, _, stderr := f.main(t, "sync"); code != exitOK {
		t.Fatalf("sync: %d %s", code, stderr)
	}
	calls := f.fake.TotalCalls()
	code, out, stderr := f.main(t, "sync", "--client", "12")
	if code != exitUsage || !strings.Contains(stderr, "client 12 is not selected: its status is inactive") || f.fake.TotalCalls() != calls ||
		strings.Contains(stderr, "did the run") {
		t.Fatalf("sync --client 12 via the daemon: exit %d, %d calls\n%s%s", code, f.fake.TotalCalls()-calls, out, stderr)
	}

	code, out, stderr = f.main(t, "status")
	if code != exitOK {
		t.Fatalf("status: %d %s", code, stderr)
	}
	for _, want := range []string{"Daemon: running on ", "process " + itoa(cmd.Process.Pid), "next run 20", "(SYNC_SCHEDULE @every 1h)",
		"KIND", "scheduled", "one-off", "dry-run", " UTC"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = f.main(t, "status", "--output", "json")
	var doc statusJSON
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitOK {
		t.Fatalf("status json: %d %v\n%s", code, err, out)
	}
	st := doc.Daemon.Status
	if doc.Daemon.Running == nil || !*doc.Daemon.Running || st == nil || st.PID != cmd.Process.Pid || len(st.Sources) != 1 ||
		st.Sources[0].NextRun == nil || time.Until(*st.Sources[0].NextRun) > time.Hour || time.Until(*st.Sources[0].NextRun) < 50*time.Minute {
		t.Fatalf("daemon in status json: %+v %+v", doc.Daemon, st)
	}
	kinds := map[string]int{}
	for _, r := range doc.Runs {
		kinds[r.Kind]++
	}
	if kinds["scheduled"] != 1 || kinds["one-off"] != 1 || kinds["dry-run"] != 1 || len(doc.Runs) != 3 {
		t.Fatalf("run kinds %v in %+v", kinds, doc.Runs)
	}
	if len(doc.NotLinked) != 1 || doc.NotLinked[0].BillingID != "3" || doc.NotLinked[0].Reason != "no_ticaga_user" {
		t.Fatalf("not linked: %+v", doc.NotLinked)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("daemon: %v\n%s", err, logs.String())
	}
	code, out, _ = f.main(t, "status")
	if code != exitOK || !strings.Contains(out, "Daemon: not running (nothing answers on ") {
		t.Fatalf("status after the daemon stopped: %d\n%s", code, out)
	}
	code, out, _ = f.main(t, "status", "--output", "json")
	doc = statusJSON{}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || code != exitOK || doc.Daemon.Running == nil || *doc.Daemon.Running {
		t.Fatalf("status json after the daemon stopped: %d %v\n%s", code, err, out)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
