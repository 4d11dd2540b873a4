package kubevisor

import (
	"context"
	"os"
	"runtime/debug"
	"time"
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
// runtime's own slow pace: an idle Supervisor holds about 60 MiB less.
//
// gcPercent, when not 0 (and GOGC is not set), then becomes the collector's
// target. The start runs at the runtime's default of 100 (or GOGC's),
// which is faster. At 50 an idle Supervisor holds 15 to 30 MiB less again for the
// same idle CPU, but creating a cluster, which is CPU-bound on small hosts,
// took about 15% longer (60 s against 51 s for a TKC on 2 cores); hence 0,
// the runtime's 100, by default.
func settleMemory(ctx context.Context, gcPercent int) {
	if os.Getenv("GOGC") == "" && gcPercent > 0 {
		debug.SetGCPercent(gcPercent)
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-time.After(settleDelay):
			debug.FreeOSMemory()
		}
	}()
}
