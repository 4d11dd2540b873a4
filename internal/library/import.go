package library

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Errors of Import.
var (
	// ErrNotWritable: the library takes no uploads (it is subscribed, or a
	// namespace's binding of a cluster library).
	ErrNotWritable = errors.New("library is not writable")
	// ErrItemDeleting: an item of that name is being deleted; retry once it
	// is gone.
	ErrItemDeleting = errors.New("item is being deleted")
)

// ImportResult is what Import did.
type ImportResult struct {
	// Item is the item object, with its status.
	Item client.Object
	// Record is the stored content.
	Record *Record
	// Created says the item object is new; Changed that its content is.
	Created, Changed bool
}

// Import stores the OVA read from body as the item called name of the local
// library lib (a ClusterContentLibrary or ContentLibrary) and creates or
// updates its item object and status. Uploading the content an item already
// has changes nothing; other content replaces it (a new content version).
// A rejected archive gives an error wrapping an *ova.Error.
func (s *Service) Import(ctx context.Context, lib client.Object, name string, body io.Reader) (*ImportResult, error) {
	if err := checkItemName(name); err != nil {
		return nil, err
	}
	spec := LibrarySpec(lib)
	switch {
	case spec == nil:
		return nil, fmt.Errorf("%T is not a library", lib)
	case IsBinding(lib):
		return nil, fmt.Errorf("%w: %s binds ClusterContentLibrary %s into the namespace; upload to that library", ErrNotWritable, describe(lib), lib.GetName())
	case spec.Subscription != nil:
		return nil, fmt.Errorf("%w: %s is subscribed to %s", ErrNotWritable, describe(lib), spec.Subscription.URL)
	case !lib.GetDeletionTimestamp().IsZero():
		return nil, fmt.Errorf("%w: %s is being deleted", ErrNotWritable, describe(lib))
	}
	itemUUID := LocalItemUUID(spec.UUID, name)
	unlock := s.lockImport(itemUUID)
	defer unlock()

	item := ItemObject(lib, ItemObjectName(itemUUID), itemUUID)
	existing := NewItemFor(lib)
	err := s.cfg.APIReader.Get(ctx, client.ObjectKeyFromObject(item), existing)
	found := err == nil
	switch {
	case err == nil && !existing.GetDeletionTimestamp().IsZero():
		return nil, fmt.Errorf("%w: %s %q; try again once it is gone", ErrItemDeleting, describe(existing), name)
	case err != nil && !apierrors.IsNotFound(err):
		return nil, fmt.Errorf("reading %s: %w", describe(item), err)
	}

	rec, changed, err := s.cfg.Store.Put(ctx, spec.UUID, itemUUID, name, body, Expect{MaxBytes: s.cfg.MaxBytes})
	if err != nil {
		return nil, err
	}
	res := &ImportResult{Record: rec, Changed: changed}
	if !found {
		if err := s.cfg.Client.Create(ctx, item); err != nil {
			if !apierrors.IsAlreadyExists(err) {
				return nil, fmt.Errorf("creating %s: %w", describe(item), err)
			}
			if err := s.cfg.APIReader.Get(ctx, client.ObjectKeyFromObject(item), item); err != nil {
				return nil, fmt.Errorf("reading %s: %w", describe(item), err)
			}
		} else {
			res.Created = true
		}
	} else {
		item = existing
	}

	st := ItemStatusOf(item)
	want := ItemStatus(*st, FactsFromRecord(rec, LibraryRef(lib), st.Description), item.GetCreationTimestamp().Time)
	if !equality.Semantic.DeepEqual(*st, want) {
		before := item.DeepCopyObject().(client.Object)
		*st = want
		if err := s.cfg.Client.Status().Patch(ctx, item, client.MergeFrom(before)); err != nil {
			return nil, fmt.Errorf("writing the status of %s: %w", describe(item), err)
		}
	}
	res.Item = item
	return res, nil
}

func (s *Service) lockImport(key string) func() {
	s.importMu.Lock()
	m := s.importing[key]
	if m == nil {
		m = &sync.Mutex{}
		s.importing[key] = m
	}
	s.importMu.Unlock()
	m.Lock()
	return m.Unlock
}
