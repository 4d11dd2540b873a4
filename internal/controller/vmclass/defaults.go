package vmclass

import (
	"context"
	"fmt"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/wait"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
)

var _ manager.Runnable = &Defaults{}

// Defaults creates the default VM classes once, when the manager starts.
type Defaults struct {
	// Client writes to the API.
	Client client.Client
	// Classes are the classes to create; DefaultVirtualMachineClasses()
	// when nil.
	Classes []kubevisorv1.ClusterVirtualMachineClass
}

// Start creates every missing class, retrying every 200 ms until the API
// accepts them (at start the admission webhooks come up with the manager)
// or ctx ends.
func (d *Defaults) Start(ctx context.Context) error {
	log := ctrl.LoggerFrom(ctx).WithName("vmclass-defaults")
	classes := d.Classes
	if classes == nil {
		classes = kubevisorv1.DefaultVirtualMachineClasses()
	}
	pending := classes
	var lastErr error
	attempts := 0
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		attempts++
		var failed []kubevisorv1.ClusterVirtualMachineClass
		for i := range pending {
			class := pending[i].DeepCopy()
			err := d.Client.Create(ctx, class)
			switch {
			case err == nil:
				log.Info("Created default VM class", "class", class.Name)
			case apierrors.IsAlreadyExists(err):
			default:
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
	return nil
}

// NeedLeaderElection is true: one Supervisor creates the classes.
func (d *Defaults) NeedLeaderElection() bool { return true }
