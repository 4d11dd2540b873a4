package namespace

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kubevisorv1alpha1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/cli/kubeconfig"
)

// NewCommand returns `namespace` and its subcommands. It reads and writes
// through the command's streams (cmd.InOrStdin, cmd.OutOrStdout).
func NewCommand() *cobra.Command {
	var kc kubeconfig.Options
	cmd := &cobra.Command{
		Use:     "namespace",
		Aliases: []string{"namespaces", "ns"},
		Short:   "Manage vSphere Namespaces: who may use them, how much, and with which classes",
		Long: `Manage vSphere Namespaces (SupervisorNamespace objects). Each one is a
Kubernetes namespace of the same name, with permissions for users and
groups, limits on CPU, memory and storage, and the storage classes, VM
classes and content libraries its workloads may use.

The Supervisor is found the way kubectl finds it: --kubeconfig, then
$KUBECONFIG, then ~/.kube/config.`,
		Args: cobra.NoArgs,
	}
	kc.AddFlags(cmd.PersistentFlags())
	cmd.AddCommand(
		newCreateCommand(&kc),
		newUpdateCommand(&kc),
		newDeleteCommand(&kc),
		newGetCommand(&kc),
		newListCommand(&kc),
	)
	return cmd
}

func newCreateCommand(kc *kubeconfig.Options) *cobra.Command {
	var f specFlags
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a vSphere Namespace",
		Example: `  kubevisor namespace create team-a --owner user:alice --editor group:developers \
      --cpu 8 --memory 32Gi --storage 200Gi \
      --vm-class best-effort-small --vm-class best-effort-medium \
      --storage-class local=100Gi --content-library tkrs`,
		Args: exactlyName,
		RunE: func(cmd *cobra.Command, args []string) error {
			edit, err := f.parse(cmd.Flags().Changed, false)
			if err != nil {
				return err
			}
			ns := &kubevisorv1alpha1.SupervisorNamespace{ObjectMeta: metav1.ObjectMeta{Name: args[0]}}
			edit.apply(&ns.Spec)
			if err := checkSpec(&ns.Spec); err != nil {
				return err
			}
			c, err := kc.Client()
			if err != nil {
				return err
			}
			if err := c.Create(cmd.Context(), ns); err != nil {
				if apierrors.IsAlreadyExists(err) {
					return fmt.Errorf("namespace %s already exists: change it with `kubevisor namespace update %s`", ns.Name, ns.Name)
				}
				return fmt.Errorf("creating namespace %s: %w", ns.Name, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "namespace %s created\n", ns.Name)
			return nil
		},
	}
	f.addFlags(cmd.Flags(), false)
	return cmd
}

func newUpdateCommand(kc *kubeconfig.Options) *cobra.Command {
	var f specFlags
	cmd := &cobra.Command{
		Use:   "update NAME",
		Short: "Change a vSphere Namespace",
		Long: `Change a vSphere Namespace. Only what the flags name changes. A list flag
(--owner, --editor, --viewer, --vm-class, --storage-class, --content-library)
replaces its list; the --add-* and --remove-* flags change one entry.`,
		Example: `  kubevisor namespace update team-a --cpu 16 --add-viewer group:auditors
  kubevisor namespace update team-a --memory none --vm-class best-effort-large`,
		Args: exactlyName,
		RunE: func(cmd *cobra.Command, args []string) error {
			given := 0
			cmd.LocalNonPersistentFlags().VisitAll(func(fl *pflag.Flag) {
				if fl.Changed {
					given++
				}
			})
			if given == 0 {
				return errors.New("nothing to change: pass a flag such as --cpu, --owner or --add-vm-class (see `kubevisor namespace update --help`)")
			}
			edit, err := f.parse(cmd.Flags().Changed, true)
			if err != nil {
				return err
			}
			c, err := kc.Client()
			if err != nil {
				return err
			}
			name := args[0]
			changed := false
			err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
				ns := &kubevisorv1alpha1.SupervisorNamespace{}
				if err := c.Get(cmd.Context(), client.ObjectKey{Name: name}, ns); err != nil {
					return err
				}
				before := ns.Spec.DeepCopy()
				edit.apply(&ns.Spec)
				if err := checkSpec(&ns.Spec); err != nil {
					return err
				}
				if changed = !equality.Semantic.DeepEqual(before, &ns.Spec); !changed {
					return nil
				}
				return c.Update(cmd.Context(), ns)
			})
			if err != nil {
				return explain("updating", name, err)
			}
			if !changed {
				fmt.Fprintf(cmd.OutOrStdout(), "namespace %s unchanged\n", name)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "namespace %s updated\n", name)
			return nil
		},
	}
	f.addFlags(cmd.Flags(), true)
	return cmd
}

