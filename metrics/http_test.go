package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/rs/zerolog"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// get fetches url and returns its status and body.
func get(t *testing.T, url string) (int, string) {
	t.Helper()
	return request(t, http.MethodGet, url)
}

// request makes a request without a body and returns its status and body.
func request(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestServe(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	m.SetBuildInfo("test", "none")
	h := NewHealth(nil)
	h.Watch("blesta", 15*time.Minute)

	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, ln, Handler(h, reg), zerolog.Nop()) }()
	base := "http://" + ln.Addr().String()

	if code, body := get(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", code, body)
	}
	if code, body := get(t, base+"/readyz"); code != 503 || body != "source blesta: no run has passed its preflight yet\n" {
		t.Errorf("/readyz before a run = %d %q", code, body)
	}

	o := Multi(m.Observer("blesta"), h.Observer("blesta"))
	drive(o, true, report(ticagasync.OutcomeCompleted, time.Now(), time.Second, 3,
		decisions(1, ticagasync.ActionConflict, ticagasync.ReasonDuplicateTicagaEmail)))
	m.TicagaHook("blesta")("customers/get", 429, time.Millisecond)

	if code, body := get(t, base+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz after a run = %d %q", code, body)
	}
	code, body := get(t, base+"/metrics")
	if code != 200 {
		t.Errorf("/metrics = %d", code)
	}
	for _, want := range []string{
		`ticaga_sync_runs_total{outcome="completed",source="blesta"} 1`,
		`ticaga_sync_decisions{action="conflict",reason="duplicate_ticaga_email",source="blesta"} 1`,
		`ticaga_sync_directory_users{source="blesta"} 3`,
		`ticaga_sync_ticaga_throttled_total{endpoint="customers/get",source="blesta"} 1`,
		`ticaga_sync_lock_held{source="blesta"} 0`,
		`ticaga_sync_last_success_timestamp_seconds{source="blesta"}`,
		`ticaga_sync_build_info{commit="none",version="test"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if code, _ := get(t, base+"/nothing"); code != 404 {
		t.Errorf("/nothing = %d", code)
	}
	if code, _ := request(t, http.MethodPost, base+"/readyz"); code != http.StatusMethodNotAllowed {
		t.Errorf("POST /readyz = %d", code)
	}

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve after shutdown = %v", err)
		}
	case <-time.After(ShutdownTimeout + time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, base+"/healthz", nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Error("still serving after shutdown")
	}
}

func TestListenPortTaken(t *testing.T) {
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	addr := ln.Addr().String()
	_, err = Listen(addr)
	if err == nil {
		t.Fatal("second Listen on a taken port succeeded")
	}
	if want := "listen on " + addr + ": bind: address already in use"; err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Errorf("error %v is not EADDRINUSE", err)
	}
}

func TestServeReturnsServerError(t *testing.T) {
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close() // Serve's Accept fails at once
	err = Serve(t.Context(), ln, Handler(nil, prometheus.NewRegistry()), zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), "serve http on "+ln.Addr().String()) {
		t.Errorf("Serve on a closed listener = %v", err)
	}
}
