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
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// VirtualMachinePowerState is a VM's desired or observed power state.
// +kubebuilder:validation:Enum=PoweredOn;PoweredOff;Suspended
type VirtualMachinePowerState string

const (
	// VirtualMachinePowerStateOn asks for, or reports, a running VM.
	VirtualMachinePowerStateOn VirtualMachinePowerState = "PoweredOn"
	// VirtualMachinePowerStateOff asks for, or reports, a stopped VM.
	VirtualMachinePowerStateOff VirtualMachinePowerState = "PoweredOff"
	// VirtualMachinePowerStateSuspended asks for, or reports, a VM whose
	// memory has been saved and whose execution is paused.
	VirtualMachinePowerStateSuspended VirtualMachinePowerState = "Suspended"
)

// VirtualMachinePowerOpMode says how a power-off, suspend or restart is
// carried out.
// +kubebuilder:validation:Enum=Hard;Soft;TrySoft
type VirtualMachinePowerOpMode string

const (
	// VirtualMachinePowerOpModeHard acts on the VM without involving the
	// guest, like pulling the plug or pressing reset.
	VirtualMachinePowerOpModeHard VirtualMachinePowerOpMode = "Hard"
	// VirtualMachinePowerOpModeSoft asks the guest to shut down, standby or
	// reboot itself. A guest without tools may never reach the desired state.
	VirtualMachinePowerOpModeSoft VirtualMachinePowerOpMode = "Soft"
	// VirtualMachinePowerOpModeTrySoft tries Soft first and falls back to
	// Hard when the guest cannot take part or does not finish in time
	// (five minutes).
	VirtualMachinePowerOpModeTrySoft VirtualMachinePowerOpMode = "TrySoft"
)

