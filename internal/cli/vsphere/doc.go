// Package vsphere is `kubectl vsphere login` and `kubectl vsphere logout`,
// the kubectl plugin with the flags vSphere users already type. Login asks
// the Supervisor's SSO endpoint (internal/sso/client) for a session token
// and writes it into the user's kubeconfig: a context for the Supervisor,
// one per namespace the user may use and, on request, one for a workload
// cluster. Logout removes all of them.
//
// Everything the plugin writes is recognisable: its users are named
// "wcp:<host>:<user name>" (as the vSphere plugin names them), and its
// contexts and clusters are those that refer to such users.
package vsphere
