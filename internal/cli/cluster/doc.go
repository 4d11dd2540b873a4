// Package cluster is `kubevisor cluster`: the commands that create, inspect,
// scale, upgrade and delete workload clusters (TanzuKubernetesCluster
// objects, run.tanzu.vmware.com/v1alpha3) in a vSphere Namespace, and that
// print a cluster's admin kubeconfig (the Cluster API Secret
// <cluster>-kubeconfig).
//
// Flags are checked, and refused naming the flag and how to find a good
// value, before the Supervisor is contacted; the Supervisor's own admission
// errors are shown as they come, after what was being attempted. --wait
// follows a cluster until it is Ready; how that progress is drawn lives in
// the pure progress type, so it can be tested without a terminal.
package cluster
