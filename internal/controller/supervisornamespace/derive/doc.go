// Package derive computes the Kubernetes objects a SupervisorNamespace
// stands for: its Namespace, one RoleBinding per permission, the
// ResourceQuota and LimitRange of its limits, and the namespaced copies of
// the VM classes and content libraries bound to it. The functions are pure:
// the supervisornamespace controller compares what they return with what
// exists and writes only the differences.
package derive
