package kubectlvsphere

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/kubevisor/kubevisor/internal/cli/vsphere"
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
		Use:   "kubectl-vsphere",
		Short: "Log in to a kubevisor Supervisor and its workload clusters",
		Long: `kubectl vsphere logs you in to a Supervisor with your single sign-on user
name and password, and writes kubeconfig contexts for the Supervisor, for the
namespaces you may use and for workload clusters.`,
		Annotations:   map[string]string{cobra.CommandDisplayNameAnnotation: "kubectl vsphere"},
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetIn(streams.In)
	root.SetOut(streams.Out)
	root.SetErr(streams.ErrOut)
	root.SetArgs(args)
	root.AddCommand(vsphere.NewLoginCommand(), vsphere.NewLogoutCommand())
	return root.ExecuteContext(ctx)
}
