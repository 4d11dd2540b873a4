package supervisor

import (
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/kubevisor/kubevisor/internal/webhook"
)

// setupControllers registers kubevisor's controllers and webhooks with mgr.
func setupControllers(mgr ctrl.Manager) error {
	if err := webhook.SetupClusterAPIConversion(mgr); err != nil {
		return err
	}
	return nil
}
