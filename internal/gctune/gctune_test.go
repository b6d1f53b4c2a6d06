package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercentFor(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		live uint64
		want int
	}{
		{0, Percent}, {10 * mib, Percent}, {64 * mib, Percent}, {100 * mib, 32}, {128 * mib, 25},
		{160 * mib, 20}, {320 * mib, MinPercent}, {1 << 30, MinPercent},
	} {
		if got := PercentFor(tc.live); got != tc.want {
			t.Errorf("PercentFor(%d MiB) = %d, want %d", tc.live/mib, got, tc.want)
		}
	}
}

// The tests below share the process's one GC target: none is parallel, and
// the environment cases run before the tuner is started.

func TestApplyLeavesTheEnvironmentsTarget(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	env := func(m map[string]string) func(string) (string, bool) {
		return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
	}
	for _, e := range []map[string]string{{"GOGC": "200"}, {"GOMEMLIMIT": "1GiB"}} {
		debug.SetGCPercent(100)
		Apply(env(e))
		if got := gcPercent(t); got != 100 {
			t.Errorf("env %v: GC percent %d, want 100 (the runtime's)", e, got)
		}
	}
}

// TestTunerFollowsTheLiveHeap: past 64 MiB of live heap the target leaves
// Headroom, and it goes back to Percent when the heap shrinks.
func TestTunerFollowsTheLiveHeap(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	Apply(func(string) (string, bool) { return "", false })
	if got := gcPercent(t); got != Percent {
		t.Fatalf("GC percent %d after Apply, want %d", got, Percent)
	}
	big := make([]byte, 128<<20) // pointer-free: costs the collector nothing to mark
	waitPercent(t, func(p int) bool { return p < 30 && p >= 20 }, "about 25 for 128 MiB live")
	runtime.KeepAlive(big)
	big = nil
	waitPercent(t, func(p int) bool { return p == Percent }, "Percent again once the heap is small")
	// A target set elsewhere is the tuner's to replace.
	debug.SetGCPercent(100)
	waitPercent(t, func(p int) bool { return p == Percent }, "Percent again after SetGCPercent(100) elsewhere")
}

func waitPercent(t *testing.T, ok func(int) bool, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // the tuner runs after the collection
		p := gcPercent(t)
		if ok(p) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("GC percent %d, want %s", p, want)
		}
	}
}

func gcPercent(t *testing.T) int {
	t.Helper()
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		t.Fatal("runtime/metrics has no /gc/gogc:percent")
	}
	return int(s[0].Value.Uint64())
}
