// Package bootstrap embeds the plain Kubernetes objects the Supervisor
// applies (server-side, idempotently) at every start: its system
// namespaces, the aggregated ClusterRoles behind the Owner, Edit and View
// roles, and the admission policies that guard them.
package bootstrap
