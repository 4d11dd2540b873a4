// Package tanzukubernetescluster realises TanzuKubernetesClusters
// (run.tanzu.vmware.com/v1alpha3) as Cluster API Clusters of the builtin
// ClusterClass, the way vSphere 8's TKG Service does.
//
// For each TanzuKubernetesCluster the controller keeps a Cluster of the same
// name, converted by package tkg/tkc and owned by the TKC, in step with the
// TKC's spec; Cluster API's topology controller does the rest. It changes
// only the parts of the Cluster it owns (labels it sets, the cluster
// network, the topology's version, replicas, node pools and variables) and
// writes nothing when they already agree, allowing for what admission adds:
// the Cluster mutating webhook resolves the TanzuKubernetesRelease name in
// spec.topology.version to a Kubernetes version, records the release in the
// run.tanzu.vmware.com/tkr label and adds the TKR_DATA variable; Cluster
// API's webhook adds variable defaults.
//
// The TKC's status mirrors the Cluster's: phase, the Ready,
// ControlPlaneReady and NodePoolsReady conditions (from the Cluster's
// Available, ControlPlaneAvailable and WorkersAvailable), API endpoint,
// release and worker count. Deleting the TKC deletes the Cluster; the TKC's
// finalizer stays until the Cluster is gone.
package tanzukubernetescluster
