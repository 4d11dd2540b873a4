package kubevisor

import (
	"context"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"k8s.io/klog/v2"
)

// settleDelay is how long after readiness the Supervisor returns the
// memory of its start to the operating system.
const settleDelay = 30 * time.Second

// settleMemory tunes the garbage collector for a running Supervisor, once
// it is ready.
//
// A start is one burst of allocation (CRDs decoded and validated, OpenAPI
// specs built, caches filled). The pages it freed are returned to the
// operating system once, settleDelay after readiness, instead of at the
// runtime's own slow pace: an idle Supervisor holds about 60 MiB less. At
// the same moment the pages of the executable that the start touched are
// dropped (releaseExecutablePages): about 60 MiB less again, at 60 s.
//
// Unless GOGC is set, gcPercent then becomes the collector's target (the
// start runs at startGCPercent, then controllersGCPercent); 0 means the
// runtime's default of 100. At 50 an idle Supervisor holds 15 to 30 MiB
// less again for the same idle CPU, but creating a cluster, which is
// CPU-bound on small hosts, took about 15% longer (60 s against 51 s for a
// TKC on 2 cores); hence 0 by default.
func settleMemory(ctx context.Context, gcPercent int) {
	if gcPercent == 0 {
		gcPercent = 100 // the runtime's default
	}
	setGCPercent(gcPercent)
	go func() {
		select {
		case <-ctx.Done():
		case <-time.After(settleDelay):
			debug.FreeOSMemory()
			before, after, err := releaseExecutablePages()
			klog.V(2).InfoS("Asked the kernel to reclaim the executable's resident pages", "residentBefore", before, "residentAfter", after, "err", err)
			trimWhenIdle(ctx, trimInterval)
		}
	}()
}

// trimInterval is how often an idle Supervisor returns its free heap
// pages to the operating system.
const trimInterval = 30 * time.Second

// trimWhenIdle returns the heap's free pages to the operating system
// every interval in which no garbage collection ran, until ctx is done.
//
// An idle Supervisor still allocates about 0.7 MiB/s (kube-controller-
// manager's discovery every 30 s, the API server's OpenAPI aggregation,
// controllers' resyncs), but its heap goal is twice the live heap, so the
// runtime collects only every two minutes (its forced period), and its
// background scavenger keeps whatever the heap grew to below 1.1 times
// that goal. Measured on 2026-11-28, an idle Supervisor's resident memory
// climbed steadily from 366 MiB at 60 s to 383 MiB at 3 min; with a
// collection and release every 30 s while idle it stayed between 370 and
// 376 MiB, for 2.7% of a core against 2.5%. A busy Supervisor collects on
// its own more often than every interval, so it is left to the runtime.
func trimWhenIdle(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	d := idleDetector{last: gcCycles()}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// With the collector off (GOGC=off) every interval looks idle.
		if d.idle(gcCycles()) && gcPercent() >= 0 {
			debug.FreeOSMemory()
			d.last = gcCycles() // the collection it made is not activity
		}
	}
}

// idleDetector tells an idle interval from a busy one by the count of
// garbage collections: a busy process collects on its own.
type idleDetector struct{ last uint64 }

// idle reports whether the count n is the one of the previous call, and
// remembers n.
func (d *idleDetector) idle(n uint64) bool {
	idle := n == d.last
	d.last = n
	return idle
}

// gcPercent is the collector's current target (GOGC), -1 when it is off.
func gcPercent() int64 {
	return int64(runtimeMetric("/gc/gogc:percent", 100))
}

// gcCycles is the number of garbage collections completed so far, read
// without stopping the world (unlike runtime.ReadMemStats).
func gcCycles() uint64 {
	return runtimeMetric("/gc/cycles/total:gc-cycles", 0)
}

// runtimeMetric reads one of the runtime's uint64 metrics, or returns def
// if this runtime does not have it.
func runtimeMetric(name string, def uint64) uint64 {
	s := []metrics.Sample{{Name: name}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return def
	}
	return s[0].Value.Uint64()
}

// startGCPercent is the collector's target while the Supervisor starts,
// until its controllers do, unless GOGC is set. A cold start allocates
// several times its live heap; collecting half as often made the
// benchmark's medians 4.6 and 3.9 s against 4.7 and 4.6 s at 100 on 2
// cores, in alternating runs (400 gained nothing more, the soft memory
// limit bounding the heap by then).
const startGCPercent = 200

// controllersGCPercent is the collector's target from the moment the
// controllers start until the Supervisor is ready (about 1.5 s of a cold
// start on 2 cores), unless GOGC is set; settleMemory then sets the
// running target.
//
// That last part of a start decides how densely the heap an idle
// Supervisor keeps is packed: kube-controller-manager and the controllers
// fill their caches while the bootstrap objects are written, and objects
// kept for good land in the spans of that burst's garbage. Go does not
// move objects, and a span with one live object stays in use. Measured on
// 2026-11-28 (docs/design/supervisor.md has the table): 229 and 231 MiB of
// heap in use for 161 MiB live, against 239 to 252 MiB at 200, with the
// cold start within the benchmark's noise. 25 packed 13 MiB more but made
// the cold start 0.5 to 1 s slower; lower targets earlier in the start
// cost more start time, or gained nothing.
const controllersGCPercent = 50

// startMemory sets the collector's target for the start.
func startMemory() { setGCPercent(startGCPercent) }

// controllersMemory sets the collector's target for the last part of the
// start, once the controllers start.
func controllersMemory() { setGCPercent(controllersGCPercent) }

// setGCPercent sets the collector's target, unless GOGC is set: an
// operator's GOGC holds for the whole life of the process.
func setGCPercent(percent int) {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(percent)
	}
}
