package kubevisor

import (
	"os"
	"strings"
	"testing"
)

// TestReleaseExecutablePages runs the reclaim on the test binary itself:
// it finds the executable's read-only mappings, the kernel accepts the
// advice, and the process runs on (its code is read back as needed).
func TestReleaseExecutablePages(t *testing.T) {
	n, err := releaseExecutablePages()
	if err != nil {
		t.Fatal(err)
	}
	if n < 1<<20 {
		t.Fatalf("asked about %d bytes of the executable's mappings, want its code and read-only data", n)
	}
	// Code and data run on: a path not taken before the reclaim.
	b, err := os.ReadFile("/proc/self/status")
	if err != nil || !strings.Contains(string(b), "VmRSS") {
		t.Fatalf("reading /proc/self/status after the reclaim: %v", err)
	}
}
