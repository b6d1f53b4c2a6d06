package main

import (
	"net"
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

// process is the real binary running a command (`run`, `sync`) with the
// fixture's settings.
type process struct {
	cmd  *exec.Cmd
	logs *syncBuffer
	addr string
}

func startDaemon(t *testing.T, f *fixture, extra ...string) *process {
	t.Helper()
	return startDaemonArgs(t, f, []string{"run"}, extra...)
}

func startDaemonArgs(t *testing.T, f *fixture, args []string, extra ...string) *process {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	d := &process{cmd: exec.Command(buildBinary(t), args...), logs: &syncBuffer{}, addr: addr}
	d.cmd.Env = append(os.Environ(), "HTTP_ADDR="+addr, ConfigFileVar+"=")
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

// waitFor polls cond for up to 30 seconds.
func (d *process) waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; daemon logs:\n%s", what, d.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (d *process) stop(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Wait(); err != nil {
		t.Fatalf("daemon exited with %v\n%s", err, d.logs.String())
	}
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

	// Three problems: the refused reload names each of them.
	write("SYNC_CONCURRENCY=lots\nSYNC_SCHEDULE=@every 5s\nTICAGA_TOKEN=x\n")
	d.cmd.Process.Signal(syscall.SIGHUP)
	d.waitFor(t, "the invalid reload refused", func() bool {
		return strings.Contains(d.logs.String(), "keeping the running one")
	})
	for _, want := range []string{"SYNC_CONCURRENCY", `SYNC_SCHEDULE: \"@every 5s\" runs more often than once a minute`, "TICAGA_TOKEN: unknown setting in " + file + " (did you mean TICAGA_API_TOKEN?)"} {
		if !strings.Contains(d.logs.String(), want) {
			t.Errorf("the refused reload does not name %s:\n%s", want, d.logs.String())
		}
	}

	write("SYNC_CONCURRENCY=2\n")
	d.cmd.Process.Signal(syscall.SIGHUP)
	d.waitFor(t, "the reload and its first run", func() bool {
		// Finished, not only started: a one-off sync meanwhile would find
		// the source's run lock held (exit 3).
		return strings.Count(d.logs.String(), "sources started") == 2 && runs() == 3 &&
			strings.Count(d.logs.String(), `"message":"run finished"`) == 3
	})
	// The reloaded daemon's control socket takes one-off syncs (the old
	// generation's shutdown must not remove it).
	d.waitFor(t, "the new control socket", func() bool { return strings.Count(d.logs.String(), "control socket listening") == 2 })
	// ... once the reloaded daemon's first run is over (its connection
	// call alone does not mean the run has let go of the lock).
	d.waitFor(t, "the end of the reloaded daemon's first run", func() bool {
		return strings.Count(d.logs.String(), "waiting for the next scheduled run") == 3
	})
	code, _, stderr := runMain(t, f.env, "sync")
	if code != exitOK || !strings.Contains(stderr, "the running daemon did the run") {
		t.Fatalf("sync after a reload: exit %d, %s\n%s", code, stderr, d.logs.String())
	}
	d.stop(t)
}

// A one-off the daemon cannot run (another holds the source's lock) says
// so and exits 3, without claiming the daemon did the run.
func TestOneOffViaDaemonLockedSaysSo(t *testing.T) {
	f := newFixture(t)
	d := startDaemon(t, f, "SYNC_SCHEDULE=@every 1h")
	d.waitFor(t, "the first run", func() bool { return strings.Contains(d.logs.String(), "waiting for the next scheduled run") })
	holdRunLock(t, f.env)
	code, out, stderr := runMain(t, f.env, "sync")
	if code != exitLocked || !strings.Contains(stderr, "--wait") || strings.Contains(stderr, "did the run") {
		t.Fatalf("sync via the daemon, lock held elsewhere: exit %d\nstdout: %s\nstderr: %s", code, out, stderr)
	}
	d.stop(t)
}
