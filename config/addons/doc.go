// Package addons embeds the manifests the Supervisor applies to guest
// (workload) clusters, such as kubevisor-cni, the routed pod network that
// every kubevisor Tanzu Kubernetes Release can run without pulling an image.
//
// The Supervisor hands a manifest to a cluster through a Cluster API
// ClusterResourceSet: the bytes of KubevisorCNI go into a ConfigMap in the
// cluster's namespace, and the ClusterResourceSet applies them once the
// cluster's API server answers. Objects decodes a manifest for callers that
// apply it themselves (tests, hack/tkr/cluster).
package addons
