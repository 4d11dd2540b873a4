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

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// VirtualMachinePowerOpMode says how a machine's VM is powered off.
// +kubebuilder:validation:Enum=hard;soft;trySoft
type VirtualMachinePowerOpMode string

const (
	// VirtualMachinePowerOpModeHard powers the VM off without involving
	// the guest, like pulling the plug.
	VirtualMachinePowerOpModeHard VirtualMachinePowerOpMode = "hard"
	// VirtualMachinePowerOpModeSoft asks the guest to shut down; a guest
	// that does not may never stop.
	VirtualMachinePowerOpModeSoft VirtualMachinePowerOpMode = "soft"
	// VirtualMachinePowerOpModeTrySoft asks the guest first and falls back
	// to hard after five minutes.
	VirtualMachinePowerOpModeTrySoft VirtualMachinePowerOpMode = "trySoft"
)

// VirtualMachineState is the state of a machine's VM, as status.vmstatus
// reports it.
type VirtualMachineState string

const (
	// VirtualMachineStateNotFound: there is no VM.
	VirtualMachineStateNotFound VirtualMachineState = "notfound"
	// VirtualMachineStatePending: the VM is asked for but not created yet.
	VirtualMachineStatePending VirtualMachineState = "pending"
	// VirtualMachineStateCreated: the VM exists but is not powered on.
	VirtualMachineStateCreated VirtualMachineState = "created"
	// VirtualMachineStatePoweredOn: the VM runs but has no address or
	// BIOS UUID yet.
	VirtualMachineStatePoweredOn VirtualMachineState = "poweredon"
	// VirtualMachineStateReady: the VM runs with an address.
	VirtualMachineStateReady VirtualMachineState = "ready"
	// VirtualMachineStateDeleting: the VM is being deleted.
	VirtualMachineStateDeleting VirtualMachineState = "deleting"
	// VirtualMachineStateError: the VM could not be created or read.
	VirtualMachineStateError VirtualMachineState = "error"
)

// VSphereMachineVolume is an extra disk of a machine: a
// PersistentVolumeClaim named <VSphereMachine name>-<name>, attached to its
// VM.
type VSphereMachineVolume struct {
	// name is the volume's name; the claim is named after the machine and
	// it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// capacity is the volume's size, under the key "storage".
	// +required
	// +kubebuilder:validation:XValidation:rule="'storage' in self",message="capacity needs a storage size"
	Capacity corev1.ResourceList `json:"capacity"`

	// storageClass is the StorageClass of the claim; the machine's
	// storageClass when empty.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	StorageClass string `json:"storageClass,omitempty"`
}

// VirtualMachineNamingStrategy says how a machine's VM is named.
type VirtualMachineNamingStrategy struct {
	// template is a Go text/template for the VM's name. It sees
	// .machine.name (the Machine's name) and has the functions trimSuffix
	// (trimSuffix "-suffix" .machine.name) and trunc (trunc 10 s; a negative
	// count keeps the end). The result is cut to 63 characters. When unset,
	// the VM has the VSphereMachine's name.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Template *string `json:"template,omitempty"`
}

// VSphereMachineSpec is the desired state of a VSphereMachine.
type VSphereMachineSpec struct {
	// providerID is the VM's BIOS UUID as vsphere://<uuid>, set by the
	// provider once the VM has one. The machine's Node has the same
	// provider ID.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	ProviderID string `json:"providerID,omitempty"`

	// failureDomain is the zone the machine is placed in when its Machine
	// names none (Cluster API's v1beta1 contract; the Machine's
	// spec.failureDomain wins).
	// +optional
	// +kubebuilder:validation:MaxLength=256
	FailureDomain string `json:"failureDomain,omitempty"`

	// imageName is the VM image: a VirtualMachineImage or
	// ClusterVirtualMachineImage name, or an image's display name.
	// +required
	// +kubebuilder:validation:MaxLength=253
	ImageName string `json:"imageName"`

	// className is the VirtualMachineClass that sizes the VM.
	// +required
	// +kubebuilder:validation:MaxLength=253
	ClassName string `json:"className"`

	// storageClass is the StorageClass of the VM's disks, and the default
	// of its volumes.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	StorageClass string `json:"storageClass,omitempty"`

	// volumes are extra disks of the VM, each a PersistentVolumeClaim.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=32
	Volumes []VSphereMachineVolume `json:"volumes,omitempty"`

	// powerOffMode says how the VM is powered off.
	// +optional
	// +kubebuilder:default=hard
	PowerOffMode VirtualMachinePowerOpMode `json:"powerOffMode,omitempty"`

	// minHardwareVersion is the lowest virtual hardware version of the VM,
	// as vmx-N (for example vmx-17).
	// +optional
	// +kubebuilder:validation:MaxLength=16
	// +kubebuilder:validation:Pattern=`^(vmx-)?[0-9]+$`
	MinHardwareVersion string `json:"minHardwareVersion,omitempty"`

	// namingStrategy says how the VM is named.
	// +optional
	NamingStrategy *VirtualMachineNamingStrategy `json:"namingStrategy,omitempty"`
}

