package tanzukubernetescluster

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/tkg"
	"github.com/kubevisor/kubevisor/internal/tkg/tkc"
)

// Finalizer keeps a TanzuKubernetesCluster until its Cluster is deleted.
const Finalizer = "tanzukubernetescluster.run.tanzu.vmware.com"

// deletePollInterval is how often a deleting TKC checks whether its
// Cluster is gone, on top of the Cluster's own deletion event.
const deletePollInterval = 5 * time.Second

var _ reconcile.Reconciler = &Reconciler{}

// Reconciler keeps a Cluster API Cluster for every TanzuKubernetesCluster.
type Reconciler struct {
	Client client.Client
}

// SetupWithManager registers the controller.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("tanzukubernetescluster").
		For(&runv1.TanzuKubernetesCluster{}).
		Owns(&clusterv1.Cluster{}).
		// A release appearing or changing can change any cluster's
		// TanzuKubernetesReleaseCompatible and UpdatesAvailable.
		Watches(&runv1.TanzuKubernetesRelease{}, handler.EnqueueRequestsFromMapFunc(r.allClusters)).
		Complete(r)
}

// allClusters requests every TanzuKubernetesCluster.
func (r *Reconciler) allClusters(ctx context.Context, _ client.Object) []reconcile.Request {
	var list runv1.TanzuKubernetesClusterList
	if err := r.Client.List(ctx, &list); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing TanzuKubernetesClusters")
		return nil
	}
	reqs := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return reqs
}

// Reconcile brings the TKC's Cluster in line with the TKC and mirrors the
// Cluster's state on the TKC's status.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	t := &runv1.TanzuKubernetesCluster{}
	if err := r.Client.Get(ctx, req.NamespacedName, t); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !t.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, t)
	}
	if controllerutil.AddFinalizer(t, Finalizer) {
		if err := r.Client.Update(ctx, t); err != nil {
			return ctrl.Result{}, fmt.Errorf("adding finalizer: %w", err)
		}
	}
	return ctrl.Result{}, r.reconcileNormal(ctx, t)
}

// reconcileNormal creates or updates the Cluster, then the status.
func (r *Reconciler) reconcileNormal(ctx context.Context, t *runv1.TanzuKubernetesCluster) error {
	desired, convErr := tkc.ToCluster(t)
	cluster, err := r.getCluster(ctx, t)
	if err != nil {
		return err
	}
	var o observation
	switch {
	case convErr != nil:
		o.invalidSpec = convErr
	case cluster == nil:
		if err := controllerutil.SetControllerReference(t, desired, r.Client.Scheme()); err != nil {
			return err
		}
		if err := r.Client.Create(ctx, desired); err != nil {
			return fmt.Errorf("creating Cluster %s: %w", klog.KObj(desired), err)
		}
		ctrl.LoggerFrom(ctx).Info("Created the Cluster", "cluster", klog.KObj(desired))
		cluster, o.updated = desired, true
	case !metav1.IsControlledBy(cluster, t):
		o.nameConflict = true
	default:
		if o.updated, err = r.updateCluster(ctx, cluster, desired); err != nil {
			return err
		}
	}
	o.cluster = cluster
	status := computeStatus(t, o)
	if err := r.setReleaseCompatible(ctx, t, &status); err != nil {
		return err
	}
	return r.patchStatus(ctx, t, status)
}

// setReleaseCompatible mirrors the Compatible condition of the TKC's
// release as TanzuKubernetesReleaseCompatible, and sets UpdatesAvailable.
func (r *Reconciler) setReleaseCompatible(ctx context.Context, t *runv1.TanzuKubernetesCluster, s *runv1.TanzuKubernetesClusterStatus) error {
	if s.Version == "" {
		return nil
	}
	c := metav1.Condition{Type: runv1.TanzuKubernetesReleaseCompatibleCondition, ObservedGeneration: t.Generation}
	tkr := &runv1.TanzuKubernetesRelease{}
	err := r.Client.Get(ctx, client.ObjectKey{Name: s.Version}, tkr)
	switch {
	case apierrors.IsNotFound(err):
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, "NotFound", fmt.Sprintf("TanzuKubernetesRelease %s does not exist (kubectl get tkr)", s.Version)
		meta.SetStatusCondition(&s.Conditions, metav1.Condition{Type: runv1.UpdatesAvailableCondition, Status: metav1.ConditionUnknown,
			ObservedGeneration: t.Generation, Reason: runv1.TKRNotFoundReason, Message: c.Message})
	case err != nil:
		return err
	default:
		if err := r.setUpdatesAvailable(ctx, t, s, tkr); err != nil {
			return err
		}
		if src := meta.FindStatusCondition(tkr.Status.Conditions, runv1.CompatibleCondition); src != nil {
			c.Status, c.Reason, c.Message = src.Status, src.Reason, src.Message
		} else {
			c.Status, c.Reason = metav1.ConditionUnknown, "Unknown"
		}
	}
	if c.Reason == "" {
		c.Reason = string(c.Status)
	}
	meta.SetStatusCondition(&s.Conditions, c)
	return nil
}

