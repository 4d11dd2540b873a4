// Package controllermanager runs the kube-controller-manager loops that a
// Supervisor's control plane needs (namespace deletion, garbage collection,
// service accounts and their tokens, resource quota, endpoints, persistent
// volume binding, RBAC aggregation, certificate signing, ...) inside the
// Supervisor process. With internal/apiserver it is the only package allowed
// to import k8s.io/kubernetes.
//
// The Supervisor has no nodes of its own, so node and pod-scheduling loops
// are left out; its secure port is off, so nothing extra listens.
package controllermanager
