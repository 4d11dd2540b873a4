package contentlibrary

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/library"
)

// syncRetry is how soon a failed synchronisation is tried again.
const syncRetry = time.Minute

// libraryScope is what one reconcile pass has learnt about a library.
type libraryScope struct {
	lib client.Object
	// publishURL is the index URL of a published library ("" if unknown).
	publishURL string
	// synced is the last synchronisation of a subscribed library.
	synced *syncState
	// deleting: items or content remain to be removed.
	deleting bool
	// finalized: the finalizer is gone, and so may the library be.
	finalized bool
}

func (s *libraryScope) facts() libraryFacts {
	f := libraryFacts{publishURL: s.publishURL, deleting: !s.lib.GetDeletionTimestamp().IsZero()}
	if s.synced != nil {
		f.syncErr = s.synced.err
		if s.synced.err == nil {
			f.lastSync = s.synced.at
		}
		f.syncKnown = true
	}
	return f
}

func (r *LibraryReconciler) reconcileNormal(ctx context.Context, s *libraryScope) (ctrl.Result, error) {
	spec := library.LibrarySpec(s.lib)
	if spec.Publication != nil && spec.Publication.Enabled {
		base := r.PublicURL
		if base == "" {
			var err error
			if base, err = library.PublicEndpoint(ctx, r.APIReader); err != nil {
				ctrl.LoggerFrom(ctx).V(2).Info("Public endpoint unknown; publishInfo.URL stays empty", "reason", err.Error())
				base = ""
			}
		}
		if base != "" {
			s.publishURL = library.PublishedIndexURL(base, spec.UUID)
		}
	}
	if err := r.pruneOrphans(ctx, s.lib); err != nil {
		return ctrl.Result{}, err
	}
	if spec.Subscription == nil {
		r.forget(s.lib)
		return ctrl.Result{}, nil
	}
	return r.reconcileSubscription(ctx, s)
}

// orphanAge is how old stored content without an item object must be
// before it is removed: an upload stores the content a moment before it
// creates the item.
const orphanAge = 10 * time.Minute

// pruneOrphans removes stored content that no item object refers to (left
// by a Supervisor that stopped between storing an upload and creating its
// item).
func (r *LibraryReconciler) pruneOrphans(ctx context.Context, lib client.Object) error {
	store := r.Service.Store()
	uuid := library.LibrarySpec(lib).UUID
	stored, err := store.Items(uuid)
	if err != nil || len(stored) == 0 {
		return err
	}
	items, err := r.items(ctx, lib)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for _, item := range items {
		known[library.ItemSpec(item).UUID] = true
	}
	for _, id := range stored {
		if known[id] {
			continue
		}
		rec, err := store.Get(uuid, id)
		if err == nil && time.Since(rec.Stored) < orphanAge {
			continue
		}
		if err := store.Delete(id); err != nil {
			return err
		}
		ctrl.LoggerFrom(ctx).Info("Removed stored content that no library item refers to", "itemUUID", id)
	}
	return nil
}

// reconcileSubscription synchronises a subscribed library when it is due:
// every pollInterval, and at once after its spec changed or the Supervisor
// started.
func (r *LibraryReconciler) reconcileSubscription(ctx context.Context, s *libraryScope) (ctrl.Result, error) {
	log := ctrl.LoggerFrom(ctx)
	spec := library.LibrarySpec(s.lib)
	interval := time.Hour
	if spec.Subscription.PollInterval != nil && spec.Subscription.PollInterval.Duration >= time.Minute {
		interval = spec.Subscription.PollInterval.Duration
	}
	last, ok := r.last(s.lib)
	now := time.Now()
	if ok && last.generation == s.lib.GetGeneration() {
		wait := interval
		if last.err != nil {
			wait = min(interval, syncRetry)
		}
		if next := last.at.Add(wait); now.Before(next) {
			s.synced = &last
			return ctrl.Result{RequeueAfter: next.Sub(now)}, nil
		}
	}

	st := syncState{generation: s.lib.GetGeneration(), at: now}
	idx, err := r.Service.FetchIndex(ctx, spec.UUID, spec.Subscription)
	if err == nil {
		err = r.mirrorItems(ctx, s.lib, idx)
	}
	st.err = err
	r.remember(s.lib, st)
	s.synced = &st
	if err != nil {
		log.Info("Subscription sync failed", "url", spec.Subscription.URL, "reason", err.Error())
		return ctrl.Result{RequeueAfter: min(interval, syncRetry)}, nil
	}
	log.V(1).Info("Subscription synced", "url", spec.Subscription.URL, "items", len(idx.Items))
	return ctrl.Result{RequeueAfter: interval}, nil
}

// mirrorItems creates an item object for every item of the publisher's
// index, deletes those of items it no longer lists, and wakes every item's
// controller to compare it with the new index.
func (r *LibraryReconciler) mirrorItems(ctx context.Context, lib client.Object, idx *library.Index) error {
	existing, err := r.items(ctx, lib)
	if err != nil {
		return err
	}
	byName := map[string]client.Object{}
	for _, item := range existing {
		byName[item.GetName()] = item
	}
	for _, entry := range idx.Items {
		want := desiredSubscribedItem(lib, entry)
		have, ok := byName[want.GetName()]
		delete(byName, want.GetName())
		if ok {
			if library.ItemSpec(have).UUID == library.ItemSpec(want).UUID {
				r.Service.Notify(have)
				continue
			}
			// Another item holds the name (the naming strategy changed).
			if err := r.deleteItem(ctx, have); err != nil {
				return err
			}
			continue
		}
		if err := r.Client.Create(ctx, want); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("creating %s %s: %w", library.ItemKind(want), want.GetName(), err)
		}
		ctrl.LoggerFrom(ctx).Info("Created library item from the publisher's index", "item", klog.KObj(want), "name", entry.Name)
	}
	for _, item := range byName {
		if err := r.deleteItem(ctx, item); err != nil {
			return err
		}
	}
	return nil
}