// VSphereMachineInitializationStatus reports a machine's initial
// provisioning (Cluster API v1beta2 contract).
// +kubebuilder:validation:MinProperties=1
type VSphereMachineInitializationStatus struct {
	// provisioned is true once the VM runs with an address and
	// spec.providerID is set. It stays true.
	// +optional
	Provisioned *bool `json:"provisioned,omitempty"`
}

// VSphereMachineStatus is the observed state of a VSphereMachine.
type VSphereMachineStatus struct {
	// ready is status.initialization.provisioned for clients of Cluster
	// API's v1beta1 contract.
	// +optional
	Ready bool `json:"ready,omitempty"`

	// initialization reports the initial provisioning.
	// +optional
	Initialization VSphereMachineInitializationStatus `json:"initialization,omitempty,omitzero"`

	// addresses are the VM's addresses.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	Addresses []MachineAddress `json:"addresses,omitempty"`

	// failureDomain is the zone the VM was placed in.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	FailureDomain string `json:"failureDomain,omitempty"`

	// vmID identifies the VM: its BIOS UUID.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	ID string `json:"vmID,omitempty"`

	// vmIp is the VM's primary IP address.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	IPAddr string `json:"vmIp,omitempty"`

	// vmstatus is the VM's state.
	// +optional
	// +kubebuilder:validation:Enum=notfound;pending;created;poweredon;ready;deleting;error
	VMStatus VirtualMachineState `json:"vmstatus,omitempty"`

	// failureReason is set when the machine cannot be provisioned as
	// specified and retrying will not help (Cluster API's v1beta1
	// contract); the VirtualMachineProvisioned condition says the same.
	// +optional
	FailureReason *MachineStatusError `json:"failureReason,omitempty"`

	// failureMessage explains failureReason.
	// +optional
	// +kubebuilder:validation:MaxLength=10240
	FailureMessage *string `json:"failureMessage,omitempty"`

	// conditions are the machine's observed conditions; see
	// condition_consts.go.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// VSphereMachine is the infrastructure of one Cluster API Machine on the
// Supervisor: a VirtualMachine booted with the Machine's bootstrap data.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=vspheremachines,scope=Namespaced,categories=cluster-api
// +kubebuilder:metadata:labels={"cluster.x-k8s.io/v1beta1=v1beta1","cluster.x-k8s.io/v1beta2=v1beta1"}
// +kubebuilder:printcolumn:name="Zone",type="string",JSONPath=".spec.failureDomain",description="Zone"
// +kubebuilder:printcolumn:name="ProviderID",type="string",JSONPath=".spec.providerID",description="Provider ID"
// +kubebuilder:printcolumn:name="IPAddr",type="string",JSONPath=".status.vmIp",description="IP address"
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status",description="Ready condition"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type VSphereMachine struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the machine's infrastructure.
	// +optional
	Spec VSphereMachineSpec `json:"spec,omitempty,omitzero"`

	// status is the observed state of the machine's infrastructure.
	// +optional
	Status VSphereMachineStatus `json:"status,omitempty,omitzero"`
}

// GetConditions returns the VSphereMachine's conditions.
func (m *VSphereMachine) GetConditions() []metav1.Condition {
	return m.Status.Conditions
}

// SetConditions replaces the VSphereMachine's conditions.
func (m *VSphereMachine) SetConditions(conditions []metav1.Condition) {
	m.Status.Conditions = conditions
}

// VSphereMachineList is a list of VSphereMachines.
//
// +kubebuilder:object:root=true
type VSphereMachineList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the VSphereMachines.
	Items []VSphereMachine `json:"items"`
}
