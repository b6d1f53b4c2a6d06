// Package gctune sets the garbage collector's target for ticaga-sync.
//
// A run's heap is mostly long-lived indexes (the directory cache, the
// pairings, the decisions) built once and read many times, and held in
// pointer-free arrays and byte arenas, so that a collection costs the GC
// little (it has almost nothing to scan) whatever their size. Go's default
// GOGC=100 lets the heap grow to twice them before collecting: room that a
// run over many customers pays for in resident memory and never uses.
//
// ticaga-sync collects at 1.5 times the live heap while it is small
// (GOGC=50), and lets it grow by at most Headroom past that (32 MiB: the
// target falls from GOGC=50 at 64 MiB of live heap to GOGC=10 at 320 MiB,
// and stays at 10 beyond). Measured on the steady-run benchmarks: over 100k
// customers, 67 MiB peak RSS with GOGC=100, 54 MiB with 50; over 1M, 219
// MiB with the tuner, 271 MiB with GOGC=50. A first run over 150k users,
// whose links are held in pointer-rich form (the case where more frequent
// collections could cost time), measured no slower: 121 s, 129 s with
// GOGC=50.
// A GOGC or GOMEMLIMIT set in the environment is left to the Go runtime.
package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	gosync "sync"
)

const (
	// Percent is the GC target while the live heap is small (GOGC=50).
	Percent = 50
	// MinPercent is the lowest target (GOGC=10): past 320 MiB of live heap
	// the room grows with the heap again, so that collections do not
	// follow each other ever closer.
	MinPercent = 10
	// Headroom is how far the heap may grow past the live heap before the
	// next collection, once the live heap is past 64 MiB.
	Headroom = 32 << 20
)

// PercentFor returns the GC target for a live heap of live bytes.
func PercentFor(live uint64) int {
	if live == 0 {
		return Percent
	}
	return int(min(max(Headroom*100/live, MinPercent), Percent))
}

var start gosync.Once

// Apply sets the GC target to Percent, and after each collection to
// PercentFor the live heap, unless the environment (getenv, such as
// os.LookupEnv) sets GOGC or GOMEMLIMIT. From then on the process's GC
// target is the tuner's: a debug.SetGCPercent made elsewhere (even -1) is
// replaced after the next collection.
func Apply(getenv func(string) (string, bool)) {
	if _, ok := getenv("GOGC"); ok {
		return
	}
	if _, ok := getenv("GOMEMLIMIT"); ok {
		return
	}
	debug.SetGCPercent(Percent)
	start.Do(func() {
		t := &tuner{sample: []metrics.Sample{{Name: liveMetric}, {Name: percentMetric}}}
		t.arm()
	})
}

// The metrics the tuner reads: the heap marked live by the last
// collection, and the GC target now in force.
const (
	liveMetric    = "/gc/heap/live:bytes"
	percentMetric = "/gc/gogc:percent"
)

// tuner sets the GC target after each collection: a cleanup attached to
// an object nobody holds runs once the next collection has found it
// unreachable, and attaches itself to a new one.
type tuner struct {
	sample []metrics.Sample
}

// sentinel is the object a tuner's cleanup hangs on; the pointer keeps it
// out of the tiny allocator, whose blocks may outlive it.
type sentinel struct {
	_ *int
	_ int
}

func (t *tuner) arm() {
	runtime.AddCleanup(new(sentinel), func(t *tuner) {
		t.adjust()
		t.arm()
	}, t)
}

// adjust sets the target for the live heap the last collection left.
func (t *tuner) adjust() {
	metrics.Read(t.sample)
	live, now := t.sample[0].Value, t.sample[1].Value
	if live.Kind() != metrics.KindUint64 || now.Kind() != metrics.KindUint64 {
		return // not measured by this runtime: keep Percent
	}
	if p := PercentFor(live.Uint64()); uint64(p) != now.Uint64() {
		debug.SetGCPercent(p)
	}
}
