// Package tkc converts a TanzuKubernetesCluster into the Cluster API Cluster
// that realises it: a Cluster of the builtin ClusterClass (tkg.ClassName)
// whose topology variables carry the TKC's VM classes, storage, volumes,
// node labels and taints, proxy and trusted certificates.
//
// The conversion is a pure function: it reads nothing from the API, so the
// TanzuKubernetesCluster controller and the TKC admission webhook build
// exactly the same Cluster. The TanzuKubernetesRelease is passed on by name
// in spec.topology.version; the Cluster admission webhook resolves it to a
// Kubernetes version. Conversions are deterministic: the same TKC always
// gives byte-identical variables.
package tkc
