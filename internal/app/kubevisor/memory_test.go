package kubevisor

import (
	"context"
	"runtime"
	"testing"
	"time"
)

func TestGCCyclesCounts(t *testing.T) {
	before := gcCycles()
	runtime.GC()
	if after := gcCycles(); after <= before {
		t.Fatalf("gcCycles %d after runtime.GC, %d before", after, before)
	}
}

// An idle process is trimmed once per interval: each trim is a collection,
// so the count of collections rises without anything allocating.
func TestTrimWhenIdleCollectsWhileIdle(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	before := gcCycles()
	go func() {
		defer close(done)
		trimWhenIdle(ctx, 50*time.Millisecond)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for gcCycles() < before+3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
	if n := gcCycles() - before; n < 3 {
		t.Fatalf("%d collections in 10 s of idling with a 50 ms trim interval, want at least 3", n)
	}
}
