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
	"encoding/json"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// VirtualMachineClassSpec is the desired state of a VirtualMachineClass: the
// size and policies of the VMs that use it.
//
// +kubebuilder:validation:XValidation:rule="!has(self.reservedSlots) || has(self.reservedProfileID)",message="reservedSlots needs reservedProfileID",fieldPath=".reservedSlots"
type VirtualMachineClassSpec struct {
	// controllerName names the controller that reconciles VMs of this class;
	// the deployment's default controller when omitted.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ControllerName string `json:"controllerName,omitempty"`

	// hardware is the virtual hardware the class gives a VM.
	// +optional
	Hardware VirtualMachineClassHardware `json:"hardware,omitempty,omitzero"`

	// policies are the resource policies (reservations and limits) of the
	// class.
	// +optional
	Policies VirtualMachineClassPolicies `json:"policies,omitempty,omitzero"`

	// description is a human-readable description of the class.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// configSpec is extra VM configuration as the JSON form of a vSphere
	// VirtualMachineConfigSpec (with its "_typeName" discriminators). The
	// vsphere provider applies it as given; other providers read the parts
	// they understand (for example numCPUs and memoryMB).
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	ConfigSpec json.RawMessage `json:"configSpec,omitempty"`

	// reservedProfileID is the reservation profile the class belongs to.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	ReservedProfileID string `json:"reservedProfileID,omitempty"`

	// reservedSlots is how many VMs of this class the reservation profile
	// holds room for.
	// +optional
	// +kubebuilder:validation:Minimum=0
	ReservedSlots int32 `json:"reservedSlots,omitempty"`
}

// VirtualMachineClassHardware is the virtual hardware of a class.
type VirtualMachineClassHardware struct {
	// cpus is the number of virtual CPUs.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Cpus int64 `json:"cpus,omitempty"`

	// memory is the VM's memory size.
	// +optional
	Memory resource.Quantity `json:"memory,omitempty,omitzero"`

	// devices are extra virtual devices (GPUs, passthrough devices).
	// +optional
	Devices VirtualDevices `json:"devices,omitempty,omitzero"`

	// instanceStorage is local storage created with each VM of the class.
	// +optional
	InstanceStorage InstanceStorage `json:"instanceStorage,omitempty,omitzero"`
}

// VirtualDevices lists the extra devices of a class.
type VirtualDevices struct {
	// vgpuDevices are vGPU devices, keyed by profile name.
	// +optional
	// +listType=map
	// +listMapKey=profileName
	// +kubebuilder:validation:MaxItems=16
	VGPUDevices []VGPUDevice `json:"vgpuDevices,omitempty"`

	// dynamicDirectPathIODevices are PCI passthrough devices.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	DynamicDirectPathIODevices []DynamicDirectPathIODevice `json:"dynamicDirectPathIODevices,omitempty"`
}

// VGPUDevice is one vGPU device.
type VGPUDevice struct {
	// profileName is the vGPU profile, for example "grid_p40-8q".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	ProfileName string `json:"profileName"`
}

// DynamicDirectPathIODevice is one PCI passthrough device, found by IDs.
type DynamicDirectPathIODevice struct {
	// vendorID is the PCI vendor ID.
	// +required
	VendorID int64 `json:"vendorID"`

	// deviceID is the PCI device ID.
	// +required
	DeviceID int64 `json:"deviceID"`

	// customLabel narrows the match to devices with this label.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	CustomLabel string `json:"customLabel,omitempty"`
}

// InstanceStorage is local storage created with each VM of a class.
type InstanceStorage struct {
	// storageClass is the StorageClass that provides the instance storage.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	StorageClass string `json:"storageClass,omitempty"`

	// volumes are the instance storage volumes each VM gets.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	Volumes []InstanceStorageVolume `json:"volumes,omitempty"`
}

// InstanceStorageVolume is one instance storage volume.
type InstanceStorageVolume struct {
	// size is the volume's size.
	// +required
	Size resource.Quantity `json:"size"`
}

// VirtualMachineClassPolicies are a class's resource policies.
type VirtualMachineClassPolicies struct {
	// resources are the class's CPU and memory reservations and limits.
	// +optional
	Resources VirtualMachineClassResources `json:"resources,omitempty,omitzero"`
}

// VirtualMachineClassResources are CPU and memory reservations and limits.
type VirtualMachineClassResources struct {
	// requests are the guaranteed (reserved) resources.
	// +optional
	Requests VirtualMachineResourceSpec `json:"requests,omitempty,omitzero"`

	// limits are the most resources the VM may use.
	// +optional
	Limits VirtualMachineResourceSpec `json:"limits,omitempty,omitzero"`
}

// VirtualMachineResourceSpec is an amount of CPU and memory.
type VirtualMachineResourceSpec struct {
	// cpu is an amount of CPU in Kubernetes units (cores, e.g. "500m");
	// the vsphere provider converts it to MHz with the hosts' CPU frequency.
	// +optional
	Cpu resource.Quantity `json:"cpu,omitempty,omitzero"` //nolint:revive,staticcheck // JSON name fixed by the public API.

	// memory is an amount of memory.
	// +optional
	Memory resource.Quantity `json:"memory,omitempty,omitzero"`
}

// VirtualMachineClassStatus is the observed state of a VirtualMachineClass.
// The public API has an empty status; conditions are a kubevisor addition.
type VirtualMachineClassStatus struct {
	// conditions are the class's observed conditions (kubevisor addition):
	// Ready says whether the class can be used on this Supervisor.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// VirtualMachineClass is a VM size and policy that namespaces are allowed to
// use. VMs name it in spec.className.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=virtualmachineclasses,scope=Namespaced,shortName=vmclass,categories=vmoperator
// +kubebuilder:printcolumn:name="CPU",type="string",JSONPath=".spec.hardware.cpus",description="Virtual CPUs"
// +kubebuilder:printcolumn:name="Memory",type="string",JSONPath=".spec.hardware.memory",description="Memory size"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type VirtualMachineClass struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the class's size and policies.
	// +optional
	Spec VirtualMachineClassSpec `json:"spec,omitempty,omitzero"`

	// status is the class's observed state.
	// +optional
	Status VirtualMachineClassStatus `json:"status,omitempty,omitzero"`
}

// GetConditions returns the class's conditions.
func (c *VirtualMachineClass) GetConditions() []metav1.Condition {
	return c.Status.Conditions
}

// SetConditions replaces the class's conditions.
func (c *VirtualMachineClass) SetConditions(conditions []metav1.Condition) {
	c.Status.Conditions = conditions
}

// VirtualMachineClassList is a list of VirtualMachineClasses.
//
// +kubebuilder:object:root=true
type VirtualMachineClassList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the VirtualMachineClasses.
	Items []VirtualMachineClass `json:"items"`
}
