package contentlibrary

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/library"
)

var _ reconcile.Reconciler = &ItemReconciler{}

// ItemReconciler reconciles ClusterContentLibraryItems (Cluster) or
// ContentLibraryItems: the item's status from its stored or announced
// content, the downloads of subscribed items, and the images made from it;
// on deletion it removes the images and the stored content.
type ItemReconciler struct {
	// Client reads through the manager's cache and writes to the API.
	Client client.Client
	// Service holds the content and downloads it.
	Service *library.Service
	// Cluster selects ClusterContentLibraryItems rather than
	// ContentLibraryItems.
	Cluster bool
}

func (r *ItemReconciler) newItem() client.Object {
	if r.Cluster {
		return &imgregv1.ClusterContentLibraryItem{}
	}
	return &imgregv1.ContentLibraryItem{}
}

// SetupWithManager registers the controller and its watches with mgr.
func (r *ItemReconciler) SetupWithManager(mgr ctrl.Manager) error {
	specChanged := builder.WithPredicates(predicate.GenerationChangedPredicate{})
	b := ctrl.NewControllerManagedBy(mgr).
		For(r.newItem()).
		Owns(&vmopv1.VirtualMachineImage{})
	if r.Cluster {
		b = b.Named("clustercontentlibraryitem").
			Owns(&vmopv1.ClusterVirtualMachineImage{}).
			Watches(&imgregv1.ClusterContentLibrary{}, handler.EnqueueRequestsFromMapFunc(r.itemsOfLibrary), specChanged).
			// Bindings decide the namespaces that get images.
			Watches(&imgregv1.ContentLibrary{}, handler.EnqueueRequestsFromMapFunc(r.itemsOfBoundLibrary), specChanged).
			WatchesRawSource(source.Channel(r.Service.ClusterItemEvents(), &handler.EnqueueRequestForObject{}))
	} else {
		b = b.Named("contentlibraryitem").
			Watches(&imgregv1.ContentLibrary{}, handler.EnqueueRequestsFromMapFunc(r.itemsOfLibrary), specChanged).
			WatchesRawSource(source.Channel(r.Service.ItemEvents(), &handler.EnqueueRequestForObject{}))
	}
	return b.Complete(r)
}

// Reconcile brings one item's status and images in line with its content,
// or removes them when it is being deleted.
func (r *ItemReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	item := r.newItem()
	if err := r.Client.Get(ctx, req.NamespacedName, item); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if !item.GetDeletionTimestamp().IsZero() {
		return r.reconcileDelete(ctx, item)
	}
	if !controllerutil.ContainsFinalizer(item, library.ItemFinalizer) {
		before := item.DeepCopyObject().(client.Object)
		controllerutil.AddFinalizer(item, library.ItemFinalizer)
		if err := r.Client.Patch(ctx, item, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{})); err != nil {
			return requeueOnConflict(fmt.Errorf("adding finalizer: %w", err))
		}
	}
	return r.reconcileNormal(ctx, item)
}

// itemsOfLibrary maps a library to its items.
func (r *ItemReconciler) itemsOfLibrary(ctx context.Context, o client.Object) []reconcile.Request {
	if library.IsBinding(o) {
		return nil
	}
	items, err := ownedItems(ctx, r.Client, o)
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing library items to requeue")
		return nil
	}
	return requests(items)
}

// itemsOfBoundLibrary maps a namespace's binding to the items of the
// cluster library it binds (same UUID).
func (r *ItemReconciler) itemsOfBoundLibrary(ctx context.Context, o client.Object) []reconcile.Request {
	uuid := library.LibrarySpec(o).UUID
	var libs imgregv1.ClusterContentLibraryList
	if err := r.Client.List(ctx, &libs); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "Listing ClusterContentLibraries to requeue")
		return nil
	}
	var out []reconcile.Request
	for i := range libs.Items {
		if libs.Items[i].Spec.UUID == uuid {
			items, err := ownedItems(ctx, r.Client, &libs.Items[i])
			if err != nil {
				ctrl.LoggerFrom(ctx).Error(err, "Listing library items to requeue")
				return nil
			}
			out = append(out, requests(items)...)
		}
	}
	return out
}

func requests(objs []client.Object) []reconcile.Request {
	out := make([]reconcile.Request, 0, len(objs))
	for _, o := range objs {
		out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}})
	}
	return out
}

// reconcileDelete deletes the item's images and stored content, then lets
// the item go.
func (r *ItemReconciler) reconcileDelete(ctx context.Context, item client.Object) (ctrl.Result, error) {
	if !controllerutil.ContainsFinalizer(item, library.ItemFinalizer) {
		return ctrl.Result{}, nil
	}
	images, err := r.ownedImages(ctx, item)
	if err != nil {
		return ctrl.Result{}, err
	}
	for _, img := range images {
		if err := r.Client.Delete(ctx, img); err != nil && !apierrors.IsNotFound(err) {
			return ctrl.Result{}, fmt.Errorf("deleting image %s: %w", img.GetName(), err)
		}
	}
	if err := r.Service.Store().Delete(library.ItemSpec(item).UUID); err != nil {
		return ctrl.Result{}, err
	}
	before := item.DeepCopyObject().(client.Object)
	controllerutil.RemoveFinalizer(item, library.ItemFinalizer)
	if err := r.Client.Patch(ctx, item, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
		return requeueOnConflict(fmt.Errorf("removing finalizer: %w", err))
	}
	ctrl.LoggerFrom(ctx).Info("Library item deleted with its images and content", "images", len(images))
	return ctrl.Result{}, nil
}

// retryAfter is a pass's RequeueAfter for a download that failed.
func retryAfter(d time.Duration) ctrl.Result {
	if d <= 0 {
		return ctrl.Result{}
	}
	return ctrl.Result{RequeueAfter: d}
}