// desiredSubscribedItem is the item object that mirrors a publisher's
// index entry: its UUID derives from the publisher's, and its name from
// that UUID, or from the publisher's under PREFER_ITEM_SOURCE_ID.
func desiredSubscribedItem(lib client.Object, entry library.IndexItem) client.Object {
	spec := library.LibrarySpec(lib)
	uuid := library.SubscribedItemUUID(spec.UUID, entry.UUID)
	nameID := uuid
	if spec.ResourceNamingStrategy == imgregv1.ResourceNamingStrategyPreferItemSourceID {
		nameID = entry.UUID
	}
	return library.ItemObject(lib, library.ItemObjectName(nameID), uuid)
}

func (r *LibraryReconciler) deleteItem(ctx context.Context, item client.Object) error {
	if !item.GetDeletionTimestamp().IsZero() {
		return nil
	}
	if err := r.Client.Delete(ctx, item); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting %s %s: %w", library.ItemKind(item), item.GetName(), err)
	}
	ctrl.LoggerFrom(ctx).Info("Deleted library item", "item", klog.KObj(item))
	return nil
}

// items lists the item objects the library owns.
func (r *LibraryReconciler) items(ctx context.Context, lib client.Object) ([]client.Object, error) {
	return ownedItems(ctx, r.Client, lib)
}

// ownedItems lists the item objects lib owns.
func ownedItems(ctx context.Context, c client.Reader, lib client.Object) ([]client.Object, error) {
	var out []client.Object
	keep := func(item client.Object) {
		for _, ref := range item.GetOwnerReferences() {
			if ref.UID == lib.GetUID() {
				out = append(out, item)
				return
			}
		}
	}
	if _, ok := lib.(*imgregv1.ClusterContentLibrary); ok {
		var list imgregv1.ClusterContentLibraryItemList
		if err := c.List(ctx, &list); err != nil {
			return nil, fmt.Errorf("listing ClusterContentLibraryItems: %w", err)
		}
		for i := range list.Items {
			keep(&list.Items[i])
		}
		return out, nil
	}
	var list imgregv1.ContentLibraryItemList
	if err := c.List(ctx, &list, client.InNamespace(lib.GetNamespace())); err != nil {
		return nil, fmt.Errorf("listing ContentLibraryItems: %w", err)
	}
	for i := range list.Items {
		keep(&list.Items[i])
	}
	return out, nil
}

// reconcileDelete deletes the library's items (their own finalizers remove
// their images and files), waits until they are gone, removes what is left
// of the library's content, then the finalizer.
func (r *LibraryReconciler) reconcileDelete(ctx context.Context, s *libraryScope) (ctrl.Result, error) {
	s.deleting = true
	items, err := r.items(ctx, s.lib)
	if err != nil {
		return ctrl.Result{}, err
	}
	for _, item := range items {
		if err := r.deleteItem(ctx, item); err != nil {
			return ctrl.Result{}, err
		}
	}
	if len(items) > 0 {
		return ctrl.Result{RequeueAfter: deletionPoll}, nil
	}
	if !controllerutil.ContainsFinalizer(s.lib, library.LibraryFinalizer) {
		return ctrl.Result{}, nil
	}
	if err := r.Service.Store().DeleteLibrary(library.LibrarySpec(s.lib).UUID); err != nil {
		return ctrl.Result{}, fmt.Errorf("deleting the library's content: %w", err)
	}
	r.forget(s.lib)
	before := s.lib.DeepCopyObject().(client.Object)
	controllerutil.RemoveFinalizer(s.lib, library.LibraryFinalizer)
	if err := r.Client.Patch(ctx, s.lib, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
		return requeueOnConflict(fmt.Errorf("removing finalizer: %w", err))
	}
	s.finalized = true
	ctrl.LoggerFrom(ctx).Info("Library deleted with its items and content")
	return ctrl.Result{}, nil
}

// reconcileBinding mirrors, on a namespace's binding of a cluster library,
// the cluster library's status.
func (r *LibraryReconciler) reconcileBinding(ctx context.Context, b *imgregv1.ContentLibrary) error {
	cluster := &imgregv1.ClusterContentLibrary{}
	err := r.Client.Get(ctx, client.ObjectKey{Name: b.Name}, cluster)
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	if err != nil || cluster.Spec.UUID != b.Spec.UUID {
		cluster = nil
	}
	before := b.DeepCopy()
	setBindingStatus(&b.Status, b, cluster)
	if equality.Semantic.DeepEqual(before.Status, b.Status) {
		return nil
	}
	if err := r.Client.Status().Patch(ctx, b, client.MergeFrom(before)); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("patching status: %w", err)
	}
	return nil
}

func (r *LibraryReconciler) last(lib client.Object) (syncState, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st, ok := r.synced[lib.GetUID()]
	return st, ok
}

func (r *LibraryReconciler) remember(lib client.Object, st syncState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.synced == nil {
		r.synced = map[types.UID]syncState{}
	}
	r.synced[lib.GetUID()] = st
}

func (r *LibraryReconciler) forget(lib client.Object) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.synced, lib.GetUID())
}
