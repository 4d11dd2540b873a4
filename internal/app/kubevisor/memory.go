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
// 2026-11-28, in alternating runs on 2 cores (161 MiB live in all of
// them, heap in use after a forced collection 2 minutes after ready):
//   - 200 throughout the start: 239 to 252 MiB in use, idle RSS 364 to
//     385 MiB (the median of samples from 45 s to 2 min after ready);
//   - 50 from the controllers on: 229 and 231 MiB, 354 and 356 MiB;
//   - 50 from the CRDs' installation on: 226 and 231 MiB, 347 and
//     354 MiB, but that is half of a start: the cold start's medians
//     were 4.8 and 4.9 s (and once 6.5 s) against 4.2 to 4.9 s;
//   - 50 only while the CRDs are installed, or 100 from then on: 235 to
//     247 MiB, no better than 200;
//   - 25 for the 30 s after readiness: 237 to 239 MiB.
//
// The cost is about 1.5 s of a start at a quarter of the heap's growth
// between collections. It was within the noise of the cold-start
// benchmark: in two alternating pairs its medians were 4.81 and 4.93 s
// against 5.45 and 4.51 s (all ten starts: a median of 4.87 s against
// 5.29 s) on an hour when this machine was slow.
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
