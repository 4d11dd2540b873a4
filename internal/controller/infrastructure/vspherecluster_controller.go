package infrastructure

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/util/annotations"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	vmwarev1 "github.com/kubevisor/kubevisor/api/vmware/v1beta1"
)

var _ reconcile.Reconciler = &ClusterReconciler{}

// ClusterReconciler reconciles VSphereClusters.
type ClusterReconciler struct {
	// Client reads through the manager's cache and writes to the API.
	Client client.Client
	// Scheme resolves owner references' kinds.
	Scheme *runtime.Scheme
}

// SetupWithManager registers the VSphereCluster controller and its watches
// with mgr.
func (r *ClusterReconciler) SetupWithManager(mgr ctrl.Manager, o controller.Options) error {
	zoneChanged := predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{})
	return ctrl.NewControllerManagedBy(mgr).
		For(&vmwarev1.VSphereCluster{}).
		Owns(&vmopv1.VirtualMachineService{}).
		Owns(&vmopv1.VirtualMachineSetResourcePolicy{}).
		Watches(&clusterv1.Cluster{}, handler.EnqueueRequestsFromMapFunc(clusterToVSphereCluster),
			builder.WithPredicates(clusterChanged(false))).
		Watches(&kubevisorv1.Zone{}, handler.EnqueueRequestsFromMapFunc(r.allVSphereClusters),
			builder.WithPredicates(zoneChanged)).
		WithOptions(o).
		Named("vspherecluster").
		Complete(r)
}

// Reconcile keeps the resource policy and control-plane load balancer of
// one VSphereCluster and reports them, or removes them when it is being
// deleted.
func (r *ClusterReconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, reterr error) {
	vsc := &vmwarev1.VSphereCluster{}
	if err := r.Client.Get(ctx, req.NamespacedName, vsc); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if annotations.IsExternallyManaged(vsc) {
		return ctrl.Result{}, nil
	}

	clusterName := ownerName(vsc, clusterv1.GroupVersion.Group, "Cluster")
	if clusterName == "" {
		// Cluster API sets the owner reference; nothing was made before it.
		if !vsc.DeletionTimestamp.IsZero() {
			return ctrl.Result{}, removeFinalizer(ctx, r.Client, vsc, vmwarev1.ClusterFinalizer)
		}
		ctrl.LoggerFrom(ctx).V(1).Info("Waiting for the Cluster controller to set the owner reference")
		return ctrl.Result{}, nil
	}
	cluster, err := getCluster(ctx, r.Client, vsc.Namespace, clusterName)
	if err != nil {
		return ctrl.Result{}, err
	}
	log := ctrl.LoggerFrom(ctx).WithValues("Cluster", klog.KRef(vsc.Namespace, clusterName))
	ctx = ctrl.LoggerInto(ctx, log)

	if vsc.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(vsc, vmwarev1.ClusterFinalizer) {
		if err := addFinalizer(ctx, r.Client, vsc, vmwarev1.ClusterFinalizer); err != nil {
			return requeueOnConflict(err)
		}
	}

	s := &clusterScope{vsc: vsc, cluster: cluster, clusterName: clusterName}
	before := vsc.DeepCopy()
	defer func() {
		if s.finalized {
			return
		}
		setClusterStatus(vsc, s)
		if err := patchVSphereCluster(ctx, r.Client, before, vsc); err != nil {
			reterr = errors.Join(reterr, err)
		}
	}()

	if s.paused = isPaused(cluster, vsc); s.paused {
		return ctrl.Result{}, nil
	}
	if !vsc.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, s)
	}
	return r.reconcileNormal(ctx, s)
}

// patchVSphereCluster writes vsc's spec, then its status, each only when
// it differs from before.
func patchVSphereCluster(ctx context.Context, c client.Client, before, vsc *vmwarev1.VSphereCluster) error {
	status := vsc.Status
	if !equality.Semantic.DeepEqual(before.Spec, vsc.Spec) {
		if err := c.Patch(ctx, vsc, client.MergeFrom(before)); err != nil {
			return client.IgnoreNotFound(fmt.Errorf("patching VSphereCluster: %w", err))
		}
		vsc.Status = status // the patch returns the stored status
	}
	if equality.Semantic.DeepEqual(before.Status, status) {
		return nil
	}
	base := vsc.DeepCopy()
	base.Status = before.Status
	if err := c.Status().Patch(ctx, vsc, client.MergeFrom(base)); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("patching VSphereCluster status: %w", err))
	}
	return nil
}

