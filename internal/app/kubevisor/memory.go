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
// specs built, caches filled) at the runtime's default GOGC of 100, which
// keeps it fast. Afterwards gcPercent (unless GOGC is set) keeps the heap
// closer to what is live: at 50 an idle Supervisor holds about 60 MiB less,
// for about the same idle CPU. The burst's freed pages are returned to the
// operating system once, settleDelay later, instead of at the runtime's
// own slow pace: about 30 MiB more.
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
