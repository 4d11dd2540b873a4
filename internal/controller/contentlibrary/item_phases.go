package contentlibrary

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/library"
	"github.com/kubevisor/kubevisor/internal/ova"
)

// itemScope is what one pass has learnt about an item.
type itemScope struct {
	item client.Object
	lib  client.Object
	// facts describe the item's content; info its OVF descriptor (nil
	// when unreadable: infoErr).
	facts   library.ItemFacts
	info    *ova.Info
	infoErr error
	// download is the download that would store the item, if it is not
	// stored; eager says it should start now.
	download *library.DownloadRequest
	eager    bool
}

func (r *ItemReconciler) reconcileNormal(ctx context.Context, item client.Object) (ctrl.Result, error) {
	s := &itemScope{item: item}
	if err := r.reconcileContent(ctx, s); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.reconcileStatus(ctx, s); err != nil {
		return requeueOnConflict(err)
	}
	if err := r.reconcileImages(ctx, s); err != nil {
		return requeueOnConflict(err)
	}
	if s.download != nil && s.eager && s.facts.Problem == nil {
		r.Service.StartDownload(*s.download)
	}
	if s.download != nil && s.facts.Problem != nil {
		// A failed download is tried again with backoff.
		if s.eager {
			r.Service.StartDownload(*s.download)
		}
		return retryAfter(r.Service.RetryAfter(s.download.ItemUUID, s.download.Entry.OVA.SHA256)), nil
	}
	return ctrl.Result{}, nil
}

// reconcileContent finds the item's library and content and computes the
// facts of its status.
func (r *ItemReconciler) reconcileContent(ctx context.Context, s *itemScope) error {
	st := library.ItemStatusOf(s.item)
	ref := imgregv1.NameAndKindRef{Kind: library.KindContentLibrary, Name: library.LibraryOf(s.item)}
	refFailed := imgregv1.ContentLibraryRefValidationFailedReason
	if r.Cluster {
		ref.Kind, refFailed = library.KindClusterContentLibrary, imgregv1.ClusterContentLibraryRefValidationFailedReason
	}
	s.facts = library.ItemFacts{Name: st.Name, Description: st.Description, Library: ref, SourceID: st.SourceID,
		ContentVersion: st.ContentVersion, Cached: false}
	for _, fi := range st.FileInfo {
		s.facts.Files = append(s.facts.Files, ova.File{Name: fi.Name, Size: fi.SizeInBytes.Value(), SHA256: fi.SHA256})
	}

	lib, err := r.Service.LibraryOfItem(ctx, r.Client, s.item)
	switch {
	case apierrors.IsNotFound(err) || (err == nil && library.IsBinding(lib)):
		s.facts.Problem = &library.Problem{Reason: refFailed, Message: fmt.Sprintf("%s %s does not exist", ref.Kind, ref.Name)}
		return nil
	case err != nil && ref.Name == "":
		s.facts.Problem = &library.Problem{Reason: refFailed, Message: "the item belongs to no library (no owner reference)"}
		return nil
	case err != nil:
		return err
	}
	s.lib = lib
	spec := library.LibrarySpec(lib)

	rec, dl, err := r.Service.Content(lib, s.item)
	if err != nil {
		if !errors.Is(err, library.ErrNotStored) {
			return err
		}
		s.facts.Problem = &library.Problem{Reason: imgregv1.ContentLibraryItemFileUnavailableReason, Message: err.Error()}
		s.infoErr = err
		return nil
	}
	if rec != nil {
		name := rec.Name
		if spec.Subscription != nil {
			if entry, _ := r.Service.SubscribedEntry(spec.UUID, library.ItemSpec(s.item).UUID); entry != nil {
				name = entry.Name
			}
		} else if s.facts.Name != "" {
			name = s.facts.Name
		}
		s.facts = library.FactsFromRecord(rec, ref, s.facts.Description)
		s.facts.Name = name
		if spec.Subscription != nil {
			s.facts.SourceID = sourceIDOf(r.Service, spec.UUID, s.item, st.SourceID)
		}
		s.info, s.infoErr = rec.Info()
		return nil
	}

	// A subscribed item not stored yet: described by the publisher's index.
	e := dl.Entry
	s.download, s.eager = dl, !spec.Subscription.OnDemand
	s.facts.Name, s.facts.Description, s.facts.SourceID = e.Name, e.Description, e.UUID
	s.facts.ContentVersion, s.facts.Files = e.ContentVersion, e.Files
	s.facts.Problem = r.Service.DownloadProblem(dl.ItemUUID, e.OVA.SHA256)
	s.info, s.infoErr = r.Service.ItemInfo(nil, dl)
	return nil
}

