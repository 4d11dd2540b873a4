package cluster

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
)

func newDeleteCommand(e *env) *cobra.Command {
	var (
		wait    bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a workload cluster and its nodes",
		Long: `Delete a workload cluster. The Supervisor then deletes its nodes (VMs),
load balancer, volumes and secrets. With --wait the command returns once
the cluster is gone.`,
		Args: exactlyName,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := e.getClient()
			if err != nil {
				return err
			}
			ns, name := e.ns(), args[0]
			tkc := &runv1.TanzuKubernetesCluster{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}}
			if err := c.Delete(cmd.Context(), tkc); err != nil {
				return explain("deleting", ns, name, err)
			}
			out := cmd.OutOrStdout()
			if !wait {
				fmt.Fprintf(out, "cluster %s is being deleted\n", name)
				return nil
			}
			fmt.Fprintf(out, "cluster %s is being deleted; waiting up to %s for it to be gone\n", name, timeout)
			return e.waitDeleted(cmd.Context(), c, out, ns, name, timeout)
		},
	}
	cmd.Flags().BoolVar(&wait, "wait", false, "Wait until the cluster is gone, showing its progress.")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "How long --wait waits.")
	return cmd
}
