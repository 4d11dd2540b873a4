package contentlibrary

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/library"
)

// deletionPoll is how often a library whose items are being deleted is
// looked at again, besides the items' own events.
const deletionPoll = 2 * time.Second

var _ reconcile.Reconciler = &LibraryReconciler{}

// LibraryReconciler reconciles ClusterContentLibraries (Cluster) or
// ContentLibraries: status, subscription synchronisation, and cleanup on
// deletion.
type LibraryReconciler struct {
	// Client reads through the manager's cache and writes to the API.
	Client client.Client
	// APIReader reads the API directly (the endpoints ConfigMap).
	APIReader client.Reader
	// Service syncs subscriptions and deletes stored content.
	Service *library.Service
	// Cluster selects ClusterContentLibraries rather than ContentLibraries.
	Cluster bool
	// PublicURL is the public HTTPS endpoint; "" reads the endpoints
	// ConfigMap.
	PublicURL string

	mu sync.Mutex
	// synced remembers each subscribed library's last sync, to poll every
	// pollInterval and at once when its spec changes.
	synced map[types.UID]syncState
}

// syncState is a library's last synchronisation.
type syncState struct {
	generation int64
	at         time.Time
	err        error
}

func (r *LibraryReconciler) newLibrary() client.Object {
	if r.Cluster {
		return &imgregv1.ClusterContentLibrary{}
	}
	return &imgregv1.ContentLibrary{}
}

// SetupWithManager registers the controller and its watches with mgr.
func (r *LibraryReconciler) SetupWithManager(mgr ctrl.Manager) error {
	// Items matter when they go (a library being deleted waits for them).
	itemGone := builder.WithPredicates(predicate.Funcs{
		CreateFunc:  func(event.CreateEvent) bool { return false },
		UpdateFunc:  func(event.UpdateEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	})
	b := ctrl.NewControllerManagedBy(mgr).For(r.newLibrary())
	if r.Cluster {
		b = b.Named("clustercontentlibrary").
			Watches(&imgregv1.ClusterContentLibraryItem{}, handler.EnqueueRequestsFromMapFunc(ownerLibrary), itemGone)
	} else {
		b = b.Named("contentlibrary").
			Watches(&imgregv1.ContentLibraryItem{}, handler.EnqueueRequestsFromMapFunc(ownerLibrary), itemGone).
			// A binding mirrors the status of its cluster library.
			Watches(&imgregv1.ClusterContentLibrary{}, handler.EnqueueRequestsFromMapFunc(r.bindingsOf))
	}
	return b.Complete(r)
}

// Reconcile brings one library's status in line, synchronises it with its
// publisher when it is subscribed and due, and on deletion removes its
// items and stored content before letting it go.
func (r *LibraryReconciler) Reconcile(ctx context.Context, req ctrl.Request) (_ ctrl.Result, reterr error) {
	lib := r.newLibrary()
	if err := r.Client.Get(ctx, req.NamespacedName, lib); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if library.IsBinding(lib) {
		return ctrl.Result{}, r.reconcileBinding(ctx, lib.(*imgregv1.ContentLibrary))
	}

	if lib.GetDeletionTimestamp().IsZero() && !controllerutil.ContainsFinalizer(lib, library.LibraryFinalizer) {
		before := lib.DeepCopyObject().(client.Object)
		controllerutil.AddFinalizer(lib, library.LibraryFinalizer)
		if err := r.Client.Patch(ctx, lib, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			return requeueOnConflict(fmt.Errorf("adding finalizer: %w", err))
		}
	}

	s := &libraryScope{lib: lib}
	before := lib.DeepCopyObject().(client.Object)
	defer func() {
		if s.finalized {
			return
		}
		setLibraryStatus(library.LibraryStatus(lib), lib, s.facts())
		if equality.Semantic.DeepEqual(library.LibraryStatus(before), library.LibraryStatus(lib)) {
			return
		}
		if err := r.Client.Status().Patch(ctx, lib, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
			reterr = errors.Join(reterr, fmt.Errorf("patching status: %w", err))
		}
	}()

	if !lib.GetDeletionTimestamp().IsZero() {
		return r.reconcileDelete(ctx, s)
	}
	return r.reconcileNormal(ctx, s)
}

// requeueOnConflict turns a write conflict into a quiet retry.
func requeueOnConflict(err error) (ctrl.Result, error) {
	if apierrors.IsConflict(err) || apierrors.IsAlreadyExists(err) {
		return ctrl.Result{RequeueAfter: time.Second}, nil
	}
	return ctrl.Result{}, err
}

// ownerLibrary maps an item to the library that owns it.
func ownerLibrary(_ context.Context, o client.Object) []reconcile.Request {
	name := library.LibraryOf(o)
	if name == "" {
		return nil
	}
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: name}}}
}

// bindingsOf maps a ClusterContentLibrary to the ContentLibraries that bind
// it (same UUID) in namespaces.
func (r *LibraryReconciler) bindingsOf(ctx context.Context, o client.Object) []reconcile.Request {
	uuid := library.LibrarySpec(o).UUID
	var list imgregv1.ContentLibraryList
	if err := r.Client.List(ctx, &list); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing ContentLibraries to requeue")
		return nil
	}
	var out []reconcile.Request
	for i := range list.Items {
		if l := &list.Items[i]; l.Spec.UUID == uuid && library.IsBinding(l) {
			out = append(out, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(l)})
		}
	}
	return out
}
