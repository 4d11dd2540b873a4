package supervisornamespace

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/controller/supervisornamespace/derive"
)

// Finalizer holds a SupervisorNamespace until its Namespace is gone.
const Finalizer = "kubevisor.io/supervisornamespace"

// deletionPoll is how often a deletion in progress is looked at, besides
// the Namespace's own events.
const deletionPoll = 5 * time.Second

var _ reconcile.Reconciler = &Reconciler{}

// Reconciler reconciles SupervisorNamespaces.
type Reconciler struct {
	// Client reads through the manager's cache and writes to the API.
	Client client.Client
	// APIReader reads the API directly, where a stale cache would be
	// wrong: whether the Namespace is really gone.
	APIReader client.Reader
}

// SetupWithManager registers the controller and its watches with mgr.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	managed := builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
		return o.GetLabels()[derive.ManagedByLabel] == derive.ManagedBy
	}))
	byNamespace := handler.EnqueueRequestsFromMapFunc(namespaceOf)
	// Cluster-wide definitions matter when they come, go or change their
	// spec, not when their status does.
	specChanged := builder.WithPredicates(predicate.GenerationChangedPredicate{})
	return ctrl.NewControllerManagedBy(mgr).
		For(&kubevisorv1.SupervisorNamespace{}).
		Watches(&corev1.Namespace{}, handler.EnqueueRequestsFromMapFunc(nameOf)).
		Watches(&rbacv1.RoleBinding{}, byNamespace, managed).
		Watches(&corev1.ResourceQuota{}, byNamespace, managed).
		Watches(&corev1.LimitRange{}, byNamespace, managed).
		Watches(&vmopv1.VirtualMachineClass{}, byNamespace, managed).
		Watches(&imgregv1.ContentLibrary{}, byNamespace, managed).
		Watches(&vmopv1.VirtualMachine{}, byNamespace).
		Watches(&corev1.PersistentVolumeClaim{}, byNamespace).
		Watches(&kubevisorv1.ClusterVirtualMachineClass{}, handler.EnqueueRequestsFromMapFunc(r.bindersOfClass), specChanged).
		Watches(&imgregv1.ClusterContentLibrary{}, handler.EnqueueRequestsFromMapFunc(r.bindersOfLibrary), specChanged).
		Watches(&kubevisorv1.StoragePolicy{}, handler.EnqueueRequestsFromMapFunc(r.all), specChanged).
		Named("supervisornamespace").
		Complete(r)
}

// Reconcile brings one SupervisorNamespace's Namespace and derived objects
// in line with its spec, or removes them when it is being deleted.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, reterr error) {
	sn := &kubevisorv1.SupervisorNamespace{}
	if err := r.Client.Get(ctx, req.NamespacedName, sn); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}

	if sn.DeletionTimestamp.IsZero() && !controllerutil.ContainsFinalizer(sn, Finalizer) {
		before := sn.DeepCopy()
		controllerutil.AddFinalizer(sn, Finalizer)
		if err := r.Client.Patch(ctx, sn, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			return requeueOnConflict(fmt.Errorf("adding finalizer: %w", err))
		}
	}

	s := &scope{sn: sn}
	before := sn.DeepCopy()
	defer func() {
		if s.finalized {
			return
		}
		s.err = reterr
		if !s.incomplete || reterr != nil {
			setReadyCondition(sn, s.readiness())
		}
		if equality.Semantic.DeepEqual(before.Status, sn.Status) {
			return
		}
		if err := r.Client.Status().Patch(ctx, sn, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
			reterr = errors.Join(reterr, fmt.Errorf("patching status: %w", err))
		}
	}()

	if !sn.DeletionTimestamp.IsZero() {
		return r.reconcileDelete(ctx, s)
	}
	return r.reconcileNormal(ctx, s)
}

// requeueOnConflict turns a write conflict or an object that already
// exists (the cache was behind) into a quiet retry; other errors are
// returned.
func requeueOnConflict(err error) (ctrl.Result, error) {
	if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	return ctrl.Result{}, err
}

// nameOf maps a Namespace to the SupervisorNamespace of the same name.
func nameOf(_ context.Context, o client.Object) []reconcile.Request {
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: o.GetName()}}}
}

// namespaceOf maps an object to the SupervisorNamespace of its namespace.
func namespaceOf(_ context.Context, o client.Object) []reconcile.Request {
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: o.GetNamespace()}}}
}

// all maps an object every SupervisorNamespace depends on (a
// StoragePolicy: its class is closed in every namespace it is not
// assigned to) to all of them.
func (r *Reconciler) all(ctx context.Context, _ client.Object) []reconcile.Request {
	return r.matching(ctx, func(*kubevisorv1.SupervisorNamespace) bool { return true })
}

func (r *Reconciler) bindersOfClass(ctx context.Context, o client.Object) []reconcile.Request {
	return r.matching(ctx, func(sn *kubevisorv1.SupervisorNamespace) bool {
		return slices.Contains(sn.Spec.VMClasses, o.GetName())
	})
}

func (r *Reconciler) bindersOfLibrary(ctx context.Context, o client.Object) []reconcile.Request {
	return r.matching(ctx, func(sn *kubevisorv1.SupervisorNamespace) bool {
		return slices.Contains(sn.Spec.ContentLibraries, o.GetName())
	})
}

func (r *Reconciler) matching(ctx context.Context, keep func(*kubevisorv1.SupervisorNamespace) bool) []reconcile.Request {
	var list kubevisorv1.SupervisorNamespaceList
	if err := r.Client.List(ctx, &list); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing SupervisorNamespaces to requeue")
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		if keep(&list.Items[i]) {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Name: list.Items[i].Name}})
		}
	}
	return out
}
