package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	ticagasync "github.com/ticaga/ticaga-sync/sync"
)

// noReason is the reason label of a decision without a reason, so that the
// label is never empty (an empty label is the same as no label at all).
const noReason = "none"

// decisionKey is the action and reason labels of a decision.
type decisionKey struct {
	action, reason string
}

// keyOf returns the labels of d.
func keyOf(d ticagasync.Decision) decisionKey {
	reason := string(d.Reason)
	if reason == "" {
		reason = noReason
	}
	return decisionKey{action: string(d.Action), reason: reason}
}

// decisionGauge is ticaga_sync_decisions{source, action, reason}: the
// decision counts of each source's last planning run. A run replaces all of
// its source's series at once, so a reason that no longer occurs disappears,
// and a scrape never sees half of one run and half of the next (as it could
// between a GaugeVec's DeletePartialMatch and its Sets).
type decisionGauge struct {
	desc *prometheus.Desc

	mu   sync.Mutex
	last map[string]map[decisionKey]int // by source
}

func newDecisionGauge(name, help string) *decisionGauge {
	return &decisionGauge{
		desc: prometheus.NewDesc(name, help, []string{"source", "action", "reason"}, nil),
		last: make(map[string]map[decisionKey]int),
	}
}

// replace makes counts the series of source; g keeps counts.
func (g *decisionGauge) replace(source string, counts map[decisionKey]int) {
	g.mu.Lock()
	g.last[source] = counts
	g.mu.Unlock()
}

// Describe implements prometheus.Collector.
func (g *decisionGauge) Describe(ch chan<- *prometheus.Desc) { ch <- g.desc }

// Collect implements prometheus.Collector.
func (g *decisionGauge) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for source, counts := range g.last {
		for k, n := range counts {
			ch <- prometheus.MustNewConstMetric(g.desc, prometheus.GaugeValue, float64(n), source, k.action, k.reason)
		}
	}
}
