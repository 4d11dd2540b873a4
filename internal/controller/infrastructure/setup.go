package infrastructure

import (
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller"
)

// Options configure the infrastructure provider's controllers.
type Options struct {
	// ClusterConcurrency is how many VSphereClusters are reconciled at
	// once; 5 when zero.
	ClusterConcurrency int
	// MachineConcurrency is how many VSphereMachines are reconciled at
	// once; 10 when zero.
	MachineConcurrency int
}

// SetupWithManager registers the VSphereCluster and VSphereMachine
// controllers with mgr. The manager's scheme must hold the
// vmware.infrastructure.cluster.x-k8s.io/v1beta1, Cluster API
// (cluster.x-k8s.io/v1beta2), vmoperator.vmware.com/v1alpha3 and
// kubevisor.io/v1alpha1 types.
func SetupWithManager(mgr ctrl.Manager, o Options) error {
	if o.ClusterConcurrency == 0 {
		o.ClusterConcurrency = 5
	}
	if o.MachineConcurrency == 0 {
		o.MachineConcurrency = 10
	}
	if err := (&ClusterReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme()}).
		SetupWithManager(mgr, controller.Options{MaxConcurrentReconciles: o.ClusterConcurrency}); err != nil {
		return err
	}
	return (&MachineReconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme()}).
		SetupWithManager(mgr, controller.Options{MaxConcurrentReconciles: o.MachineConcurrency})
}
