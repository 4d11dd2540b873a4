package library

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/ova"
)

// EnsureDefaultLibrary creates the ClusterContentLibrary
// "kubevisor-default" (local, with DefaultLibraryUUID) if it does not exist,
// and returns it.
func (s *Service) EnsureDefaultLibrary(ctx context.Context) (*imgregv1.ClusterContentLibrary, error) {
	lib := &imgregv1.ClusterContentLibrary{}
	err := s.cfg.APIReader.Get(ctx, client.ObjectKey{Name: DefaultLibraryName}, lib)
	if err == nil {
		return lib, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, err
	}
	lib = &imgregv1.ClusterContentLibrary{
		ObjectMeta: metav1.ObjectMeta{Name: DefaultLibraryName},
		Spec: imgregv1.ClusterContentLibrarySpec{BaseContentLibrarySpec: imgregv1.BaseContentLibrarySpec{
			UUID: DefaultLibraryUUID,
		}},
	}
	if err := s.cfg.Client.Create(ctx, lib); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, fmt.Errorf("creating ClusterContentLibrary %s: %w", DefaultLibraryName, err)
	}
	if err := s.cfg.APIReader.Get(ctx, client.ObjectKey{Name: DefaultLibraryName}, lib); err != nil {
		return nil, err
	}
	return lib, nil
}

// SeedDefault ensures the default library and imports into it every .ova
// file of dir (not its subdirectories), as the item named after the file
// without ".ova". A file whose content the item already has is skipped
// without being unpacked; a changed file becomes the item's new content
// version. A file that fails verification is reported and skipped. It
// returns the number of items imported or changed.
func (s *Service) SeedDefault(ctx context.Context, dir string) (int, error) {
	log := ctrl.LoggerFrom(ctx)
	lib, err := s.EnsureDefaultLibrary(ctx)
	if err != nil {
		return 0, err
	}
	if dir == "" {
		return 0, nil
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.ova"))
	if err != nil {
		return 0, err
	}
	sort.Strings(files)
	changed := 0
	var errs []string
	for _, path := range files {
		name := strings.TrimSuffix(filepath.Base(path), ".ova")
		if err := checkItemName(name); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", path, err))
			continue
		}
		done, err := s.seedFile(ctx, lib, name, path)
		if err != nil {
			if ova.IsContentError(err) {
				log.Error(err, "Skipping a seed image that failed verification", "file", path)
				errs = append(errs, fmt.Sprintf("%s: %v", path, err))
				continue
			}
			return changed, fmt.Errorf("importing %s: %w", path, err)
		}
		if done {
			changed++
			log.Info("Imported seed image into the default library", "library", DefaultLibraryName, "item", name, "file", path)
		}
	}
	if len(errs) > 0 {
		return changed, &SeedError{Failed: errs}
	}
	return changed, nil
}

// SeedError lists the seed images that were not imported because they are
// not valid; the others were.
type SeedError struct {
	Failed []string
}

func (e *SeedError) Error() string {
	return "some seed images were not imported: " + strings.Join(e.Failed, "; ")
}

func (s *Service) seedFile(ctx context.Context, lib *imgregv1.ClusterContentLibrary, name, path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	itemUUID := LocalItemUUID(lib.Spec.UUID, name)
	if rec, err := s.cfg.Store.Get(lib.Spec.UUID, itemUUID); err == nil {
		sum, _, err := ova.HashReader("SHA256", f)
		if err != nil {
			return false, err
		}
		item := &imgregv1.ClusterContentLibraryItem{}
		itemErr := s.cfg.APIReader.Get(ctx, client.ObjectKey{Name: ItemObjectName(itemUUID)}, item)
		if sum == rec.OVA.SHA256 && itemErr == nil && item.DeletionTimestamp.IsZero() {
			return false, nil
		}
		if _, err := f.Seek(0, 0); err != nil {
			return false, err
		}
	}
	res, err := s.Import(ctx, lib, name, f)
	if err != nil {
		return false, err
	}
	return res.Changed || res.Created, nil
}

// DefaultLibrary is a manager.Runnable that seeds the default library once
// the manager starts (see SeedDefault), retrying while the API is not ready
// for it yet.
type DefaultLibrary struct {
	// Service imports the images.
	Service *Service
	// Dir holds the seed .ova files; with "", the library is only created.
	Dir string
}

var _ manager.Runnable = &DefaultLibrary{}

// Start seeds the default library and returns.
func (d *DefaultLibrary) Start(ctx context.Context) error {
	log := ctrl.LoggerFrom(ctx).WithName("default-library")
	ctx = ctrl.LoggerInto(ctx, log)
	attempts := 0
	err := wait.PollUntilContextCancel(ctx, 2*time.Second, true, func(ctx context.Context) (bool, error) {
		attempts++
		_, err := d.Service.SeedDefault(ctx, d.Dir)
		switch {
		case err == nil:
			return true, nil
		case errors.As(err, new(*SeedError)):
			log.Error(err, "Default library seeded, with errors")
			return true, nil
		}
		if attempts%15 == 0 {
			log.Error(err, "The default library cannot be seeded yet; retrying")
		}
		return false, nil
	})
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("seeding the default library: %w", err)
	}
	return nil
}

// NeedLeaderElection is true: one Supervisor seeds the library.
func (d *DefaultLibrary) NeedLeaderElection() bool { return true }
