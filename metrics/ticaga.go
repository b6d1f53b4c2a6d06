package metrics

import (
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TicagaHook returns the function to set as the Config.Observer of source's
// Ticaga client. Called after every HTTP attempt with the endpoint
// template, the status (0 when no answer arrived) and the attempt's
// duration, it counts ticaga_requests_total{source, endpoint, status},
// observes ticaga_request_duration_seconds{source, endpoint}, and counts 429
// answers in ticaga_throttled_total{source, endpoint} and every retryable
// failure (no answer, 408, 429, 5xx) in
// ticaga_retryable_failures_total{source, endpoint}.
//
// The hook sees attempts, not calls, so it cannot tell a retry from a first
// attempt; CountRetries exposes the client's own retry count.
func (m *Metrics) TicagaHook(source string) func(endpoint string, status int, d time.Duration) {
	return func(endpoint string, status int, d time.Duration) {
		m.requests.WithLabelValues(source, endpoint, statusLabel(status)).Inc()
		m.requestDuration.WithLabelValues(source, endpoint).Observe(d.Seconds())
		if status == 429 {
			m.throttled.WithLabelValues(source, endpoint).Inc()
		}
		if retryable(status) {
			m.retryableFailures.WithLabelValues(source, endpoint).Inc()
		}
	}
}

// statusLabel is the status label of an attempt: the code as a string,
// "network" when no answer arrived, "invalid" for a code outside 100-599
// (which keeps the label's values bounded).
func statusLabel(status int) string {
	switch {
	case status <= 0:
		return "network"
	case status < 100 || status > 599:
		return "invalid"
	}
	return strconv.Itoa(status)
}

// retryable reports whether the Ticaga client retries an attempt that
// ended so: no answer, 408, 429 or 5xx.
func retryable(status int) bool {
	return status <= 0 || status == 408 || status == 429 || status >= 500
}

// CountRetries makes ticaga_retries_total{source} report count, read at each
// scrape; pass the Ticaga client's own count:
//
//	m.CountRetries(name, func() int64 { return client.Stats().Retries })
//
// A later call for the same source replaces count. The series of a source
// is absent until it is wired. count must be safe for concurrent use and
// never decrease.
func (m *Metrics) CountRetries(source string, count func() int64) {
	m.retries.mu.Lock()
	m.retries.counts[source] = count
	m.retries.mu.Unlock()
}

// retryCounter is ticaga_sync_ticaga_retries_total{source}, read from the
// Ticaga clients' own counts at scrape time.
type retryCounter struct {
	desc *prometheus.Desc

	mu     sync.Mutex
	counts map[string]func() int64 // by source
}

func newRetryCounter() *retryCounter {
	return &retryCounter{
		desc: prometheus.NewDesc(prometheus.BuildFQName(Namespace, "", "ticaga_retries_total"),
			"Ticaga API attempts that were retries of a failed attempt of the same call.", []string{"source"}, nil),
		counts: make(map[string]func() int64),
	}
}

// Describe implements prometheus.Collector.
func (c *retryCounter) Describe(ch chan<- *prometheus.Desc) { ch <- c.desc }

// Collect implements prometheus.Collector.
func (c *retryCounter) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	counts := make(map[string]func() int64, len(c.counts))
	for source, f := range c.counts {
		counts[source] = f
	}
	c.mu.Unlock()
	for source, f := range counts {
		ch <- prometheus.MustNewConstMetric(c.desc, prometheus.CounterValue, float64(f()), source)
	}
}
