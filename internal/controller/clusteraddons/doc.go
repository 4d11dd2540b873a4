// Package clusteraddons installs kubevisor's add-ons into workload
// clusters through Cluster API's own mechanism, the ClusterResourceSet.
//
// A Cluster asks for the routed pod network with the label
// addons.kubevisor.io/cni=kubevisor-cni. In every namespace holding such a
// Cluster, this controller keeps a ConfigMap with the add-on's manifest and
// a ClusterResourceSet selecting those Clusters; Cluster API applies it
// once each cluster's API server answers. When the last such Cluster of a
// namespace is gone, both are removed.
package clusteraddons
