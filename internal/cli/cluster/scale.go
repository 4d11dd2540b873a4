package cluster

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
)

// scaleEdit is what `cluster scale` changes.
type scaleEdit struct {
	// pool is the node pool of workers; "" for the only one.
	pool string
	// workers and controlPlane are the new replica counts, nil to keep.
	workers, controlPlane *int32
}

// apply sets the replicas of tkc, or says why it cannot.
func (s scaleEdit) apply(tkc *runv1.TanzuKubernetesCluster) error {
	if s.controlPlane != nil {
		tkc.Spec.Topology.ControlPlane.Replicas = ptr.To(*s.controlPlane)
	}
	if s.workers == nil {
		return nil
	}
	pools := tkc.Spec.Topology.NodePools
	names := make([]string, len(pools))
	for i := range pools {
		names[i] = pools[i].Name
	}
	switch {
	case len(pools) == 0:
		return fmt.Errorf("cluster %s has no node pools to scale", tkc.Name)
	case s.pool == "" && len(pools) > 1:
		return fmt.Errorf("cluster %s has %d node pools: choose one with --pool (%s)", tkc.Name, len(pools), strings.Join(names, ", "))
	case s.pool == "":
		pools[0].Replicas = ptr.To(*s.workers)
		return nil
	}
	for i := range pools {
		if pools[i].Name == s.pool {
			pools[i].Replicas = ptr.To(*s.workers)
			return nil
		}
	}
	return fmt.Errorf("--pool %s: cluster %s has no such node pool; it has %s", s.pool, tkc.Name, strings.Join(names, ", "))
}

// setTKR makes tkc run release tkr: on its control plane and on every node
// pool that names a release.
func setTKR(tkc *runv1.TanzuKubernetesCluster, tkr string) {
	set := func(r *runv1.TKRReference) {
		r.Reference = &corev1.ObjectReference{Name: tkr}
	}
	set(&tkc.Spec.Topology.ControlPlane.TKR)
	for i := range tkc.Spec.Topology.NodePools {
		if p := &tkc.Spec.Topology.NodePools[i]; p.TKR.Reference != nil {
			set(&p.TKR)
		}
	}
}

// refusedError is an edit that does not fit the cluster; it is shown as
// it is.
type refusedError struct{ err error }

func (e *refusedError) Error() string { return e.err.Error() }
func (e *refusedError) Unwrap() error { return e.err }

// update changes cluster ns/name with edit, retrying on conflicts, and
// reports whether anything changed.
func update(ctx context.Context, c client.Client, ns, name string, edit func(*runv1.TanzuKubernetesCluster) error) (bool, error) {
	changed := false
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		tkc := &runv1.TanzuKubernetesCluster{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, tkc); err != nil {
			return err
		}
		before := tkc.DeepCopy()
		if err := edit(tkc); err != nil {
			return &refusedError{err: err}
		}
		if changed = !equality.Semantic.DeepEqual(before.Spec, tkc.Spec); !changed {
			return nil
		}
		return c.Patch(ctx, tkc, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}), client.FieldOwner(fieldManager))
	})
	return changed, err
}

