package e2e

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/kubevisor/kubevisor/test/framework"
)

// shared is the Supervisor most tests run against.
var shared *framework.Supervisor

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	s, err := framework.NewSupervisor(framework.SupervisorOptions{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(s.Opts.DataDir)
	if err := s.Start(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := s.Stop(60 * time.Second); err != nil {
			fmt.Fprintln(os.Stderr, "stopping the shared supervisor:", err)
		}
	}()
	if err := s.WaitReady(5 * time.Minute); err != nil {
		fmt.Fprintf(os.Stderr, "%v\n%s\n", err, s.Output())
		return 1
	}
	shared = s
	return m.Run()
}
