package library

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/ova"
	"github.com/kubevisor/kubevisor/internal/provider"
)

// FindItem returns the ClusterContentLibraryItem or ContentLibraryItem
// whose spec.uuid is itemUUID.
func (s *Service) FindItem(ctx context.Context, itemUUID string) (client.Object, error) {
	var cluster imgregv1.ClusterContentLibraryItemList
	if err := s.cfg.Client.List(ctx, &cluster); err != nil {
		return nil, fmt.Errorf("listing ClusterContentLibraryItems: %w", err)
	}
	for i := range cluster.Items {
		if cluster.Items[i].Spec.UUID == itemUUID {
			return &cluster.Items[i], nil
		}
	}
	var namespaced imgregv1.ContentLibraryItemList
	if err := s.cfg.Client.List(ctx, &namespaced); err != nil {
		return nil, fmt.Errorf("listing ContentLibraryItems: %w", err)
	}
	for i := range namespaced.Items {
		if namespaced.Items[i].Spec.UUID == itemUUID {
			return &namespaced.Items[i], nil
		}
	}
	return nil, fmt.Errorf("library item %s: %w", itemUUID, provider.ErrNotFound)
}

// LibraryOfItem returns the library object that holds item.
func (s *Service) LibraryOfItem(ctx context.Context, c client.Reader, item client.Object) (client.Object, error) {
	name := LibraryOf(item)
	if name == "" {
		return nil, fmt.Errorf("%s names no library", describe(item))
	}
	lib := NewLibraryFor(item)
	if err := c.Get(ctx, client.ObjectKey{Namespace: item.GetNamespace(), Name: name}, lib); err != nil {
		return nil, err
	}
	return lib, nil
}

// SubscribedEntry returns the publisher's index entry of an item of a
// subscribed library (nil if the last index does not list it).
func (s *Service) SubscribedEntry(libraryUUID, itemUUID string) (*IndexItem, error) {
	idx, err := s.cfg.Store.LoadIndex(libraryUUID)
	if err != nil {
		return nil, err
	}
	if idx == nil {
		return nil, nil
	}
	for i := range idx.Items {
		if SubscribedItemUUID(libraryUUID, idx.Items[i].UUID) == itemUUID {
			return &idx.Items[i], nil
		}
	}
	return nil, nil
}

// Content returns the item's stored content when it is current: for an
// item of a subscribed library, the content the publisher lists now. When
// it is not stored yet, it also returns the download that would store it
// (nil for a local library).
func (s *Service) Content(lib client.Object, item client.Object) (*Record, *DownloadRequest, error) {
	spec := LibrarySpec(lib)
	itemUUID := ItemSpec(item).UUID
	rec, err := s.cfg.Store.Get(spec.UUID, itemUUID)
	if err != nil && !errors.Is(err, ErrNotStored) {
		return nil, nil, err
	}
	if spec.Subscription == nil {
		if rec == nil {
			return nil, nil, fmt.Errorf("%w: the content of %s is missing from the Supervisor's library store; upload it again", ErrNotStored, describe(item))
		}
		return rec, nil, nil
	}
	entry, err := s.SubscribedEntry(spec.UUID, itemUUID)
	if err != nil {
		return nil, nil, err
	}
	if entry == nil {
		if rec != nil {
			return rec, nil, nil
		}
		return nil, nil, fmt.Errorf("%w: the publisher no longer lists %s", ErrNotStored, describe(item))
	}
	if rec != nil && rec.OVA.SHA256 == entry.OVA.SHA256 {
		return rec, nil, nil
	}
	return nil, &DownloadRequest{LibraryUUID: spec.UUID, ItemUUID: itemUUID, Subscription: spec.Subscription, Entry: *entry, Item: item}, nil
}

// Ensure returns the directory holding the verified, extracted files of the
// item whose UUID is itemUUID, downloading them first (and waiting) when
// the item belongs to a subscribed library and is not stored yet.
func (s *Service) Ensure(ctx context.Context, itemUUID string) (string, error) {
	rec, err := s.ensure(ctx, itemUUID)
	if err != nil {
		return "", err
	}
	return rec.FilesDir(), nil
}

// ensure returns the stored content of an item, downloading it first when
// needed.
func (s *Service) ensure(ctx context.Context, itemUUID string) (*Record, error) {
	item, err := s.FindItem(ctx, itemUUID)
	if err != nil {
		return nil, err
	}
	if p := ItemProblem(ItemStatusOf(item)); p != nil && p.Reason == imgregv1.ContentDigestMismatchReason {
		return nil, fmt.Errorf("library item %s: %s: %w", ItemStatusOf(item).Name, p.Message, provider.ErrInvalid)
	}
	lib, err := s.LibraryOfItem(ctx, s.cfg.Client, item)
	if err != nil {
		return nil, fmt.Errorf("the library of %s: %w", describe(item), err)
	}
	rec, dl, err := s.Content(lib, item)
	if err != nil {
		return nil, err
	}
	if rec == nil {
		if rec, err = s.Download(ctx, *dl); err != nil {
			if ova.IsContentError(err) {
				err = fmt.Errorf("%w: %w", err, provider.ErrInvalid)
			}
			return nil, err
		}
	}
	return rec, nil
}