func sourceIDOf(svc *library.Service, libraryUUID string, item client.Object, current string) string {
	if entry, _ := svc.SubscribedEntry(libraryUUID, library.ItemSpec(item).UUID); entry != nil {
		return entry.UUID
	}
	return current
}

// reconcileStatus writes the item's status when it differs.
func (r *ItemReconciler) reconcileStatus(ctx context.Context, s *itemScope) error {
	st := library.ItemStatusOf(s.item)
	want := library.ItemStatus(*st, s.facts, s.item.GetCreationTimestamp().Time)
	if equality.Semantic.DeepEqual(*st, want) {
		return nil
	}
	before := s.item.DeepCopyObject().(client.Object)
	*st = want
	if err := r.Client.Status().Patch(ctx, s.item, client.MergeFrom(before)); err != nil {
		return fmt.Errorf("patching status: %w", err)
	}
	return nil
}

// reconcileImages creates, updates and deletes the item's images: for a
// ClusterContentLibraryItem a ClusterVirtualMachineImage plus a
// VirtualMachineImage in every namespace that binds its library; for a
// ContentLibraryItem a VirtualMachineImage in its namespace.
func (r *ItemReconciler) reconcileImages(ctx context.Context, s *itemScope) error {
	var namespaces []string
	if r.Cluster && s.lib != nil {
		var err error
		if namespaces, err = r.boundNamespaces(ctx, library.LibrarySpec(s.lib).UUID); err != nil {
			return err
		}
	}
	st := library.ItemStatusOf(s.item)
	desired := desiredImages(s.item, namespaces)
	existing, err := r.ownedImages(ctx, s.item)
	if err != nil {
		return err
	}
	have := map[client.ObjectKey]client.Object{}
	for _, img := range existing {
		have[client.ObjectKeyFromObject(img)] = img
	}
	for _, want := range desired {
		key := client.ObjectKeyFromObject(want)
		cur := have[key]
		delete(have, key)
		status := library.ImageStatus(imageStatusOrZero(cur), library.ItemSpec(s.item).UUID, st, s.info, s.infoErr)
		want.SetLabels(library.ImageLabels(&status, string(s.item.GetUID())))
		if err := r.applyImage(ctx, cur, want, status); err != nil {
			return err
		}
	}
	for _, img := range have {
		if err := r.Client.Delete(ctx, img); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting image %s: %w", klog.KObj(img), err)
		}
		ctrl.LoggerFrom(ctx).Info("Deleted image", "image", klog.KObj(img))
	}
	return nil
}

func imageStatusOrZero(img client.Object) vmopv1.VirtualMachineImageStatus {
	if img == nil {
		return vmopv1.VirtualMachineImageStatus{}
	}
	return *library.ImageStatusOf(img)
}

// applyImage creates want (with status) when cur is nil, or brings cur's
// labels, owner, spec and status in line with want and status.
func (r *ItemReconciler) applyImage(ctx context.Context, cur, want client.Object, status vmopv1.VirtualMachineImageStatus) error {
	if cur == nil {
		if err := r.Client.Create(ctx, want); err != nil {
			if apierrors.IsAlreadyExists(err) {
				// Someone else's image holds the name, or the cache is
				// behind; either way the next pass sees it.
				ctrl.LoggerFrom(ctx).Info("An image of this name exists that is not this item's", "image", klog.KObj(want))
				return nil
			}
			return fmt.Errorf("creating image %s: %w", klog.KObj(want), err)
		}
		ctrl.LoggerFrom(ctx).Info("Created image", "image", klog.KObj(want), "name", status.Name)
		cur = want
	} else if !equality.Semantic.DeepEqual(cur.GetLabels(), want.GetLabels()) ||
		!equality.Semantic.DeepEqual(library.ImageSpecOf(cur), library.ImageSpecOf(want)) {
		before := cur.DeepCopyObject().(client.Object)
		cur.SetLabels(want.GetLabels())
		*library.ImageSpecOf(cur) = *library.ImageSpecOf(want)
		if err := r.Client.Patch(ctx, cur, client.MergeFrom(before)); err != nil {
			return fmt.Errorf("updating image %s: %w", klog.KObj(cur), err)
		}
	}
	if equality.Semantic.DeepEqual(*library.ImageStatusOf(cur), status) {
		return nil
	}
	before := cur.DeepCopyObject().(client.Object)
	*library.ImageStatusOf(cur) = status
	if err := r.Client.Status().Patch(ctx, cur, client.MergeFrom(before)); err != nil {
		return fmt.Errorf("patching the status of image %s: %w", klog.KObj(cur), err)
	}
	return nil
}

