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

import "k8s.io/apimachinery/pkg/api/resource"

// VirtualMachineVolumeProvisioningMode is how a virtual disk's space is
// allocated.
// +kubebuilder:validation:Enum=Thin;Thick;ThickEagerZero
type VirtualMachineVolumeProvisioningMode string

const (
	// VirtualMachineVolumeProvisioningModeThin allocates space on write.
	VirtualMachineVolumeProvisioningModeThin VirtualMachineVolumeProvisioningMode = "Thin"
	// VirtualMachineVolumeProvisioningModeThick allocates all space up front
	// and zeroes it lazily.
	VirtualMachineVolumeProvisioningModeThick VirtualMachineVolumeProvisioningMode = "Thick"
	// VirtualMachineVolumeProvisioningModeThickEagerZero allocates and zeroes
	// all space up front.
	VirtualMachineVolumeProvisioningModeThickEagerZero VirtualMachineVolumeProvisioningMode = "ThickEagerZero"
)

// VirtualMachineVolume is a volume attached to a VM.
type VirtualMachineVolume struct {
	// name identifies the volume within the VM; a DNS label.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// persistentVolumeClaim attaches the volume bound to a claim in the VM's
	// namespace.
	// +optional
	PersistentVolumeClaim *PersistentVolumeClaimVolumeSource `json:"persistentVolumeClaim,omitempty"`
}

// PersistentVolumeClaimVolumeSource references a PersistentVolumeClaim,
// optionally one that is backed by instance storage.
type PersistentVolumeClaimVolumeSource struct {
	// claimName is the name of the PersistentVolumeClaim.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	ClaimName string `json:"claimName"`

	// readOnly attaches the volume read-only.
	// +optional
	ReadOnly bool `json:"readOnly,omitempty"`

	// instanceVolumeClaim is set when the claim is backed by instance storage
	// that the VM's class asks for; such claims are created by the system.
	// +optional
	InstanceVolumeClaim *InstanceVolumeClaimVolumeSource `json:"instanceVolumeClaim,omitempty"`
}

// InstanceVolumeClaimVolumeSource describes an instance storage claim.
type InstanceVolumeClaimVolumeSource struct {
	// storageClass is the StorageClass that provides the instance storage.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	StorageClass string `json:"storageClass"`

	// size is the requested size of the volume.
	// +required
	Size resource.Quantity `json:"size"`
}

// VirtualMachineVolumeType says whether a disk is managed as a volume or
// came with the VM.
// +kubebuilder:validation:Enum=Classic;Managed
type VirtualMachineVolumeType string

const (
	// VirtualMachineStorageDiskTypeClassic is a disk that came with the VM
	// (from its image or class), not from a claim.
	VirtualMachineStorageDiskTypeClassic VirtualMachineVolumeType = "Classic"
	// VirtualMachineStorageDiskTypeManaged is a disk backed by a
	// PersistentVolumeClaim.
	VirtualMachineStorageDiskTypeManaged VirtualMachineVolumeType = "Managed"
)

// VirtualMachineVolumeStatus is the observed state of one volume.
type VirtualMachineVolumeStatus struct {
	// name is the volume's name.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// type says whether the volume is Classic or Managed.
	// +required
	// +kubebuilder:default=Managed
	Type VirtualMachineVolumeType `json:"type"`

	// limit is the volume's storage limit.
	// +optional
	Limit *resource.Quantity `json:"limit,omitempty"`

	// used is the space the volume takes on disk, not counting space shared
	// with other disks (for example a linked clone's parent).
	// +optional
	Used *resource.Quantity `json:"used,omitempty"`

	// attached says whether the volume is attached to the VM.
	// +optional
	Attached bool `json:"attached,omitempty"`

	// diskUUID is the UUID of the virtual disk, once attached.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	DiskUUID string `json:"diskUUID,omitempty"`

	// error is the last error seen attaching or detaching the volume.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Error string `json:"error,omitempty"`
}

// VirtualMachineStorageStatus is a VM's observed storage usage.
type VirtualMachineStorageStatus struct {
	// usage is the storage the VM takes.
	// +optional
	Usage *VirtualMachineStorageStatusUsage `json:"usage,omitempty"`
}

// VirtualMachineStorageStatusUsage breaks a VM's storage use down.
type VirtualMachineStorageStatusUsage struct {
	// total is all storage the VM uses, disks and other files.
	// +optional
	Total *resource.Quantity `json:"total,omitempty"`

	// disks is the storage used by the VM's non-volume disks.
	// +optional
	Disks *resource.Quantity `json:"disks,omitempty"`

	// other is the storage used by the VM's other files (configuration,
	// logs, swap, snapshots).
	// +optional
	Other *resource.Quantity `json:"other,omitempty"`
}
