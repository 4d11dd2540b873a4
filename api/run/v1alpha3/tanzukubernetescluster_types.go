/*
Copyright 2026 The kubevisor Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha3

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TanzuKubernetesClusterSpec is the cluster a developer asks for: its nodes,
// the Kubernetes release they run, and how the cluster's network and storage
// are set up.
type TanzuKubernetesClusterSpec struct {
	// topology is the number, size and software of the cluster's nodes:
	// the control plane and the worker node pools.
	// +required
	Topology Topology `json:"topology,omitzero"`

	// settings configures the cluster's pod and service networks, proxy,
	// trusted certificates and storage classes. Omitted settings take
	// the Supervisor's defaults.
	// +optional
	Settings *Settings `json:"settings,omitempty"`
}

// Topology describes the nodes of a cluster, grouped into the control plane
// and worker node pools. Every node of a group has the same VM class,
// storage and release.
type Topology struct {
	// controlPlane is the group of nodes that run the cluster's control plane.
	// +required
	ControlPlane ControlPlane `json:"controlPlane,omitzero"`

	// nodePools are the groups of worker nodes, each with its own name,
	// size and placement.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	NodePools []NodePool `json:"nodePools,omitempty"`
}

// ControlPlane describes the control plane nodes of a cluster.
// +kubebuilder:validation:XValidation:rule="!has(self.replicas) || self.replicas == 1 || self.replicas == 3",message="replicas must be 1 or 3 for the control plane",fieldPath=".replicas"
type ControlPlane struct {
	// replicas is the number of control plane nodes: 1, or 3 for a highly
	// available control plane. Defaults to 1.
	// +optional
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	Replicas *int32 `json:"replicas,omitempty"`

	TopologySettings `json:",inline"`
}

// NodePool is a named group of identical worker nodes.
type NodePool struct {
	// name identifies the node pool within the cluster. It must be a DNS
	// label, as it becomes part of the names of the pool's nodes.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name,omitempty"`

	// labels are added to every Node of the pool.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	Labels map[string]string `json:"labels,omitempty"`

	// taints are set on every Node of the pool when it registers.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Taints []corev1.Taint `json:"taints,omitempty"`

	// failureDomain is the vSphere Zone the pool's nodes are placed in.
	// When omitted, the pools are spread across the Supervisor's zones.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	FailureDomain string `json:"failureDomain,omitempty"`

	// replicas is the number of nodes in the pool. When omitted, the number
	// is left to whoever scales the pool, such as a cluster autoscaler.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Replicas *int32 `json:"replicas,omitempty"`

	TopologySettings `json:",inline"`
}

// TopologySettings are the settings the control plane and node pools share:
// the size of each node, its storage and its Kubernetes release.
type TopologySettings struct {
	// vmClass is the name of the VirtualMachineClass each node is created
	// with; it sets the node's CPUs, memory and their reservations. The class
	// must be bound to the cluster's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	VMClass string `json:"vmClass,omitempty"`

	// storageClass is the storage class of the nodes' boot disks. It must be
	// one of the storage classes assigned to the cluster's namespace.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	StorageClass string `json:"storageClass,omitempty"`

	// volumes are extra persistent volumes created for, and attached to,
	// every node, for example to hold etcd or containerd data.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Volumes []Volume `json:"volumes,omitempty"`

	// tkr names the TanzuKubernetesRelease the nodes run. When omitted, the
	// default release of the Supervisor is chosen and recorded here.
	// +optional
	TKR TKRReference `json:"tkr,omitzero"`

	// nodeDrainTimeout bounds the time spent draining a node before it is
	// deleted. Zero, the default, means no bound.
	// +optional
	NodeDrainTimeout *metav1.Duration `json:"nodeDrainTimeout,omitempty"`
}

// Volume is a persistent volume that lives and dies with its node. It is
// mounted while the node boots, before services such as etcd or containerd
// start.
// +kubebuilder:validation:XValidation:rule="!has(self.capacity) || 'storage' in self.capacity",message="capacity.storage is required",fieldPath=".capacity"
type Volume struct {
	// name identifies the volume on the node; the volume's claim is named
	// after the node and this name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name,omitempty"`

	// mountPath is the absolute directory the volume is mounted on.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="mountPath must be an absolute path"
	MountPath string `json:"mountPath,omitempty"`

	// capacity is the size of the volume, under the key "storage".
	// +required
	Capacity corev1.ResourceList `json:"capacity,omitempty"`

	// storageClass is the storage class of the volume. Defaults to the
	// storage class of the node.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	StorageClass string `json:"storageClass,omitempty"`
}

// TKRReference points at a TanzuKubernetesRelease.
type TKRReference struct {
	// reference names the TanzuKubernetesRelease; only its name is used.
	// +optional
	Reference *corev1.ObjectReference `json:"reference,omitempty"`
}

// Settings configures a cluster's networking and storage.
type Settings struct {
	// network configures the cluster's CNI, address ranges, proxy and
	// trusted certificates.
	// +optional
	Network *Network `json:"network,omitempty"`

	// storage chooses which of the namespace's storage classes the cluster
	// sees. The storage of the nodes themselves is set in the topology.
	// +optional
	Storage *Storage `json:"storage,omitempty"`
}

// Network configures the networking of a cluster.
type Network struct {
	// cni is the Container Network Interface plugin installed in the cluster.
	// Defaults to the Supervisor's default CNI.
	// +optional
	CNI *CNIConfiguration `json:"cni,omitempty"`

	// pods are the address ranges pod IPs are taken from.
	// +optional
	Pods *NetworkRanges `json:"pods,omitempty"`

	// services are the address ranges service cluster IPs are taken from.
	// +optional
	Services *NetworkRanges `json:"services,omitempty"`

	// serviceDomain is the DNS domain of the cluster's services.
	// Defaults to "cluster.local".
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	ServiceDomain string `json:"serviceDomain,omitempty"`

	// proxy is the HTTP(S) proxy the cluster's nodes use to reach outside
	// the cluster. When omitted, no proxy is configured.
	// +optional
	Proxy *ProxyConfiguration `json:"proxy,omitempty"`

	// trust adds certificate authorities that the cluster's nodes trust.
	// +optional
	Trust *TrustConfiguration `json:"trust,omitempty"`
}

// CNIConfiguration chooses the CNI plugin of a cluster.
type CNIConfiguration struct {
	// name is the CNI plugin: antrea or calico.
	// +required
	// +kubebuilder:validation:Enum=antrea;calico
	Name string `json:"name,omitempty"`
}

// NetworkRanges is a list of address ranges in CIDR notation.
type NetworkRanges struct {
	// cidrBlocks are the address ranges, such as 192.168.0.0/16. Not every
	// CNI plugin supports more than one range.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=8
	// +kubebuilder:validation:items:MaxLength=43
	// +kubebuilder:validation:items:XValidation:rule="isCIDR(self)",message="must be a CIDR such as 192.168.0.0/16"
	CIDRBlocks []string `json:"cidrBlocks,omitempty"`
}

// ProxyConfiguration is the HTTP(S) proxy used inside a cluster.
type ProxyConfiguration struct {
	// httpProxy is the URL of the proxy for HTTP connections, such as
	// http://user:password@10.0.0.1:3128.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	HTTPProxy *string `json:"httpProxy,omitempty"`

	// httpsProxy is the URL of the proxy for HTTPS connections.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	HTTPSProxy *string `json:"httpsProxy,omitempty"`

	// noProxy are the destinations reached without the proxy: host names,
	// domains, IP addresses or CIDRs.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MaxLength=253
	NoProxy []string `json:"noProxy,omitempty"`
}

// TrustConfiguration lists extra certificate authorities for a cluster.
type TrustConfiguration struct {
	// additionalTrustedCAs are the certificates to add to the nodes' trust
	// stores. Only names are kept here: the PEM data is read from a Secret
	// in the cluster's namespace, under the certificate's name.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	AdditionalTrustedCAs []TLSCertificate `json:"additionalTrustedCAs,omitempty"`
}

// TLSCertificate names one additional trusted certificate.
type TLSCertificate struct {
	// name identifies the certificate; it is also the file name the
	// certificate gets on the nodes.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`
}

// Storage chooses the storage classes visible inside a cluster.
type Storage struct {
	// classes are the namespace's storage classes to expose in the cluster.
	// When omitted, all of the namespace's storage classes are exposed.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=253
	Classes []string `json:"classes,omitempty"`

	// defaultClass is the storage class marked as the default in the
	// cluster. When omitted, the cluster has no default storage class.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	DefaultClass string `json:"defaultClass,omitempty"`
}

// TanzuKubernetesClusterStatus is the observed state of a cluster.
type TanzuKubernetesClusterStatus struct {
	// conditions describe the state of the cluster. Ready summarises
	// ControlPlaneReady, NodePoolsReady, AddonsReady and the others listed
	// in this package's condition constants.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// phase is a one-word summary of the cluster's lifecycle. Prefer the
	// conditions, which say why.
	// +optional
	Phase TanzuKubernetesClusterPhase `json:"phase,omitempty"`

	// apiEndpoints are the addresses of the cluster's Kubernetes API.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=8
	APIEndpoints []APIEndpoint `json:"apiEndpoints,omitempty"`

	// version is the Kubernetes version the cluster runs. During an upgrade
	// it stays at the version the upgrade started from.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Version string `json:"version,omitempty"`

	// totalWorkerReplicas is the number of worker nodes across all pools.
	// +optional
	TotalWorkerReplicas int32 `json:"totalWorkerReplicas,omitempty"`

	// addons report the cluster add-ons (CNI, CSI, cloud provider, DNS,
	// authentication) installed in the cluster.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	Addons []AddonStatus `json:"addons,omitempty"`
}

// APIEndpoint is an address of a Kubernetes API server.
type APIEndpoint struct {
	// host is the host name or IP address the API server is served on.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Host string `json:"host"`

	// port is the TCP port the API server is served on.
	// +required
	Port int32 `json:"port"`
}

// AddonStatus is the state of one cluster add-on.
type AddonStatus struct {
	// name is the name of the add-on, such as antrea or vsphere-csi.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// type is what the add-on provides.
	// +required
	Type AddonType `json:"type"`

	// version is the version of the add-on installed.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Version string `json:"version,omitempty"`

	// conditions describe the state of the add-on.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=8
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// AddonType is what a cluster add-on provides.
// +kubebuilder:validation:Enum=AuthService;CNI;CPI;CSI;DNS;Proxy;PSP;MetricsServer
type AddonType string

// The add-on types.
const (
	// AddonTypeAuthService authenticates the Supervisor's users in the cluster.
	AddonTypeAuthService AddonType = "AuthService"
	// AddonTypeCNI is the pod network.
	AddonTypeCNI AddonType = "CNI"
	// AddonTypeCPI is the cloud provider.
	AddonTypeCPI AddonType = "CPI"
	// AddonTypeCSI is the storage driver.
	AddonTypeCSI AddonType = "CSI"
	// AddonTypeDNS is the cluster DNS.
	AddonTypeDNS AddonType = "DNS"
	// AddonTypeProxy is kube-proxy.
	AddonTypeProxy AddonType = "Proxy"
	// AddonTypePSP is the default pod security configuration.
	AddonTypePSP AddonType = "PSP"
	// AddonTypeMetricsServer is the metrics server.
	AddonTypeMetricsServer AddonType = "MetricsServer"
)

// TanzuKubernetesCluster is a workload Kubernetes cluster in a vSphere
// Namespace, described by its node topology and settings. kubevisor builds
// it as a Cluster API Cluster of the builtin ClusterClass.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=tanzukubernetesclusters,scope=Namespaced,shortName=tkc,categories=tanzu
// +kubebuilder:printcolumn:name="Control Plane",type=integer,JSONPath=`.spec.topology.controlPlane.replicas`
// +kubebuilder:printcolumn:name="Worker",type=integer,JSONPath=`.status.totalWorkerReplicas`
// +kubebuilder:printcolumn:name="TKR Name",type=string,JSONPath=`.spec.topology.controlPlane.tkr.reference.name`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=='Ready')].status`
// +kubebuilder:printcolumn:name="TKR Compatible",type=string,JSONPath=`.status.conditions[?(@.type=='TanzuKubernetesReleaseCompatible')].status`
// +kubebuilder:printcolumn:name="Updates Available",type=string,JSONPath=`.status.conditions[?(@.type=='UpdatesAvailable')].message`
type TanzuKubernetesCluster struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the cluster the developer asks for.
	// +required
	Spec TanzuKubernetesClusterSpec `json:"spec,omitzero"`

	// status is the cluster as observed.
	// +optional
	Status TanzuKubernetesClusterStatus `json:"status,omitzero"`
}

// TanzuKubernetesClusterList is a list of TanzuKubernetesClusters.
//
// +kubebuilder:object:root=true
type TanzuKubernetesClusterList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the list's metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the clusters.
	Items []TanzuKubernetesCluster `json:"items"`
}