// desiredImages are the images of an item (without status and labels):
// named after the item as vm-operator names them, referring to it, owned
// by it.
func desiredImages(item client.Object, boundNamespaces []string) []client.Object {
	uuid := library.ItemSpec(item).UUID
	name := library.ImageName(item.GetName(), uuid)
	yes := true
	owner := metav1.OwnerReference{
		APIVersion: imgregv1.GroupVersion.String(), Kind: library.ItemKind(item),
		Name: item.GetName(), UID: item.GetUID(), Controller: &yes,
	}
	spec := vmopv1.VirtualMachineImageSpec{ProviderRef: &vmopv1.LocalObjectRef{
		APIVersion: imgregv1.GroupVersion.String(), Kind: library.ItemKind(item), Name: item.GetName(),
	}}
	meta := func(namespace string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: namespace, OwnerReferences: []metav1.OwnerReference{owner}}
	}
	if _, ok := item.(*imgregv1.ContentLibraryItem); ok {
		return []client.Object{&vmopv1.VirtualMachineImage{ObjectMeta: meta(item.GetNamespace()), Spec: *spec.DeepCopy()}}
	}
	out := []client.Object{&vmopv1.ClusterVirtualMachineImage{ObjectMeta: meta(""), Spec: *spec.DeepCopy()}}
	ns := append([]string(nil), boundNamespaces...)
	sort.Strings(ns)
	for i, n := range ns {
		if i > 0 && ns[i-1] == n {
			continue
		}
		out = append(out, &vmopv1.VirtualMachineImage{ObjectMeta: meta(n), Spec: *spec.DeepCopy()})
	}
	return out
}

// boundNamespaces lists the namespaces with a ContentLibrary of the UUID.
func (r *ItemReconciler) boundNamespaces(ctx context.Context, uuid string) ([]string, error) {
	var list imgregv1.ContentLibraryList
	if err := r.Client.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing ContentLibraries: %w", err)
	}
	var out []string
	for i := range list.Items {
		if l := &list.Items[i]; l.Spec.UUID == uuid && l.DeletionTimestamp.IsZero() {
			out = append(out, l.Namespace)
		}
	}
	return out, nil
}

// ownedImages lists the images made from item (by its UID label, checked
// against their owner).
func (r *ItemReconciler) ownedImages(ctx context.Context, item client.Object) ([]client.Object, error) {
	sel := client.MatchingLabels{library.ItemUIDLabel: string(item.GetUID())}
	owned := func(o client.Object) bool {
		for _, ref := range o.GetOwnerReferences() {
			if ref.UID == item.GetUID() {
				return true
			}
		}
		return false
	}
	var out []client.Object
	var vmis vmopv1.VirtualMachineImageList
	opts := []client.ListOption{sel}
	if !r.Cluster {
		opts = append(opts, client.InNamespace(item.GetNamespace()))
	}
	if err := r.Client.List(ctx, &vmis, opts...); err != nil {
		return nil, fmt.Errorf("listing VirtualMachineImages: %w", err)
	}
	for i := range vmis.Items {
		if owned(&vmis.Items[i]) {
			out = append(out, &vmis.Items[i])
		}
	}
	if r.Cluster {
		var cvmis vmopv1.ClusterVirtualMachineImageList
		if err := r.Client.List(ctx, &cvmis, sel); err != nil {
			return nil, fmt.Errorf("listing ClusterVirtualMachineImages: %w", err)
		}
		for i := range cvmis.Items {
			if owned(&cvmis.Items[i]) {
				out = append(out, &cvmis.Items[i])
			}
		}
	}
	return out, nil
}
