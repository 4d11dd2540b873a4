package kubevisor

import (
	"context"
	"os"
	"runtime/debug"
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
// start runs at startGCPercent); 0 means the runtime's default of 100. At
// 50 an idle Supervisor holds 15 to 30 MiB less again for the same idle
// CPU, but creating a cluster, which is CPU-bound on small hosts, took
// about 15% longer (60 s against 51 s for a TKC on 2 cores); hence 0 by
// default.
func settleMemory(ctx context.Context, gcPercent int) {
	if os.Getenv("GOGC") == "" {
		if gcPercent == 0 {
			gcPercent = 100 // the runtime's default
		}
		debug.SetGCPercent(gcPercent)
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-time.After(settleDelay):
			debug.FreeOSMemory()
			before, after, err := releaseExecutablePages()
			klog.V(2).InfoS("Asked the kernel to reclaim the executable's resident pages", "residentBefore", before, "residentAfter", after, "err", err)
		}
	}()
}

// startGCPercent is the collector's target while the Supervisor starts,
// unless GOGC is set. A cold start allocates several times its live heap;
// collecting half as often made the benchmark's medians 4.6 and 3.9 s
// against 4.7 and 4.6 s at 100 on 2 cores, in alternating runs (400 gained
// nothing more, the soft memory limit bounding the heap by then).
// settleMemory sets the running target once the Supervisor is ready.
const startGCPercent = 200

// startMemory sets the collector's target for the start.
func startMemory() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(startGCPercent)
	}
}
