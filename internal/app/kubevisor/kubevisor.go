package kubevisor

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"
	"k8s.io/klog/v2"

	"github.com/kubevisor/kubevisor/internal/cli/cluster"
	"github.com/kubevisor/kubevisor/internal/cli/library"
	"github.com/kubevisor/kubevisor/internal/cli/namespace"
	"github.com/kubevisor/kubevisor/internal/cli/sso"
)

// Streams are the command's standard streams.
type Streams struct {
	In          io.Reader
	Out, ErrOut io.Writer
}

// Main runs the command with the process's arguments and returns its exit
// code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// The command's own messages keep going to the terminal even when the
	// server sends the process's file descriptor 2 to its log file.
	// The copy is close-on-exec: VMs and other children this process
	// starts must not inherit it (a pipe held open by a VM would outlive
	// the Supervisor).
	errOut := os.Stderr
	if fd, err := unix.FcntlInt(2, unix.F_DUPFD_CLOEXEC, 3); err == nil {
		errOut = os.NewFile(uintptr(fd), "stderr")
	}
	if err := Run(ctx, Streams{In: os.Stdin, Out: os.Stdout, ErrOut: errOut}, os.Args[1:]); err != nil {
		fmt.Fprintln(errOut, "error:", err)
		return 1
	}
	return 0
}

// Run runs the command with args.
func Run(ctx context.Context, streams Streams, args []string) error {
	root := &cobra.Command{
		Use:           "kubevisor",
		Short:         "kubevisor: a Supervisor for Kubernetes workload clusters",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetArgs(args)

	klogFlags := flag.NewFlagSet("klog", flag.ContinueOnError)
	klog.InitFlags(klogFlags)
	root.PersistentFlags().AddGoFlag(klogFlags.Lookup("v"))

	root.AddCommand(
		newServerCommand(streams, klogFlags),
		namespace.NewCommand(),
		library.NewCommand(),
		sso.NewCommand(),
		cluster.NewCommand(),
	)
	return root.ExecuteContext(ctx)
}
