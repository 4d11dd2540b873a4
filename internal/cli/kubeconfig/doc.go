// Package kubeconfig finds the Supervisor for the kubevisor client
// commands the way kubectl does (--kubeconfig, then KUBECONFIG, then
// ~/.kube/config; --context picks a context) and returns a
// controller-runtime client that knows kubevisor's types.
package kubeconfig
