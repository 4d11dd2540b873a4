package e2e

import (
	"context"
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
		// Local VMs outlive their Supervisor by design: delete them while
		// it still runs, so the machine is left as it was found.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		if out, err := s.Kubectl(ctx, nil, "delete", "virtualmachines", "--all", "--all-namespaces", "--wait=true"); err != nil {
			fmt.Fprintln(os.Stderr, "deleting the VMs of the shared supervisor:", err, out)
		}
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