// Image resolves a VirtualMachineImage or ClusterVirtualMachineImage to its
// files on this host. It does not wait for a download: when the image's
// item is not stored yet (an on-demand or still downloading subscribed
// item), it starts the download and returns an error wrapping
// provider.ErrInProgress; call again later. A missing item gives
// provider.ErrNotFound; content that failed verification
// provider.ErrInvalid.
func (s *Service) Image(ctx context.Context, image client.Object) (provider.Image, error) {
	spec := ImageSpecOf(image)
	if spec == nil {
		return provider.Image{}, fmt.Errorf("%T is not an image", image)
	}
	out := provider.Image{Name: image.GetName()}
	ref := spec.ProviderRef
	if ref == nil {
		return out, fmt.Errorf("image %s has no spec.providerRef: %w", image.GetName(), provider.ErrNotFound)
	}
	var item client.Object
	key := client.ObjectKey{Name: ref.Name}
	switch ref.Kind {
	case KindClusterContentLibraryItem:
		item = &imgregv1.ClusterContentLibraryItem{}
	case KindContentLibraryItem:
		item = &imgregv1.ContentLibraryItem{}
		key.Namespace = image.GetNamespace()
	default:
		return out, fmt.Errorf("image %s: provider kind %q is not a library item: %w", image.GetName(), ref.Kind, provider.ErrInvalid)
	}
	if err := s.cfg.Client.Get(ctx, key, item); err != nil {
		if apierrors.IsNotFound(err) {
			return out, fmt.Errorf("image %s: %s %s: %w", image.GetName(), ref.Kind, ref.Name, provider.ErrNotFound)
		}
		return out, err
	}
	out.LibraryItem = ItemSpec(item).UUID
	if p := ItemProblem(ItemStatusOf(item)); p != nil && p.Reason == imgregv1.ContentDigestMismatchReason {
		return out, fmt.Errorf("image %s: %s: %w", image.GetName(), p.Message, provider.ErrInvalid)
	}
	lib, err := s.LibraryOfItem(ctx, s.cfg.Client, item)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return out, fmt.Errorf("image %s: the library of %s: %w", image.GetName(), describe(item), provider.ErrNotFound)
		}
		return out, err
	}
	rec, dl, err := s.Content(lib, item)
	if err != nil {
		return out, fmt.Errorf("image %s: %w", image.GetName(), err)
	}
	if rec == nil {
		if p := s.DownloadProblem(dl.ItemUUID, dl.Entry.OVA.SHA256); p != nil && p.Reason == imgregv1.ContentDigestMismatchReason {
			return out, fmt.Errorf("image %s: %s: %w", image.GetName(), p.Message, provider.ErrInvalid)
		}
		s.StartDownload(*dl)
		return out, fmt.Errorf("image %s: downloading %s: %w", image.GetName(), dl.Entry.Name, provider.ErrInProgress)
	}
	info, err := rec.Info()
	if err != nil {
		return out, fmt.Errorf("image %s: %w: %w", image.GetName(), err, provider.ErrInvalid)
	}
	out.OVFPath = rec.DescriptorPath()
	if len(info.Disks) == 0 || info.Disks[0].File == "" {
		return out, fmt.Errorf("image %s has no disk: %w", image.GetName(), provider.ErrInvalid)
	}
	out.DiskPath = rec.Path(info.Disks[0].File)
	return out, nil
}

// ItemInfo returns the OVF facts of an item: from its stored content rec,
// or, for a subscribed item not stored yet, from the publisher's
// descriptor fetched with the index (dl is what Content returned).
func (s *Service) ItemInfo(rec *Record, dl *DownloadRequest) (*ova.Info, error) {
	switch {
	case rec != nil:
		return rec.Info()
	case dl != nil:
		return readInfo(s.cfg.Store.DescriptorPath(dl.LibraryUUID, dl.Entry.Descriptor.SHA256))
	}
	return nil, ErrNotStored
}

// Locate returns the boot disk and OVF descriptor of the item whose UUID is
// itemID (a VirtualMachineImage's status.providerItemID), downloading the
// item first, and waiting for it, when it is not stored yet. It implements
// the VM controller's ImageLocator.
func (s *Service) Locate(ctx context.Context, itemID string) (diskPath, ovfPath string, err error) {
	rec, err := s.ensure(ctx, itemID)
	if err != nil {
		return "", "", err
	}
	info, err := rec.Info()
	if err != nil {
		return "", "", fmt.Errorf("library item %s: %w", rec.Name, err)
	}
	if len(info.Disks) == 0 || info.Disks[0].File == "" {
		return "", "", fmt.Errorf("library item %s has no disk: %w", rec.Name, provider.ErrInvalid)
	}
	return rec.Path(info.Disks[0].File), rec.DescriptorPath(), nil
}
