package metrics

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestTicagaHook(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	blesta, other := m.TicagaHook("blesta"), m.TicagaHook("other")
	for _, a := range []struct {
		endpoint string
		status   int
	}{
		{"customers/get", 200}, {"customers/get", 200}, {"customers/get", 429}, {"customers/get", 502},
		{"customers/assign", 200}, {"customers/assign", 0}, {"customers/assign", 422}, {"connection", 999},
	} {
		blesta(a.endpoint, a.status, 200*time.Millisecond)
	}
	other("connection", 429, time.Second)
	compare(t, reg, `
# HELP ticaga_sync_ticaga_requests_total HTTP attempts to the Ticaga API (retries included), by endpoint template and status code ("network" when no answer arrived).
# TYPE ticaga_sync_ticaga_requests_total counter
ticaga_sync_ticaga_requests_total{endpoint="connection",source="blesta",status="invalid"} 1
ticaga_sync_ticaga_requests_total{endpoint="connection",source="other",status="429"} 1
ticaga_sync_ticaga_requests_total{endpoint="customers/assign",source="blesta",status="200"} 1
ticaga_sync_ticaga_requests_total{endpoint="customers/assign",source="blesta",status="422"} 1
ticaga_sync_ticaga_requests_total{endpoint="customers/assign",source="blesta",status="network"} 1
ticaga_sync_ticaga_requests_total{endpoint="customers/get",source="blesta",status="200"} 2
ticaga_sync_ticaga_requests_total{endpoint="customers/get",source="blesta",status="429"} 1
ticaga_sync_ticaga_requests_total{endpoint="customers/get",source="blesta",status="502"} 1
# HELP ticaga_sync_ticaga_throttled_total Ticaga API attempts answered 429 Too Many Requests.
# TYPE ticaga_sync_ticaga_throttled_total counter
ticaga_sync_ticaga_throttled_total{endpoint="connection",source="other"} 1
ticaga_sync_ticaga_throttled_total{endpoint="customers/get",source="blesta"} 1
`, "ticaga_sync_ticaga_requests_total", "ticaga_sync_ticaga_throttled_total")

	for _, c := range []struct {
		source, endpoint string
		want             float64
	}{
		{"blesta", "customers/get", 2},    // 429, 502
		{"blesta", "customers/assign", 1}, // network; 422 is not retried
		{"blesta", "connection", 1},       // 999: >= 500, as the client sees it
		{"other", "connection", 1},
	} {
		if got := testutil.ToFloat64(m.retryableFailures.WithLabelValues(c.source, c.endpoint)); got != c.want {
			t.Errorf("retryable failures of %s %s = %v, want %v", c.source, c.endpoint, got, c.want)
		}
	}
	if n := testutil.CollectAndCount(m.requestDuration); n != 4 {
		t.Errorf("request duration series = %d, want one per source and endpoint", n)
	}
	// The retry counter is absent until wired.
	if n := testutil.CollectAndCount(m.retries); n != 0 {
		t.Errorf("retries_total has %d series before CountRetries", n)
	}
}

func TestCountRetries(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	var a, b atomic.Int64
	m.CountRetries("blesta", func() int64 { return 99 })
	m.CountRetries("blesta", a.Load) // replaces
	m.CountRetries("other", b.Load)
	a.Add(3)
	b.Add(2)
	compare(t, reg, `
# HELP ticaga_sync_ticaga_retries_total Ticaga API attempts that were retries of a failed attempt of the same call.
# TYPE ticaga_sync_ticaga_retries_total counter
ticaga_sync_ticaga_retries_total{source="blesta"} 3
ticaga_sync_ticaga_retries_total{source="other"} 2
`, "ticaga_sync_ticaga_retries_total")
}
