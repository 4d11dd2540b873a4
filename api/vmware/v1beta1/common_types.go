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

package v1beta1

// Finalizers.
const (
	// ClusterFinalizer holds a VSphereCluster until its resource policy and
	// control-plane load balancer are gone.
	ClusterFinalizer = "vspherecluster.vmware.infrastructure.cluster.x-k8s.io"

	// MachineFinalizer holds a VSphereMachine until its VirtualMachine is
	// gone. CAPV uses the same value in supervisor mode.
	MachineFinalizer = "vspheremachine.infrastructure.cluster.x-k8s.io"
)

// Labels and annotations the provider puts on the VM Service objects it
// makes. Guest-cluster components (the paravirtual cloud provider) select
// node VMs by the two labels, so their keys and values are CAPV's.
const (
	// ClusterNameLabel carries the Cluster API cluster's name on its
	// VirtualMachines; the control-plane VirtualMachineService selects on it.
	ClusterNameLabel = "capv.vmware.com/cluster.name"

	// ClusterRoleLabel carries a VirtualMachine's role in its cluster:
	// ClusterRoleControlPlane or ClusterRoleNode.
	ClusterRoleLabel = "capv.vmware.com/cluster.role"

	// ClusterRoleControlPlane is the ClusterRoleLabel value of control-plane
	// VMs.
	ClusterRoleControlPlane = "controlplane"

	// ClusterRoleNode is the ClusterRoleLabel value of worker VMs.
	ClusterRoleNode = "node"

	// ZoneLabel places a VirtualMachine in an availability zone (a
	// failure domain), as vm-operator reads it.
	ZoneLabel = "topology.kubernetes.io/zone"

	// ClusterModuleGroupAnnotation names the resource policy's cluster
	// module group (anti-affinity group) a VirtualMachine joins.
	ClusterModuleGroupAnnotation = "vsphere-cluster-module-group"

	// ProviderTagsAnnotation names the anti-affinity tag vm-operator puts on
	// a VirtualMachine: ControlPlaneVMTag or WorkerVMTag.
	ProviderTagsAnnotation = "vsphere-tag"

	// ControlPlaneVMTag is the ProviderTagsAnnotation value of control-plane
	// VMs.
	ControlPlaneVMTag = "CtrlVmVmAATag"

	// WorkerVMTag is the ProviderTagsAnnotation value of worker VMs.
	WorkerVMTag = "WorkerVmVmAATag"

	// ControlPlaneClusterModuleGroup is the cluster module group of a
	// cluster's control-plane VMs.
	ControlPlaneClusterModuleGroup = "control-plane-group"
)

// APIEndpoint is a reachable Kubernetes API endpoint.
type APIEndpoint struct {
	// host is the host name or IP address the API server is served on.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Host string `json:"host"`

	// port is the port the API server is served on.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`
}

// IsZero reports whether the endpoint is unset.
func (e APIEndpoint) IsZero() bool { return e.Host == "" && e.Port == 0 }

// FailureDomain is a failure domain machines can be placed in: on the
// Supervisor, a zone.
type FailureDomain struct {
	// name is the failure domain's name: the zone's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name"`

	// controlPlane says whether control-plane machines may be placed in the
	// failure domain.
	// +optional
	ControlPlane *bool `json:"controlPlane,omitempty"`

	// attributes are free-form attributes of the failure domain.
	// +optional
	Attributes map[string]string `json:"attributes,omitempty"`
}

// MachineAddressType is the kind of a machine address.
// +kubebuilder:validation:Enum=Hostname;ExternalIP;InternalIP;ExternalDNS;InternalDNS
type MachineAddressType string

// Machine address types.
const (
	// MachineHostName is a host name.
	MachineHostName MachineAddressType = "Hostname"
	// MachineExternalIP is an address reachable from outside the cluster.
	MachineExternalIP MachineAddressType = "ExternalIP"
	// MachineInternalIP is an address on the cluster's node network.
	MachineInternalIP MachineAddressType = "InternalIP"
	// MachineExternalDNS is a DNS name reachable from outside the cluster.
	MachineExternalDNS MachineAddressType = "ExternalDNS"
	// MachineInternalDNS is a DNS name on the cluster's node network.
	MachineInternalDNS MachineAddressType = "InternalDNS"
)

// MachineAddress is one address of a machine.
type MachineAddress struct {
	// type is the kind of address.
	// +required
	Type MachineAddressType `json:"type"`

	// address is the address itself.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Address string `json:"address"`
}

// MachineStatusError is a terminal problem of a machine, as Cluster API's
// v1beta1 contract names them.
type MachineStatusError string

// Terminal machine errors this provider reports.
const (
	// InvalidConfigurationMachineError: the spec cannot work as written, for
	// example a naming template that does not render; fix the spec.
	InvalidConfigurationMachineError MachineStatusError = "InvalidConfiguration"
)