// setUpdatesAvailable sets UpdatesAvailable as vSphere does: True with the
// newer releases' versions in brackets, False (AlreadyUpToDate) when there
// are none, Unknown (CannotParseTKR) when current's version is not one.
func (r *Reconciler) setUpdatesAvailable(ctx context.Context, t *runv1.TanzuKubernetesCluster, s *runv1.TanzuKubernetesClusterStatus, current *runv1.TanzuKubernetesRelease) error {
	var all runv1.TanzuKubernetesReleaseList
	if err := r.Client.List(ctx, &all); err != nil {
		return err
	}
	c := tkg.UpdatesAvailable(current, all.Items)
	c.ObservedGeneration = t.Generation
	meta.SetStatusCondition(&s.Conditions, c)
	return nil
}

// getCluster returns the Cluster named after t, or nil.
func (r *Reconciler) getCluster(ctx context.Context, t *runv1.TanzuKubernetesCluster) (*clusterv1.Cluster, error) {
	c := &clusterv1.Cluster{}
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(t), c)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading Cluster %s: %w", klog.KObj(t), err)
	}
	return c, nil
}

// updateCluster writes desired's fields to cluster when they differ, and
// reports whether the Cluster changed.
func (r *Reconciler) updateCluster(ctx context.Context, cluster, desired *clusterv1.Cluster) (bool, error) {
	merged := merge(cluster, desired)
	if equality.Semantic.DeepEqual(merged.Spec, cluster.Spec) && equality.Semantic.DeepEqual(merged.Labels, cluster.Labels) {
		return false, nil
	}
	before := cluster.ResourceVersion
	if err := r.Client.Update(ctx, merged); err != nil {
		return false, fmt.Errorf("updating Cluster %s: %w", klog.KObj(cluster), err)
	}
	// An update that admission turns back into the stored object is not
	// written, and keeps the resource version.
	changed := merged.ResourceVersion != before
	if changed {
		ctrl.LoggerFrom(ctx).Info("Updated the Cluster", "cluster", klog.KObj(cluster))
	}
	*cluster = *merged
	return changed, nil
}

// reconcileDelete deletes the Cluster and removes the finalizer once it is
// gone.
func (r *Reconciler) reconcileDelete(ctx context.Context, t *runv1.TanzuKubernetesCluster) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(t, Finalizer) {
		return ctrl.Result{}, nil
	}
	cluster, err := r.getCluster(ctx, t)
	if err != nil {
		return ctrl.Result{}, err
	}
	if cluster != nil && metav1.IsControlledBy(cluster, t) {
		if cluster.DeletionTimestamp.IsZero() {
			if err := r.Client.Delete(ctx, cluster, client.PropagationPolicy(metav1.DeletePropagationBackground)); client.IgnoreNotFound(err) != nil {
				return ctrl.Result{}, fmt.Errorf("deleting Cluster %s: %w", klog.KObj(cluster), err)
			}
			ctrl.LoggerFrom(ctx).Info("Deleting the Cluster", "cluster", klog.KObj(cluster))
		}
		if err := r.patchStatus(ctx, t, computeStatus(t, observation{cluster: cluster})); err != nil {
			return ctrl.Result{}, err
		}
		return ctrl.Result{RequeueAfter: deletePollInterval}, nil
	}
	controllerutil.RemoveFinalizer(t, Finalizer)
	if err := r.Client.Update(ctx, t); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	return ctrl.Result{}, nil
}

// patchStatus writes status to t when it differs from t's.
func (r *Reconciler) patchStatus(ctx context.Context, t *runv1.TanzuKubernetesCluster, status runv1.TanzuKubernetesClusterStatus) error {
	if equality.Semantic.DeepEqual(t.Status, status) {
		return nil
	}
	orig := t.DeepCopy()
	t.Status = status
	if err := r.Client.Status().Patch(ctx, t, client.MergeFrom(orig)); client.IgnoreNotFound(err) != nil {
		return fmt.Errorf("updating status: %w", err)
	}
	return nil
}
