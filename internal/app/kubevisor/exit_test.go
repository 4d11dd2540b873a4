package kubevisor

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"k8s.io/klog/v2"
)

// The child half of TestExitQuietlyWhenStopping: a component ends the
// process through klog, before or during a stop.
func init() {
	mode := os.Getenv("KUBEVISOR_TEST_EXIT")
	if mode == "" {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	if mode == "stopping" {
		cancel()
	}
	defer cancel()
	exitQuietlyWhenStopping(ctx)
	klog.FlushAndExit(time.Second, 1)
}

func TestExitQuietlyWhenStopping(t *testing.T) {
	for mode, want := range map[string]int{"running": 1, "stopping": 0} {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), "KUBEVISOR_TEST_EXIT="+mode)
		err := cmd.Run()
		code := 0
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			code = exitErr.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		if code != want {
			t.Errorf("%s: exit status %d, want %d", mode, code, want)
		}
	}
}
