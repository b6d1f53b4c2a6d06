// Package metrics exposes what the sync engine and the Ticaga client do as
// Prometheus series, decides whether the daemon is ready, and serves both
// over HTTP (/metrics, /healthz, /readyz).
//
// It is fed by the engine's ticagasync.Observer (Metrics.Observer,
// Health.Observer, combined with Multi) and by the Ticaga client's per-attempt
// hook (Metrics.TicagaHook), a plain func, so this package imports neither
// the Ticaga client nor the store nor the billing readers.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Namespace prefixes every series of this package.
const Namespace = "ticaga_sync"

// RunDurationBuckets are the run duration histogram's buckets, in seconds:
// from a second (a small installation, a warm directory cache) to four hours
// (a first full scan of a large Ticaga directory at a low rate limit).
var RunDurationBuckets = []float64{1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400}

// RequestDurationBuckets are the Ticaga request duration histogram's
// buckets, in seconds, up to past the client's default 30s attempt timeout.
var RequestDurationBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// Metrics holds the series of the sync daemon, each labelled by source (the
// engine's Name) except build_info. Its methods, and the observers and hooks
// it returns, are safe for concurrent use.
type Metrics struct {
	runs           *prometheus.CounterVec
	runDuration    *prometheus.HistogramVec
	lastRun        *prometheus.GaugeVec
	lastSuccess    *prometheus.GaugeVec
	directoryUsers *prometheus.GaugeVec
	unknownUsers   *prometheus.GaugeVec
	lockHeld       *prometheus.GaugeVec
	lockSince      *prometheus.GaugeVec
	failedInARow   *prometheus.GaugeVec
	decisions      *decisionGauge
	decisionsTotal *prometheus.CounterVec
	buildInfo      *prometheus.GaugeVec

	requests          *prometheus.CounterVec
	requestDuration   *prometheus.HistogramVec
	throttled         *prometheus.CounterVec
	retryableFailures *prometheus.CounterVec
	retries           *retryCounter
}

// New creates the series and registers them with reg. Like
// prometheus.MustRegister, it panics when reg already holds series of the
// same names (a second New on the same registry).
func New(reg prometheus.Registerer) *Metrics {
	opts := func(name, help string) prometheus.Opts {
		return prometheus.Opts{Namespace: Namespace, Name: name, Help: help}
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts(opts(name, help)), labels)
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts(opts(name, help)), labels)
	}
	histogram := func(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
		return prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: Namespace, Name: name, Help: help,
			Buckets: buckets}, labels)
	}
	m := &Metrics{
		runs: counter("runs_total",
			"Sync runs finished, by outcome (completed, partial, failed). Dry runs are not counted.",
			"source", "outcome"),
		runDuration: histogram("run_duration_seconds",
			"How long sync runs took, from the lock taken to the run recorded.", RunDurationBuckets, "source"),
		lastRun: gauge("last_run_timestamp_seconds",
			"When the last sync run finished (Unix time), whatever its outcome.", "source"),
		lastSuccess: gauge("last_success_timestamp_seconds",
			"When the last sync run that went through finished (Unix time): outcome completed or partial.", "source"),
		directoryUsers: gauge("directory_users",
			"Ticaga users known to the directory cache after the last run's refresh.", "source"),
		unknownUsers: gauge("directory_unknown_users",
			"Ticaga users whose answer stayed unknown after the last run's refresh: state \"pending\" blocks links, "+
				"\"unreadable\" (unknown for TICAGA_UNREADABLE_AFTER runs) no longer does.", "source", "state"),
		lockHeld: gauge("lock_held",
			"1 while this process holds the source's run lock, else 0.", "source"),
		lockSince: gauge("lock_held_since_timestamp_seconds",
			"When this process took the source's run lock (Unix time), or 0 while it does not hold it.", "source"),
		failedInARow: gauge("consecutive_failed_runs",
			"Runs of the source that failed in a row since the last one that went through (completed or partial), "+
				"counted since this process started. Dry runs are not counted.", "source"),
		decisions: newDecisionGauge(prometheus.BuildFQName(Namespace, "", "decisions"),
			"Decisions of the last run that planned, by action and reason (reason \"none\" when it has none)."),
		decisionsTotal: counter("decisions_total",
			"Decisions made by sync runs, by action and reason (reason \"none\" when it has none).",
			"source", "action", "reason"),
		buildInfo: gauge("build_info",
			"Always 1; its labels give the running version and commit.", "version", "commit"),

		requests: counter("ticaga_requests_total",
			"HTTP attempts to the Ticaga API (retries included), by endpoint template and status code (\"network\" when no answer arrived).",
			"source", "endpoint", "status"),
		requestDuration: histogram("ticaga_request_duration_seconds",
			"How long HTTP attempts to the Ticaga API took, from sending to the answer read.",
			RequestDurationBuckets, "source", "endpoint"),
		throttled: counter("ticaga_throttled_total",
			"Ticaga API attempts answered 429 Too Many Requests.", "source", "endpoint"),
		retryableFailures: counter("ticaga_retryable_failures_total",
			"Ticaga API attempts that failed in a way the client retries: no answer, 408, 429 or 5xx. Each is normally followed by a retry, unless the attempts ran out.",
			"source", "endpoint"),
		retries: newRetryCounter(),
	}
	reg.MustRegister(m.runs, m.runDuration, m.lastRun, m.lastSuccess, m.directoryUsers, m.unknownUsers, m.lockHeld,
		m.lockSince, m.failedInARow, m.decisions, m.decisionsTotal, m.buildInfo,
		m.requests, m.requestDuration, m.throttled, m.retryableFailures, m.retries)
	return m
}

// SetBuildInfo sets ticaga_sync_build_info{version, commit} to 1, replacing
// any earlier labels.
func (m *Metrics) SetBuildInfo(version, commit string) {
	m.buildInfo.Reset()
	m.buildInfo.WithLabelValues(version, commit).Set(1)
}

// NewRegistry returns a registry holding the Go runtime and process
// collectors (go_*, process_*), ready for New and Handler.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// unixSeconds is t as fractional Unix seconds, the unit of the timestamp
// gauges.
func unixSeconds(t time.Time) float64 {
	return float64(t.UnixNano()) / 1e9
}