func newDeleteCommand(kc *kubeconfig.Options) *cobra.Command {
	var (
		waitForGone bool
		timeout     time.Duration
	)
	cmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a vSphere Namespace and everything in it",
		Long: `Delete a vSphere Namespace. The Supervisor then deletes its Kubernetes
namespace with every workload, cluster and VM in it, and everything derived
from it. With --wait the command returns once all of that is gone.`,
		Args: exactlyName,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := kc.Client()
			if err != nil {
				return err
			}
			name := args[0]
			ns := &kubevisorv1alpha1.SupervisorNamespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
			if err := c.Delete(cmd.Context(), ns); err != nil {
				return explain("deleting", name, err)
			}
			if !waitForGone {
				fmt.Fprintf(cmd.OutOrStdout(), "namespace %s deleted\n", name)
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "namespace %s is being deleted; waiting up to %s for it to be gone\n", name, timeout)
			err = wait.PollUntilContextTimeout(cmd.Context(), time.Second, timeout, true, func(ctx context.Context) (bool, error) {
				err := c.Get(ctx, client.ObjectKey{Name: name}, &kubevisorv1alpha1.SupervisorNamespace{})
				if apierrors.IsNotFound(err) {
					return true, nil
				}
				return false, err
			})
			if err != nil {
				return fmt.Errorf("waiting for namespace %s to be deleted: %w (see its conditions with `kubevisor namespace get %s`)", name, err, name)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "namespace %s deleted\n", name)
			return nil
		},
	}
	cmd.Flags().BoolVar(&waitForGone, "wait", false, "Wait until the namespace and everything in it are gone.")
	cmd.Flags().DurationVar(&timeout, "timeout", 10*time.Minute, "How long --wait waits.")
	return cmd
}

func newGetCommand(kc *kubeconfig.Options) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "get NAME",
		Short: "Show a vSphere Namespace: permissions, limits and usage, classes, conditions",
		Args:  exactlyName,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			c, err := kc.Client()
			if err != nil {
				return err
			}
			ns := &kubevisorv1alpha1.SupervisorNamespace{}
			if err := c.Get(cmd.Context(), client.ObjectKey{Name: args[0]}, ns); err != nil {
				return explain("getting", args[0], err)
			}
			if output == "" {
				return describe(cmd.OutOrStdout(), ns, time.Now())
			}
			return printObject(cmd.OutOrStdout(), c, ns, output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Output format: yaml or json (default: a summary).")
	return cmd
}

func newListCommand(kc *kubeconfig.Options) *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List vSphere Namespaces",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			c, err := kc.Client()
			if err != nil {
				return err
			}
			list := &kubevisorv1alpha1.SupervisorNamespaceList{}
			if err := c.List(cmd.Context(), list); err != nil {
				return fmt.Errorf("listing namespaces: %w", err)
			}
			if output == "" {
				return printTable(cmd.OutOrStdout(), list.Items, time.Now())
			}
			return printObject(cmd.OutOrStdout(), c, list, output)
		},
	}
	cmd.Flags().StringVarP(&output, "output", "o", "", "Output format: yaml or json (default: a table).")
	return cmd
}

func exactlyName(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return fmt.Errorf("%s takes exactly one namespace NAME, got %d arguments", cmd.CommandPath(), len(args))
	}
	return nil
}

// explain wraps the error of action on namespace name, saying what to do
// when it does not exist.
func explain(action, name string, err error) error {
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("namespace %s not found: list them with `kubevisor namespace list`", name)
	}
	return fmt.Errorf("%s namespace %s: %w", action, name, err)
}
