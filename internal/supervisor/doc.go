// Package supervisor wires the Supervisor together in one process: its data
// directory, certificates and configuration files, the datastore, the
// embedded kube-apiserver and kube-controller-manager, the CRDs, and the
// controller manager that serves kubevisor's webhooks and controllers.
//
// Run starts everything, supervises it with an errgroup and stops it all
// when its context is cancelled (SIGTERM) or when any part fails.
package supervisor
