// Package apiserver runs the kube-apiserver of k8s.io/kubernetes inside the
// Supervisor process. It is one of the two packages allowed to import
// k8s.io/kubernetes (the other is internal/controllermanager).
//
// The server is configured the way kube-apiserver's flags would configure
// it, with the Supervisor's secure defaults: no anonymous requests, the Node
// and RBAC authorizers, Secrets encrypted at rest, a rotated audit log and
// no profiling. Callers add readiness checks, so that /readyz reports ok
// only when the whole Supervisor, not just the API server, can serve.
package apiserver