// VirtualMachineImageRef names the image a VM is deployed from.
type VirtualMachineImageRef struct {
	// kind is VirtualMachineImage (in the VM's namespace) or
	// ClusterVirtualMachineImage.
	// +required
	// +kubebuilder:validation:Enum=VirtualMachineImage;ClusterVirtualMachineImage
	Kind string `json:"kind"`

	// name is the Kubernetes object name of the image.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// VirtualMachineSpec is the desired state of a VirtualMachine.
type VirtualMachineSpec struct {
	// image references the VirtualMachineImage or ClusterVirtualMachineImage
	// the VM is deployed from, by object name.
	// When both image and imageName are set on create they must resolve to the
	// same image; that check needs a lookup and is made by admission, not by
	// the schema, because imageName may be an image's display name.
	// It may be empty for a VM that was imported rather than deployed.
	// +optional
	Image *VirtualMachineImageRef `json:"image,omitempty"`

	// imageName names the image the VM is deployed from. It is looked up
	// first as a VirtualMachineImage in the VM's namespace, then as a
	// ClusterVirtualMachineImage, and finally as the display name
	// (status.name) of exactly one of those; a match fills in spec.image.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ImageName string `json:"imageName,omitempty"`

	// className is the name of the VirtualMachineClass in the VM's namespace
	// that sizes the VM. It may be empty for an imported VM.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ClassName string `json:"className,omitempty"`

	// storageClass is the name of the StorageClass that places the VM's
	// disks and configuration.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	StorageClass string `json:"storageClass,omitempty"`

	// bootstrap configures how the guest is initialised on first boot. When
	// omitted a method may be chosen from the image.
	// +optional
	Bootstrap *VirtualMachineBootstrapSpec `json:"bootstrap,omitempty"`

	// network configures the VM's network interfaces and guest networking.
	// When omitted the VM gets one interface on the namespace's default
	// network.
	// +optional
	Network *VirtualMachineNetworkSpec `json:"network,omitempty"`

	// powerState is the desired power state. It may be omitted on create, in
	// which case it is set to PoweredOn. A new VM may not be created
	// Suspended.
	// +optional
	PowerState VirtualMachinePowerState `json:"powerState,omitempty"`

	// powerOffMode says how the VM is powered off.
	// +optional
	// +kubebuilder:default=TrySoft
	PowerOffMode VirtualMachinePowerOpMode `json:"powerOffMode,omitempty"`

	// suspendMode says how the VM is suspended.
	// +optional
	// +kubebuilder:default=TrySoft
	SuspendMode VirtualMachinePowerOpMode `json:"suspendMode,omitempty"`

	// nextRestartTime restarts the VM when set to "now" (any case); admission
	// replaces "now" with the current UTC time in RFC3339 form, and a new
	// value triggers one restart according to restartMode. Future times
	// cannot be scheduled.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	NextRestartTime string `json:"nextRestartTime,omitempty"`

	// restartMode says how the VM is restarted.
	// +optional
	// +kubebuilder:default=TrySoft
	RestartMode VirtualMachinePowerOpMode `json:"restartMode,omitempty"`

	// volumes lists the volumes attached to the VM, keyed by name.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=256
	Volumes []VirtualMachineVolume `json:"volumes,omitempty"`

	// readinessProbe decides when the VM is Ready.
	// +optional
	ReadinessProbe *VirtualMachineReadinessProbeSpec `json:"readinessProbe,omitempty"`

	// advanced holds rarely needed VM settings.
	// +optional
	Advanced *VirtualMachineAdvancedSpec `json:"advanced,omitempty"`

	// reserved holds settings that only privileged users and system
	// components (for example a cluster infrastructure provider) may set.
	// +optional
	Reserved *VirtualMachineReservedSpec `json:"reserved,omitempty"`

	// minHardwareVersion is the lowest virtual hardware version the VM may
	// have. When unset, the class's version or the provider's default is
	// used. This field is never rewritten; status.hardwareVersion shows the
	// version in effect.
	// +optional
	// +kubebuilder:validation:Minimum=13
	MinHardwareVersion int32 `json:"minHardwareVersion,omitempty"`

	// instanceUUID is the VM's instance UUID, used by the infrastructure to
	// identify it. A random UUID is chosen when omitted.
	// +optional
	// +kubebuilder:validation:Format=uuid
	InstanceUUID string `json:"instanceUUID,omitempty"`

	// biosUUID is the VM's BIOS (SMBIOS) UUID, visible to the guest. A
	// random UUID is chosen when omitted. With cloud-init it is the default
	// instance ID.
	// +optional
	// +kubebuilder:validation:Format=uuid
	BiosUUID string `json:"biosUUID,omitempty"`

	// guestID is the guest operating system identifier (for example
	// "ubuntu64Guest"). When omitted the image's value is used. It cannot
	// change while the VM is powered on.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	GuestID string `json:"guestID,omitempty"`
}

// VirtualMachineReservedSpec holds VM settings reserved for privileged users.
type VirtualMachineReservedSpec struct {
	// resourcePolicyName is the name of a VirtualMachineSetResourcePolicy in
	// the VM's namespace whose resource pool, folder and cluster modules the
	// VM joins.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ResourcePolicyName string `json:"resourcePolicyName,omitempty"`
}

// VirtualMachineAdvancedSpec holds rarely needed VM settings.
type VirtualMachineAdvancedSpec struct {
	// bootDiskCapacity is the size of the VM's boot disk. It can grow the
	// image's disk but not shrink it.
	// +optional
	BootDiskCapacity *resource.Quantity `json:"bootDiskCapacity,omitempty"`

	// defaultVolumeProvisioningMode is the provisioning mode for volumes
	// whose storage class does not set one.
	// +optional
	DefaultVolumeProvisioningMode VirtualMachineVolumeProvisioningMode `json:"defaultVolumeProvisioningMode,omitempty"`

	// changeBlockTracking turns on changed-block tracking, used by
	// incremental backup.
	// +optional
	ChangeBlockTracking *bool `json:"changeBlockTracking,omitempty"`
}

// VirtualMachineStatus is the observed state of a VirtualMachine.
type VirtualMachineStatus struct {
	// class references the VirtualMachineClass the VM was deployed with.
	// +optional
	Class *LocalObjectRef `json:"class,omitempty"`

	// host is the name or address of the host the VM runs on.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Host string `json:"host,omitempty"`

	// powerState is the VM's observed power state.
	// +optional
	PowerState VirtualMachinePowerState `json:"powerState,omitempty"`

	// conditions are the VM's observed conditions; see condition_consts.go.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// network is the VM's observed network state. Much of it is only known
	// when the guest reports it.
	// +optional
	Network *VirtualMachineNetworkStatus `json:"network,omitempty"`

	// uniqueID is the provider's identifier for the VM (on vSphere, its
	// managed object ID).
	// +optional
	// +kubebuilder:validation:MaxLength=256
	UniqueID string `json:"uniqueID,omitempty"`

	// biosUUID is the VM's BIOS UUID.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	BiosUUID string `json:"biosUUID,omitempty"`

	// instanceUUID is the VM's instance UUID.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	InstanceUUID string `json:"instanceUUID,omitempty"`

	// volumes is the observed state of the VM's volumes.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=512
	Volumes []VirtualMachineVolumeStatus `json:"volumes,omitempty"`

	// changeBlockTracking reports whether changed-block tracking is on.
	// +optional
	ChangeBlockTracking *bool `json:"changeBlockTracking,omitempty"`

	// zone is the availability zone the VM was placed in; empty when the
	// Supervisor has no zones.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Zone string `json:"zone,omitempty"`

	// nodeName is the name of the Kubernetes node that corresponds to this VM,
	// when the VM is a node of a cluster.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	NodeName string `json:"nodeName,omitempty"`

	// lastRestartTime is when the VM was last restarted through
	// spec.nextRestartTime.
	// +optional
	LastRestartTime *metav1.Time `json:"lastRestartTime,omitempty"`

	// hardwareVersion is the VM's virtual hardware version.
	// +optional
	// +kubebuilder:validation:Minimum=0
	HardwareVersion int32 `json:"hardwareVersion,omitempty"`

	// storage is the VM's observed storage usage.
	// +optional
	Storage *VirtualMachineStorageStatus `json:"storage,omitempty"`
}

// VirtualMachine is a virtual machine run by the VM Service: a class gives its
// size, an image its disk, bootstrap its first-boot configuration.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=virtualmachines,scope=Namespaced,shortName=vm,categories=vmoperator
// +kubebuilder:printcolumn:name="Power-State",type="string",JSONPath=".status.powerState",description="Observed power state"
// +kubebuilder:printcolumn:name="Class",type="string",priority=1,JSONPath=".spec.className",description="VirtualMachineClass"
// +kubebuilder:printcolumn:name="Image",type="string",priority=1,JSONPath=".spec.image.name",description="Image the VM was deployed from"
// +kubebuilder:printcolumn:name="Primary-IP4",type="string",priority=1,JSONPath=".status.network.primaryIP4",description="Primary IPv4 address"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type VirtualMachine struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the VM.
	// +optional
	Spec VirtualMachineSpec `json:"spec,omitempty,omitzero"`

	// status is the observed state of the VM.
	// +optional
	Status VirtualMachineStatus `json:"status,omitempty,omitzero"`
}

// GetConditions returns the VM's conditions.
func (vm *VirtualMachine) GetConditions() []metav1.Condition {
	return vm.Status.Conditions
}

// SetConditions replaces the VM's conditions.
func (vm *VirtualMachine) SetConditions(conditions []metav1.Condition) {
	vm.Status.Conditions = conditions
}

// VirtualMachineList is a list of VirtualMachines.
//
// +kubebuilder:object:root=true
type VirtualMachineList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the VirtualMachines.
	Items []VirtualMachine `json:"items"`
}