// allVSphereClusters maps a zone change to every VSphereCluster: their
// failure domains list the zones.
func (r *ClusterReconciler) allVSphereClusters(ctx context.Context, _ client.Object) []reconcile.Request {
	var list vmwarev1.VSphereClusterList
	if err := r.Client.List(ctx, &list); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing VSphereClusters to requeue")
		return nil
	}
	out := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return out
}

// clusterToVSphereCluster maps a Cluster to its VSphereCluster.
func clusterToVSphereCluster(_ context.Context, o client.Object) []reconcile.Request {
	c, ok := o.(*clusterv1.Cluster)
	if !ok {
		return nil
	}
	ref := c.Spec.InfrastructureRef
	if ref.APIGroup != vmwarev1.GroupName || ref.Kind != "VSphereCluster" || ref.Name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: c.Namespace, Name: ref.Name}}}
}

// clusterChanged passes Cluster updates that matter to the infrastructure:
// pausing, the infrastructure reference and, for machines (withStatus),
// the initialization status.
func clusterChanged(withStatus bool) predicate.Funcs {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			old, okOld := e.ObjectOld.(*clusterv1.Cluster)
			c, okNew := e.ObjectNew.(*clusterv1.Cluster)
			if !okOld || !okNew {
				return true
			}
			_, wasPaused := old.Annotations[clusterv1.PausedAnnotation]
			_, isPausedNow := c.Annotations[clusterv1.PausedAnnotation]
			return ptr.Deref(old.Spec.Paused, false) != ptr.Deref(c.Spec.Paused, false) ||
				wasPaused != isPausedNow ||
				old.Spec.InfrastructureRef != c.Spec.InfrastructureRef ||
				!old.DeletionTimestamp.Equal(c.DeletionTimestamp) ||
				withStatus && !equality.Semantic.DeepEqual(old.Status.Initialization, c.Status.Initialization)
		},
	}
}

// ownerName is the name of obj's owner of the given API group and kind;
// empty when it has none.
func ownerName(obj metav1.Object, group, kind string) string {
	for _, ref := range obj.GetOwnerReferences() {
		gv, err := schema.ParseGroupVersion(ref.APIVersion)
		if err == nil && gv.Group == group && ref.Kind == kind {
			return ref.Name
		}
	}
	return ""
}

// getCluster reads a Cluster; nil when it does not exist.
func getCluster(ctx context.Context, c client.Client, namespace, name string) (*clusterv1.Cluster, error) {
	cluster := &clusterv1.Cluster{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, cluster); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading Cluster %s: %w", name, err)
	}
	return cluster, nil
}

// addFinalizer adds finalizer to obj, guarded by its resourceVersion.
func addFinalizer(ctx context.Context, c client.Client, obj client.Object, finalizer string) error {
	before, ok := obj.DeepCopyObject().(client.Object)
	if !ok {
		return fmt.Errorf("copying %T", obj)
	}
	controllerutil.AddFinalizer(obj, finalizer)
	if err := c.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
		return fmt.Errorf("adding finalizer: %w", err)
	}
	return nil
}

// removeFinalizer removes finalizer from obj, guarded by its
// resourceVersion, if it has it.
func removeFinalizer(ctx context.Context, c client.Client, obj client.Object, finalizer string) error {
	if !controllerutil.ContainsFinalizer(obj, finalizer) {
		return nil
	}
	before, ok := obj.DeepCopyObject().(client.Object)
	if !ok {
		return fmt.Errorf("copying %T", obj)
	}
	controllerutil.RemoveFinalizer(obj, finalizer)
	if err := c.Patch(ctx, obj, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("removing finalizer: %w", err)
	}
	return nil
}

// requeueOnConflict turns a write conflict, or an object that already
// exists (the cache was behind), into a quiet retry; a blocked phase into a
// later look; other errors are returned.
func requeueOnConflict(err error) (ctrl.Result, error) {
	var b *blockedError
	switch {
	case err == nil:
		return ctrl.Result{}, nil
	case apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err):
		return ctrl.Result{RequeueAfter: time.Second}, nil
	case errors.As(err, &b):
		return ctrl.Result{RequeueAfter: b.retryAfter}, nil
	}
	return ctrl.Result{}, err
}

// blockedError is a problem the user or another controller must resolve:
// it is reported on a condition and looked at again later, not returned.
type blockedError struct {
	message    string
	retryAfter time.Duration
}

func (b *blockedError) Error() string { return b.message }
