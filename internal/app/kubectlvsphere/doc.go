// Package kubectlvsphere is the kubectl-vsphere command, the kubectl plugin
// run as `kubectl vsphere`: flags and wiring only. The login and logout
// commands are in internal/cli/vsphere.
package kubectlvsphere
