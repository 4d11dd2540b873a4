// Command kubectl-vsphere is the kubectl plugin that logs users in to a
// Supervisor: `kubectl vsphere login` and `kubectl vsphere logout`.
package main
