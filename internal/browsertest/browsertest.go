// Package browsertest drives a real headless Chromium for tests, through
// chromedriver and the W3C WebDriver protocol spoken with net/http: no Go
// module beyond the standard library.
//
// Debian ships both (apt-get install chromium chromium-driver);
// scripts/test.sh installs them. Without them a test skips, unless
// TEST_REQUIRE_BROWSER=1, in which case it fails: the project's test
// command sets it, so that the browser tests never silently skip there.
package browsertest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/ticaga/ticaga-sync/internal/syncbuf"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// Options shape the browser's window.
type Options struct {
	// Width and Height are the viewport in CSS pixels (default 1280x800).
	Width, Height int
	// Mobile emulates a phone of that size (a touch device whose layout
	// viewport follows the page's viewport meta, as a phone's does).
	Mobile bool
}

// Browser is one Chromium session.
type Browser struct {
	t       *testing.T
	base    string // chromedriver's URL
	session string
	client  *http.Client
	logs    *syncbuf.Buffer // chromedriver's output, for failure messages
}

// find returns the path of the first of names found on PATH.
func find(names ...string) (string, bool) {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, true
		}
	}
	return "", false
}

// Start starts chromedriver and a headless Chromium session with opt; both
// end with the test. It skips the test when either is missing, or fails it
// when TEST_REQUIRE_BROWSER=1.
func Start(t *testing.T, opt Options) *Browser {
	t.Helper()
	chromium, okC := find("chromium", "chromium-browser")
	driver, okD := find("chromedriver")
	if !okC || !okD {
		msg := "Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)"
		if os.Getenv("TEST_REQUIRE_BROWSER") == "1" {
			t.Fatal(msg + " but TEST_REQUIRE_BROWSER=1: run ./scripts/test.sh")
		}
		t.Skip(msg + "; ./scripts/test.sh installs them")
	}
	if opt.Width <= 0 || opt.Height <= 0 {
		opt.Width, opt.Height = 1280, 800
	}

	port := freePort(t)
	logs := &syncbuf.Buffer{}
	cmd := exec.Command(driver, "--port="+strconv.Itoa(port), "--allowed-ips=127.0.0.1")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", driver, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	b := &Browser{t: t, base: fmt.Sprintf("http://127.0.0.1:%d", port), client: &http.Client{Timeout: 60 * time.Second}, logs: logs}
	b.waitReady()

	args := []string{"--headless=new", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
		"--disable-extensions", "--disable-background-networking", "--user-data-dir=" + t.TempDir(),
		fmt.Sprintf("--window-size=%d,%d", opt.Width, opt.Height)}
	if os.Geteuid() == 0 {
		args = append(args, "--no-sandbox") // Chromium refuses to run as root with its sandbox
	}
	chromeOptions := map[string]any{"binary": chromium, "args": args}
	if opt.Mobile {
		chromeOptions["mobileEmulation"] = map[string]any{
			"deviceMetrics": map[string]any{"width": opt.Width, "height": opt.Height, "pixelRatio": 3, "touch": true, "mobile": true},
		}
	}
	var created struct {
		SessionID string `json:"sessionId"`
	}
	b.call(http.MethodPost, "/session", map[string]any{"capabilities": map[string]any{
		"alwaysMatch": map[string]any{"browserName": "chrome", "goog:chromeOptions": chromeOptions},
	}}, &created)
	if created.SessionID == "" {
		t.Fatalf("chromedriver made no session; its log:\n%s", logs)
	}
	b.session = created.SessionID
	t.Cleanup(func() {
		var ignored any
		_ = b.do(http.MethodDelete, "/session/"+b.session, nil, &ignored)
	})
	return b
}

// Open loads url and waits until the page has loaded.
func (b *Browser) Open(url string) {
	b.t.Helper()
	var ignored any
	b.call(http.MethodPost, "/session/"+b.session+"/url", map[string]any{"url": url}, &ignored)
}

// Eval runs script (the body of a function; use return) in the page with
// args and decodes its result into out.
func (b *Browser) Eval(out any, script string, args ...any) {
	b.t.Helper()
	if args == nil {
		args = []any{}
	}
	b.call(http.MethodPost, "/session/"+b.session+"/execute/sync", map[string]any{"script": script, "args": args}, out)
}

// Text returns the visible text (innerText) of the first element matching
// the CSS selector, or "" when none does.
func (b *Browser) Text(selector string) string {
	b.t.Helper()
	var s string
	b.Eval(&s, `const e = document.querySelector(arguments[0]); return e ? e.innerText : "";`, selector)
	return s
}

// Screenshot returns a PNG of the viewport.
func (b *Browser) Screenshot() []byte {
	b.t.Helper()
	var s string
	b.call(http.MethodGet, "/session/"+b.session+"/screenshot", nil, &s)
	out, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		b.t.Fatalf("screenshot: %v", err)
	}
	return out
}

// call is do, failing the test on error.
func (b *Browser) call(method, path string, body, out any) {
	b.t.Helper()
	if err := b.do(method, path, body, out); err != nil {
		b.t.Fatalf("WebDriver %s %s: %v\nchromedriver log:\n%s", method, path, err, b.logs)
	}
}

// do sends one WebDriver command and decodes its "value" into out.
func (b *Browser) do(method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, b.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	var env struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("HTTP %d: %w: %.300s", resp.StatusCode, err, raw)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error   string `json:"error"`
			Message string `json:"message"`
		}
		_ = json.Unmarshal(env.Value, &e)
		return fmt.Errorf("HTTP %d: %s: %s", resp.StatusCode, e.Error, e.Message)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(env.Value, out)
}

// waitReady waits up to 20s for chromedriver to answer /status as ready.
func (b *Browser) waitReady() {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		var st struct {
			Ready bool `json:"ready"`
		}
		err := b.do(http.MethodGet, "/status", nil, &st)
		if err == nil && st.Ready {
			return
		}
		if err == nil {
			err = errors.New("not ready")
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("chromedriver did not start: %v\n%s", err, b.logs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freePort asks the kernel for a free loopback port.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
