package guest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"

	"github.com/kubevisor/kubevisor/internal/guest/boot"
	"github.com/kubevisor/kubevisor/internal/guest/services"
)

// Version is the agent's version, reported in the status file.
var Version = "0.1.0"

// ReadyFD is the pipe on which "boot" reports to the provider: "ok\n", or
// the error that stopped the boot.
const ReadyFD = 3

// Main runs the binary's part chosen by args and returns its exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	name := filepath.Base(args[0])
	if name == "systemctl" {
		return services.Systemctl("/", args[1:], stdout, stderr)
	}
	cmd := ""
	if len(args) > 1 {
		cmd = args[1]
	}
	switch {
	case cmd == "boot" && len(args) == 3:
		return bootVM(args[2], stderr)
	case cmd == "agent" || cmd == "" && os.Getpid() == 1:
		if err := runAgent(ctx, stdout); err != nil {
			fmt.Fprintf(stderr, "kubevisor-guest: %v\n", err)
			return 1
		}
		return 0
	case cmd == "attach" && len(args) == 3:
		var a boot.Attach
		if err := json.Unmarshal([]byte(args[2]), &a); err != nil {
			fmt.Fprintf(stderr, "attach: %v\n", err)
			return 2
		}
		if err := boot.ApplyAttach(a); err != nil {
			fmt.Fprintf(stderr, "attach: %v\n", err)
			return 1
		}
		return 0
	case cmd == "systemctl":
		return services.Systemctl("/", args[2:], stdout, stderr)
	case cmd == "version":
		fmt.Fprintln(stdout, Version)
		return 0
	default:
		fmt.Fprintf(stderr, "usage: %s boot <config.json> | agent | systemctl <args> | version\n", name)
		return 2
	}
}

// bootVM assembles the VM and becomes its agent. Errors go to the ready
// pipe (when the provider gave one) and to stderr, the VM's console log.
func bootVM(configPath string, stderr io.Writer) int {
	ready := os.NewFile(ReadyFD, "ready")
	fail := func(err error) int {
		fmt.Fprintf(stderr, "kubevisor-guest boot: %v\n", err)
		if ready != nil {
			fmt.Fprintf(ready, "%v\n", err)
		}
		return 1
	}
	cfg, err := boot.Read(configPath)
	if err != nil {
		return fail(err)
	}
	if err := boot.Setup(cfg); err != nil {
		return fail(err)
	}
	agent := cfg.Agent
	if agent == "" {
		agent = boot.AgentPath
	}
	if ready != nil {
		fmt.Fprintf(ready, "ok\n")
		ready.Close()
	}
	env := []string{"PATH=" + services.DefaultPath, "HOME=/root", "TERM=linux", "container=kubevisor"}
	err = syscall.Exec(agent, []string{agent, "agent"}, env)
	fmt.Fprintf(stderr, "kubevisor-guest boot: exec %s: %v\n", agent, err)
	return 1
}
