// Package scheme assembles the runtime.Scheme that every kubevisor client
// and controller uses: the Kubernetes built-in types, CRDs, kubevisor's own
// API groups and Cluster API's.
package scheme
