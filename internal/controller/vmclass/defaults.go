package vmclass

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
)

// Defaults creates the default VM classes that do not exist.
type Defaults struct {
	// Client writes to the API.
	Client client.Client
	// Classes are the classes to create; DefaultVirtualMachineClasses()
	// when nil.
	Classes []kubevisorv1.ClusterVirtualMachineClass
}

// Create creates every missing class, all at once, retrying those the API
// refused every 200 ms until none is missing or ctx ends. It needs no
// cache: the Supervisor calls it before its controllers have synced theirs,
// and a class that exists (created by another Supervisor sharing the
// datastore, say) counts as created.
func (d *Defaults) Create(ctx context.Context) error {
	log := ctrl.LoggerFrom(ctx).WithName("vmclass-defaults")
	pending := d.Classes
	if pending == nil {
		pending = kubevisorv1.DefaultVirtualMachineClasses()
	}
	var lastErr error
	attempts := 0
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		attempts++
		errs := make([]error, len(pending))
		var wg sync.WaitGroup
		for i := range pending {
			wg.Go(func() {
				class := pending[i].DeepCopy()
				err := d.Client.Create(ctx, class)
				switch {
				case err == nil:
					log.Info("Created default VM class", "class", class.Name)
				case !apierrors.IsAlreadyExists(err):
					errs[i] = err
				}
			})
		}
		wg.Wait()
		var failed []kubevisorv1.ClusterVirtualMachineClass
		for i, err := range errs {
			if err != nil {
				lastErr = err
				failed = append(failed, pending[i])
			}
		}
		pending = failed
		if len(pending) > 0 && attempts%150 == 0 {
			log.Error(lastErr, "Default VM classes cannot be created yet; retrying", "missing", len(pending))
		}
		return len(pending) == 0, nil
	})
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("creating default VM classes: %w (last error: %w)", err, lastErr)
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return nil
}
