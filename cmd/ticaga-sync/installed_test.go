package main

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// installedHost writes the fixture's settings, less the token (which the
// unit passes as a credential), into an env file standing for
// /etc/ticaga-sync/ticaga-sync.env, and returns the environment of an
// operator's shell on that host: only TICAGA_SYNC_CONFIG pointing at it.
func installedHost(t *testing.T, f *fixture) (file string, shell map[string]string) {
	t.Helper()
	file = filepath.Join(t.TempDir(), "ticaga-sync.env")
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(f.env)) {
		if k != "TICAGA_API_TOKEN" {
			b.WriteString(k + "=" + f.env[k] + "\n")
		}
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o640); err != nil {
		t.Fatal(err)
	}
	return file, map[string]string{ConfigFileVar: file}
}

// On an installed host, the commands read the default file without
// --config, say so once, and only those that call Ticaga need the token.
func TestInstalledHostDefaultConfig(t *testing.T) {
	f := newFixture(t)
	file, shell := installedHost(t, f)
	said := "ticaga-sync: reading settings from " + file + " (--config FILE to read another)\n"

	for _, args := range [][]string{{"config"}, {"migrate"}, {"status"}, {"explain", "--client", "1"}} {
		code, out, stderr := runMain(t, shell, args...)
		if code != exitOK {
			t.Fatalf("%v without a token on the installed host: exit %d\n%s\n%s", args, code, out, stderr)
		}
		if strings.Count(stderr, "reading settings from") != 1 || !strings.HasPrefix(stderr, said) {
			t.Errorf("%v: stderr does not say once which file it read:\n%s", args, stderr)
		}
		if strings.Contains(stderr+out, "TICAGA_API_TOKEN: ") {
			t.Errorf("%v mentions the token it does not need:\n%s\n%s", args, out, stderr)
		}
	}
	if n := f.fake.Calls("connection") + f.fake.Calls("customers/get"); n != 0 {
		t.Errorf("the commands without a token made %d Ticaga calls", n)
	}

	// Those that call Ticaga say what is missing.
	for _, args := range [][]string{{"check"}, {"sync"}, {"unlink", "--client", "1", "--clear-remote", "--yes"}} {
		code, _, stderr := runMain(t, shell, args...)
		if code != exitUsage || !strings.Contains(stderr, "TICAGA_API_TOKEN: required") {
			t.Errorf("%v without a token: exit %d, want 2 naming TICAGA_API_TOKEN:\n%s", args, code, stderr)
		}
	}
	// The token from the environment completes the file.
	shell["TICAGA_API_TOKEN"] = testToken
	if code, out, stderr := runMain(t, shell, "sync"); code != exitOK || !strings.Contains(out, "2 linked") {
		t.Fatalf("sync with the file and the token: exit %d\n%s\n%s", code, out, stderr)
	}
	delete(shell, "TICAGA_API_TOKEN")

	// --config wins and is not announced; an empty TICAGA_SYNC_CONFIG means
	// no default file.
	if code, _, stderr := runMain(t, map[string]string{ConfigFileVar: filepath.Join(t.TempDir(), "nope.env")}, "config", "--config", file); code != exitOK || strings.Contains(stderr, "reading settings") {
		t.Errorf("config --config FILE: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := runMain(t, map[string]string{ConfigFileVar: ""}, "config"); code != exitUsage || !strings.Contains(stderr, "BILLING_DSN: required") || strings.Contains(stderr, "reading settings") {
		t.Errorf("config with no default file: exit %d\n%s", code, stderr)
	}
	// A default file that is there but unreadable is named, not skipped.
	if os.Geteuid() != 0 {
		if err := os.Chmod(file, 0); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := runMain(t, shell, "status")
		if code != exitUsage || !strings.Contains(stderr, file+": cannot read env file: permission denied") {
			t.Errorf("status with an unreadable default file: exit %d\n%s", code, stderr)
		}
		os.Chmod(file, 0o640)
	}
}

// A sync that the running daemon carries out needs no token in the shell
// that asks for it: the daemon has it.
func TestInstalledHostSyncViaDaemonWithoutToken(t *testing.T) {
	f := newFixture(t)
	_, shell := installedHost(t, f)
	d := startDaemon(t, f, "SYNC_SCHEDULE=@every 1h")
	d.waitFor(t, "the first run", func() bool { return strings.Contains(d.logs.String(), "waiting for the next scheduled run") })

	code, out, stderr := runMain(t, shell, "sync", "--output", "json")
	if code != exitOK || !strings.Contains(stderr, "the running daemon did the run") || !strings.Contains(out, `"already_linked": 2`) {
		t.Fatalf("sync via the daemon without a token: exit %d\n%s\n%s", code, out, stderr)
	}
	d.stop(t)
}

// status whose store cannot be reached shows what it can, names the source
// and the setting on stderr, and exits 1 (a monitor running it must see it),
// in text and in JSON.
func TestStatusExitsOneWhenASourceCannotRun(t *testing.T) {
	file := filepath.Join(t.TempDir(), "ticaga-sync.env")
	conf := "BILLING_DSN=ticaga:unused@tcp(127.0.0.1:1)/nowhere\nTICAGA_URL=https://support.example.com\nHTTP_ADDR=\n"
	if err := os.WriteFile(file, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"status"}, {"status", "--output", "json"}} {
		code, out, stderr := runMain(t, map[string]string{ConfigFileVar: file}, args...)
		if code != exitFailed || !strings.Contains(stderr, "source blesta cannot run: BILLING_DSN") {
			t.Errorf("%v with the store unreachable: exit %d, want 1 naming the source and BILLING_DSN\n%s\n%s", args, code, out, stderr)
		}
		if !strings.Contains(out, "cannot run") && !strings.Contains(out, `"problem"`) {
			t.Errorf("%v: output does not show the source's problem:\n%s", args, out)
		}
	}
}