func newScaleCommand(e *env) *cobra.Command {
	var (
		pool                  string
		workers, controlPlane int32
		wait                  bool
		timeout               time.Duration
	)
	cmd := &cobra.Command{
		Use:   "scale NAME --workers N [--pool POOL] [--control-plane N]",
		Short: "Change the number of worker or control plane nodes of a cluster",
		Example: `  kubevisor cluster scale demo --workers 3
  kubevisor cluster scale demo --pool gpu --workers 0
  kubevisor cluster scale demo --control-plane 3 --wait`,
		Args: exactlyName,
		RunE: func(cmd *cobra.Command, args []string) error {
			var s scaleEdit
			fl := cmd.Flags()
			if fl.Changed("workers") {
				if workers < 0 {
					return fmt.Errorf("--workers %d: must not be negative", workers)
				}
				s.workers = &workers
			}
			if fl.Changed("control-plane") {
				if controlPlane < 1 {
					return fmt.Errorf("--control-plane %d: a cluster needs 1 or 3 control plane nodes", controlPlane)
				}
				s.controlPlane = &controlPlane
			}
			if s.workers == nil && s.controlPlane == nil {
				return errors.New("nothing to scale: pass --workers N (and --pool POOL if the cluster has several node pools) or --control-plane N")
			}
			if pool != "" && s.workers == nil {
				return errors.New("--pool needs --workers: the number of workers of that pool")
			}
			s.pool = pool
			c, err := e.getClient()
			if err != nil {
				return err
			}
			ns, name := e.ns(), args[0]
			changed, err := update(cmd.Context(), c, ns, name, s.apply)
			var refused *refusedError
			if errors.As(err, &refused) {
				return refused.err
			}
			if err != nil {
				return explain("scaling", ns, name, err)
			}
			return e.reportChange(cmd, c, ns, name, "scaled", changed, wait, timeout)
		},
	}
	cmd.Flags().Int32Var(&workers, "workers", 0, "The number of worker nodes of the node pool.")
	cmd.Flags().StringVar(&pool, "pool", "", "The node pool to scale (required when the cluster has several).")
	cmd.Flags().Int32Var(&controlPlane, "control-plane", 0, "The number of control plane nodes (1 or 3).")
	cmd.Flags().BoolVar(&wait, "wait", false, "Wait until the cluster is ready again, showing its progress.")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "How long --wait waits.")
	return cmd
}

func newUpgradeCommand(e *env) *cobra.Command {
	var (
		tkr     string
		wait    bool
		timeout time.Duration
	)
	cmd := &cobra.Command{
		Use:   "upgrade NAME --tkr TKR",
		Short: "Move a cluster to another TanzuKubernetesRelease",
		Long: `Move a cluster to another TanzuKubernetesRelease: its control plane and
every node pool that names a release. The nodes are then replaced one by
one. List the releases with ` + "`kubectl get tkr`" + `; the cluster's
UpdatesAvailable condition names the newer ones.`,
		Example: `  kubevisor cluster upgrade demo --tkr v1.36.3---vmware.1-kubevisor.1 --wait`,
		Args:    exactlyName,
		RunE: func(cmd *cobra.Command, args []string) error {
			if tkr == "" {
				return errors.New("--tkr is required: list the releases with `kubectl get tkr`")
			}
			c, err := e.getClient()
			if err != nil {
				return err
			}
			ns, name := e.ns(), args[0]
			r := &runv1.TanzuKubernetesRelease{}
			if err := c.Get(cmd.Context(), client.ObjectKey{Name: tkr}, r); err != nil {
				if apierrors.IsNotFound(err) {
					return fmt.Errorf("--tkr %s: no such TanzuKubernetesRelease; list them with `kubectl get tkr`", tkr)
				}
				return fmt.Errorf("getting TanzuKubernetesRelease %s: %w", tkr, err)
			}
			if why := unusable(r); why != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "warning: TanzuKubernetesRelease %s is not usable: %s\n", tkr, why)
			}
			changed, err := update(cmd.Context(), c, ns, name, func(tkc *runv1.TanzuKubernetesCluster) error {
				setTKR(tkc, tkr)
				return nil
			})
			if err != nil {
				return explain("upgrading", ns, name, err)
			}
			return e.reportChange(cmd, c, ns, name, "upgrading to "+tkr, changed, wait, timeout)
		},
	}
	cmd.Flags().StringVar(&tkr, "tkr", "", "The TanzuKubernetesRelease to move to (required; list them with: kubectl get tkr).")
	cmd.Flags().BoolVar(&wait, "wait", false, "Wait until the cluster is ready again, showing its progress.")
	cmd.Flags().DurationVar(&timeout, "timeout", 30*time.Minute, "How long --wait waits.")
	return cmd
}

// reportChange says what happened to cluster ns/name and, with wait,
// follows it until it is ready.
func (e *env) reportChange(cmd *cobra.Command, c client.Client, ns, name, what string, changed, wait bool, timeout time.Duration) error {
	out := cmd.OutOrStdout()
	if !changed {
		fmt.Fprintf(out, "cluster %s unchanged\n", name)
	} else {
		fmt.Fprintf(out, "cluster %s %s\n", name, what)
	}
	if !wait {
		return nil
	}
	return e.waitReady(cmd.Context(), c, out, ns, name, timeout)
}
