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

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// VirtualMachineSetResourcePolicySpec is the desired state of a
// VirtualMachineSetResourcePolicy: the placement shared by a set of VMs, such
// as the nodes of one workload cluster.
type VirtualMachineSetResourcePolicySpec struct {
	// resourcePool is the child resource pool the VMs are placed in.
	// +optional
	ResourcePool ResourcePoolSpec `json:"resourcePool,omitempty,omitzero"`

	// folder is the name of the VM folder the VMs are placed in.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Folder string `json:"folder,omitempty"`

	// clusterModuleGroups are the names of anti-affinity groups: VMs that
	// join the same group are spread over different hosts.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=253
	ClusterModuleGroups []string `json:"clusterModuleGroups,omitempty"`
}

// ResourcePoolSpec is a resource pool shared by a set of VMs.
type ResourcePoolSpec struct {
	// name is the resource pool's name.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`

	// reservations are the resources guaranteed to the pool.
	// +optional
	Reservations VirtualMachineResourceSpec `json:"reservations,omitempty,omitzero"`

	// limits are the most resources the pool may use.
	// +optional
	Limits VirtualMachineResourceSpec `json:"limits,omitempty,omitzero"`
}

// VirtualMachineSetResourcePolicyStatus is the observed state of a
// VirtualMachineSetResourcePolicy.
type VirtualMachineSetResourcePolicyStatus struct {
	// resourcePools are the resource pools created for the policy, one per
	// compute cluster (zone).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	ResourcePools []ResourcePoolStatus `json:"resourcePools,omitempty"`

	// clustermodules are the cluster modules created for the policy's
	// groups, one per group and compute cluster.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=1024
	ClusterModules []VSphereClusterModuleStatus `json:"clustermodules,omitempty"`

	// conditions are the policy's observed conditions (kubevisor addition).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ResourcePoolStatus is a resource pool created for a policy.
type ResourcePoolStatus struct {
	// clusterMoID identifies the compute cluster the pool is in.
	// +required
	// +kubebuilder:validation:MaxLength=256
	ClusterMoID string `json:"clusterMoID"`

	// childResourcePoolMoID identifies the pool.
	// +required
	// +kubebuilder:validation:MaxLength=256
	ChildResourcePoolMoID string `json:"childResourcePoolMoID"`
}

// VSphereClusterModuleStatus is a cluster module created for a policy group.
type VSphereClusterModuleStatus struct {
	// groupName is the policy group the module is for.
	// +required
	// +kubebuilder:validation:MaxLength=253
	GroupName string `json:"groupName"`

	// moduleUUID identifies the module.
	// +required
	// +kubebuilder:validation:MaxLength=256
	ModuleUuid string `json:"moduleUUID"` //nolint:revive,staticcheck // Go name mirrors the JSON name of the public API.

	// clusterMoID identifies the compute cluster the module is in.
	// +required
	// +kubebuilder:validation:MaxLength=256
	ClusterMoID string `json:"clusterMoID"`
}

// VirtualMachineSetResourcePolicy groups VMs for placement: a shared resource
// pool and folder, and anti-affinity groups. VMs join it through
// spec.reserved.resourcePolicyName.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=virtualmachinesetresourcepolicies,scope=Namespaced,categories=vmoperator
// +kubebuilder:printcolumn:name="Resource-Pool",type="string",JSONPath=".spec.resourcePool.name"
// +kubebuilder:printcolumn:name="Folder",type="string",JSONPath=".spec.folder"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type VirtualMachineSetResourcePolicy struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired placement.
	// +optional
	Spec VirtualMachineSetResourcePolicySpec `json:"spec,omitempty,omitzero"`

	// status is the placement objects created.
	// +optional
	Status VirtualMachineSetResourcePolicyStatus `json:"status,omitempty,omitzero"`
}

// GetConditions returns the policy's conditions.
func (p *VirtualMachineSetResourcePolicy) GetConditions() []metav1.Condition {
	return p.Status.Conditions
}

// SetConditions replaces the policy's conditions.
func (p *VirtualMachineSetResourcePolicy) SetConditions(conditions []metav1.Condition) {
	p.Status.Conditions = conditions
}

// VirtualMachineSetResourcePolicyList is a list of
// VirtualMachineSetResourcePolicies.
//
// +kubebuilder:object:root=true
type VirtualMachineSetResourcePolicyList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the VirtualMachineSetResourcePolicies.
	Items []VirtualMachineSetResourcePolicy `json:"items"`
}
