package cluster

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubevisor/kubevisor/internal/cli/kubeconfig"
)

// fieldManager is the field manager of what the commands write.
const fieldManager = "kubevisor-cli"

// env is what the commands need from the world: a client of the
// Supervisor, the kubeconfig's namespace, a clock and the terminal. Tests
// replace its parts.
type env struct {
	kc kubeconfig.Options
	// client, when set, is used instead of one built from kc.
	client client.Client
	// defaultNamespace, when set, is used instead of the kubeconfig
	// context's namespace.
	defaultNamespace string
	// namespace is the value of -n/--namespace.
	namespace string
	// now is the clock.
	now func() time.Time
	// interval is how often --wait looks at the cluster.
	interval time.Duration
	// terminal reports whether w is a terminal, and its width.
	terminal func(w io.Writer) (bool, int)
}

// NewCommand returns `cluster` and its subcommands. They read and write
// through the command's streams (cmd.OutOrStdout, cmd.ErrOrStderr).
func NewCommand() *cobra.Command {
	return newCommand(&env{now: time.Now, interval: time.Second, terminal: isTerminal})
}

func newCommand(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "cluster",
		Aliases: []string{"clusters", "tkc"},
		Short:   "Manage workload clusters (TanzuKubernetesClusters) in a vSphere Namespace",
		Long: `Manage workload clusters: TanzuKubernetesCluster objects
(run.tanzu.vmware.com/v1alpha3) in a vSphere Namespace. Create them from
flags or a file, follow them until they are ready, scale and upgrade them,
and get their admin kubeconfig.

The Supervisor is found the way kubectl finds it: --kubeconfig, then
$KUBECONFIG, then ~/.kube/config. The namespace is -n, else the namespace
of the kubeconfig's context, else "default".`,
		Args: cobra.NoArgs,
	}
	e.kc.AddFlags(cmd.PersistentFlags())
	cmd.PersistentFlags().StringVarP(&e.namespace, "namespace", "n", "", "The vSphere Namespace of the cluster (default: the kubeconfig context's namespace, else \"default\").")
	cmd.AddCommand(
		newCreateCommand(e),
		newGetCommand(e),
		newListCommand(e),
		newScaleCommand(e),
		newUpgradeCommand(e),
		newDeleteCommand(e),
		newKubeconfigCommand(e),
	)
	return cmd
}

// getClient returns the client of the Supervisor.
func (e *env) getClient() (client.Client, error) {
	if e.client != nil {
		return e.client, nil
	}
	return e.kc.Client()
}

// ns returns the namespace the command works in: -n, else the kubeconfig
// context's namespace, else "default".
func (e *env) ns() string {
	if e.namespace != "" {
		return e.namespace
	}
	if e.defaultNamespace != "" {
		return e.defaultNamespace
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = e.kc.Kubeconfig
	cfg := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{CurrentContext: e.kc.Context})
	// A kubeconfig that cannot be read is reported when the client is
	// built; here it just means no namespace is set.
	if ns, _, err := cfg.Namespace(); err == nil && ns != "" {
		return ns
	}
	return "default"
}

// isTerminal reports whether w is a terminal, and its width (80 when it
// cannot be told).
func isTerminal(w io.Writer) (bool, int) {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return false, 0
	}
	width, _, err := term.GetSize(int(f.Fd()))
	if err != nil || width <= 0 {
		width = 80
	}
	return true, width
}

func exactlyName(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%s takes exactly one cluster NAME, got %d arguments", cmd.CommandPath(), len(args))
	}
	return nil
}

// explain wraps the error of action on cluster name in namespace ns,
// saying what to do when the cluster does not exist.
func explain(action, ns, name string, err error) error {
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("cluster %s not found in namespace %s: list the clusters with `kubevisor cluster list -n %s`", name, ns, ns)
	}
	return fmt.Errorf("%s cluster %s in namespace %s: %w", action, name, ns, err)
}
