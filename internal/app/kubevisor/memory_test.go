package kubevisor

import (
	"context"
	"runtime"
	"runtime/debug"
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

func TestIdleDetector(t *testing.T) {
	d := idleDetector{last: 7}
	for i, step := range []struct {
		n    uint64
		idle bool
	}{
		{7, true},   // nothing collected since the start
		{9, false},  // the runtime collected twice
		{9, true},   // and then not
		{9, true},   // still idle
		{10, false}, // busy again
	} {
		if got := d.idle(step.n); got != step.idle {
			t.Errorf("step %d: idle(%d) = %v, want %v", i, step.n, got, step.idle)
		}
	}
}

// With the collector off, nothing collects: no trims either.
func TestTrimWhenIdleNotWhenCollectorOff(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	before := gcCycles()
	trimWhenIdle(ctx, 20*time.Millisecond)
	if n := gcCycles() - before; n != 0 {
		t.Errorf("%d collections with GOGC=off, want 0", n)
	}
}

// The real loop, on this test process: idle, it collects once per interval.
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

// The start's targets apply unless GOGC is set, which holds throughout.
func TestStartTargetsYieldToGOGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "")
	startMemory()
	if got := gcPercent(); got != startGCPercent {
		t.Errorf("target after startMemory = %d, want %d", got, startGCPercent)
	}
	controllersMemory()
	if got := gcPercent(); got != controllersGCPercent {
		t.Errorf("target after controllersMemory = %d, want %d", got, controllersGCPercent)
	}

	debug.SetGCPercent(77)
	t.Setenv("GOGC", "77")
	startMemory()
	controllersMemory()
	if got := gcPercent(); got != 77 {
		t.Errorf("target with GOGC=77 = %d, want 77", got)
	}
}
