package ticaga

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// With requests four at a time, the client keeps its connections instead
// of opening new ones (the default transport keeps only two idle per host,
// and would open about two new ones per wave).
func TestClientReusesConnections(t *testing.T) {
	var dials atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(3 * time.Millisecond) // keep four requests in flight at once
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"user": {"id": 7, "name": "A", "email": "a@example.com", "billing_id": "0"}}`))
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dials.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, Token: "tok", PaceWindow: -1})
	if err != nil {
		t.Fatal(err)
	}
	// Waves of four, as the directory scan sends them: all four
	// connections are idle between waves.
	for range 50 {
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := c.Customer(t.Context(), 7); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
	}
	if n := dials.Load(); n > 8 {
		t.Fatalf("50 waves of 4 requests opened %d connections; want at most 8", n)
	}
}
