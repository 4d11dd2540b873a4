// Package supervisornamespace is the namespace service: it turns each
// SupervisorNamespace (the administrator's vSphere Namespace) into a
// Kubernetes Namespace of the same name and keeps what is derived from it
// in step with the spec:
//
//   - one RoleBinding per permission, to the aggregated ClusterRoles
//     kubevisor:namespace-owner, -editor and -viewer;
//   - the ResourceQuota "kubevisor-limits" (pod CPU and memory, storage
//     overall and per storage class, and no claims at all of storage
//     classes not assigned) and the LimitRange "kubevisor-defaults";
//   - a namespaced VirtualMachineClass per bound ClusterVirtualMachineClass
//     and a read-only ContentLibrary per bound ClusterContentLibrary.
//
// The objects themselves are computed by package derive; this controller
// compares them with what exists and writes only the differences, so it
// goes quiet once everything matches. Status reports the Namespace, the
// CPU, memory and storage in use, and a Ready condition that names any
// bound class, storage policy or library that has disappeared.
//
// Deleting a SupervisorNamespace deletes its Namespace (and so everything
// in it) and waits until it is gone before the finalizer is removed;
// nothing outside the Namespace is touched.
package supervisornamespace
