package clusterclass

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/source"

	"github.com/kubevisor/kubevisor/internal/controller/supervisornamespace/derive"
	"github.com/kubevisor/kubevisor/internal/tkg"
)

// FieldOwner is the server-side apply field manager of the builtin
// objects.
const FieldOwner = "kubevisor-builtin-clusterclass"

// Reconciler applies the builtin ClusterClass into the system namespace
// and into every namespace labelled as a Supervisor namespace.
type Reconciler struct {
	Client client.Client
}

// SetupWithManager registers the controller: it runs for every Supervisor
// namespace, and once for the system namespace at start.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	start := make(chan event.GenericEvent, 1)
	sys := &corev1.Namespace{}
	sys.Name = tkg.SystemNamespace
	start <- event.GenericEvent{Object: sys}
	return ctrl.NewControllerManagedBy(mgr).
		Named("builtin-clusterclass").
		For(&corev1.Namespace{}, builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			_, ok := o.GetLabels()[derive.SupervisorNamespaceLabel]
			return ok || o.GetName() == tkg.SystemNamespace
		}), predicate.Or(predicate.GenerationChangedPredicate{}, predicate.LabelChangedPredicate{}))).
		WatchesRawSource(source.Channel(start, &handler.EnqueueRequestForObject{})).
		Complete(r)
}

// Reconcile applies the builtin objects into the namespace. Applying an
// unchanged object writes nothing, so a converged namespace stays quiet.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	ns := &corev1.Namespace{}
	err := r.Client.Get(ctx, types.NamespacedName{Name: req.Name}, ns)
	switch {
	case apierrors.IsNotFound(err) && req.Name == tkg.SystemNamespace:
		ns = &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: tkg.SystemNamespace}}
		if err := r.Client.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
			return ctrl.Result{}, err
		}
	case apierrors.IsNotFound(err):
		return ctrl.Result{}, nil
	case err != nil:
		return ctrl.Result{}, err
	}
	if !ns.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}
	objs, err := tkg.BuiltinObjects(req.Name)
	if err != nil {
		return ctrl.Result{}, err
	}
	for _, o := range objs {
		if err := r.Client.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
			return ctrl.Result{}, fmt.Errorf("applying the builtin %s %s/%s: %w", o.GetKind(), req.Name, o.GetName(), err)
		}
	}
	return ctrl.Result{}, nil
}
