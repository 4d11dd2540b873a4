package cluster

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
)

// kubeconfigKey is the key of the kubeconfig in Cluster API's
// <cluster>-kubeconfig Secret.
const kubeconfigKey = "value"

// adminKubeconfig returns the admin kubeconfig of cluster ns/name, or an
// error saying why there is none yet.
func adminKubeconfig(ctx context.Context, c client.Client, ns, name string) ([]byte, error) {
	secret := &corev1.Secret{}
	err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name + "-kubeconfig"}, secret)
	if apierrors.IsNotFound(err) {
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &runv1.TanzuKubernetesCluster{}); err != nil {
			return nil, explain("getting", ns, name, err)
		}
		return nil, fmt.Errorf("cluster %s is not ready yet: its kubeconfig appears once its control plane is up; follow it with `kubevisor cluster get %s -n %s`", name, name, ns)
	}
	if err != nil {
		return nil, fmt.Errorf("getting the kubeconfig of cluster %s in namespace %s (Secret %s-kubeconfig): %w", name, ns, name, err)
	}
	data := secret.Data[kubeconfigKey]
	if len(data) == 0 {
		return nil, fmt.Errorf("the kubeconfig Secret %s-kubeconfig of cluster %s in namespace %s has no %q key; see `kubevisor cluster get %s -n %s`", name, name, ns, kubeconfigKey, name, ns)
	}
	return data, nil
}

func newKubeconfigCommand(e *env) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "kubeconfig NAME",
		Short: "Print the admin kubeconfig of a workload cluster",
		Example: `  kubevisor cluster kubeconfig demo > demo.kubeconfig
  kubevisor cluster kubeconfig demo --output demo.kubeconfig && kubectl --kubeconfig demo.kubeconfig get nodes`,
		Args: exactlyName,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := e.getClient()
			if err != nil {
				return err
			}
			ns, name := e.ns(), args[0]
			data, err := adminKubeconfig(cmd.Context(), c, ns, name)
			if err != nil {
				return err
			}
			if output == "" {
				_, err := cmd.OutOrStdout().Write(data)
				return err
			}
			if err := os.WriteFile(output, data, 0o600); err != nil {
				return fmt.Errorf("--output %s: %w", output, err)
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "admin kubeconfig of cluster %s written to %s\n", name, output)
			return nil
		},
	}
	cmd.Flags().StringVar(&output, "output", "", "Write the kubeconfig to this file (mode 0600) instead of standard output.")
	return cmd
}
