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
	"k8s.io/klog/v2"
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
	if err := Run(ctx, Streams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
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

	root.AddCommand(newServerCommand(streams, klogFlags))
	return root.ExecuteContext(ctx)
}
