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

// Labels the image controller puts on VirtualMachineImages and
// ClusterVirtualMachineImages, so images can be selected by what they hold.
const (
	// VirtualMachineImageOSIDLabel holds status.osInfo.id.
	VirtualMachineImageOSIDLabel = "os.image." + GroupName + "/id"
	// VirtualMachineImageOSTypeLabel holds status.osInfo.type.
	VirtualMachineImageOSTypeLabel = "os.image." + GroupName + "/type"
	// VirtualMachineImageOSVersionLabel holds status.osInfo.version.
	VirtualMachineImageOSVersionLabel = "os.image." + GroupName + "/version"
	// VirtualMachineImageCapabilityLabel is the prefix of one label per
	// entry of status.capabilities, for example
	// "capability.image.vmoperator.vmware.com/cloud-init".
	VirtualMachineImageCapabilityLabel = "capability.image." + GroupName + "/"
	// VirtualMachineImageTypeLabel holds status.type.
	VirtualMachineImageTypeLabel = "image." + GroupName + "/type"
)

// VirtualMachineImageSpec is the desired state of a VirtualMachineImage or
// ClusterVirtualMachineImage.
type VirtualMachineImageSpec struct {
	// providerRef references the object that holds the image's content,
	// normally an imageregistry.vmware.com ContentLibraryItem (for a
	// VirtualMachineImage) or ClusterContentLibraryItem (for a
	// ClusterVirtualMachineImage).
	// +optional
	ProviderRef *LocalObjectRef `json:"providerRef,omitempty"`
}

// VirtualMachineImageStatus is the observed state of an image, read from its
// content (the OVF descriptor, or the ISO).
type VirtualMachineImageStatus struct {
	// name is the image's display name, which spec.imageName of a VM may use.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Name string `json:"name,omitempty"`

	// capabilities are what the image supports, for example "cloud-init" or
	// "nvidia-gpu"; each one is also set as a label (see
	// VirtualMachineImageCapabilityLabel).
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=256
	Capabilities []string `json:"capabilities,omitempty"`

	// firmware is the firmware the image boots with: "bios" or "efi".
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Firmware string `json:"firmware,omitempty"`

	// hardwareVersion is the image's virtual hardware version.
	// +optional
	// +kubebuilder:validation:Minimum=0
	HardwareVersion *int32 `json:"hardwareVersion,omitempty"`

	// osInfo describes the image's guest operating system.
	// +optional
	OSInfo VirtualMachineImageOSInfo `json:"osInfo,omitempty,omitzero"`

	// ovfProperties are the user-settable OVF properties, which vAppConfig
	// bootstrap may set.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=512
	OVFProperties []OVFProperty `json:"ovfProperties,omitempty"`

	// vmwareSystemProperties are the image's "vmware-system" properties (for
	// example those of a Kubernetes release image).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=512
	VMwareSystemProperties []KeyValuePair `json:"vmwareSystemProperties,omitempty"`

	// productInfo is the product section of the image.
	// +optional
	ProductInfo VirtualMachineImageProductInfo `json:"productInfo,omitempty,omitzero"`

	// disks are the image's disks.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Disks []VirtualMachineImageDiskInfo `json:"disks,omitempty"`

	// providerContentVersion is the content version of the provider item
	// this status was read from; a change means the content changed.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	ProviderContentVersion string `json:"providerContentVersion,omitempty"`

	// providerItemID is the identifier of the provider item (for a content
	// library item, its UUID).
	// +optional
	// +kubebuilder:validation:MaxLength=256
	ProviderItemID string `json:"providerItemID,omitempty"`

	// conditions are the image's observed conditions; Ready is true when the
	// image can be deployed.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// type is the content type of the image: "OVF" or "ISO" (or "VM" for an
	// image that is an existing VM).
	// +optional
	// +kubebuilder:validation:MaxLength=32
	Type string `json:"type,omitempty"`
}

// VirtualMachineImageOSInfo describes an image's guest operating system. Each
// field is also set as a label.
type VirtualMachineImageOSInfo struct {
	// id is the operating system's numeric CIM OS type, as a string (for
	// example "94" for 64-bit Ubuntu).
	// +optional
	// +kubebuilder:validation:MaxLength=128
	ID string `json:"id,omitempty"`

	// type is the operating system type, for example "ubuntu64Guest".
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Type string `json:"type,omitempty"`

	// version is the operating system version.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	Version string `json:"version,omitempty"`
}

// VirtualMachineImageProductInfo is an image's product section.
type VirtualMachineImageProductInfo struct {
	// product is the product's name.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Product string `json:"product,omitempty"`

	// vendor is who made the image.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Vendor string `json:"vendor,omitempty"`

	// version is the short version.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	Version string `json:"version,omitempty"`

	// fullVersion is the long version.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	FullVersion string `json:"fullVersion,omitempty"`
}

// VirtualMachineImageDiskInfo describes one disk of an image.
type VirtualMachineImageDiskInfo struct {
	// capacity is the disk's virtual size.
	// +optional
	Capacity *resource.Quantity `json:"capacity,omitempty"`

	// size is the disk's estimated populated size.
	// +optional
	Size *resource.Quantity `json:"size,omitempty"`
}

// OVFProperty is one user-settable OVF property of an image.
type OVFProperty struct {
	// key is the property's key.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Key string `json:"key"`

	// type is the property's OVF type, for example "string" or "boolean".
	// +required
	// +kubebuilder:validation:MaxLength=256
	Type string `json:"type"`

	// default is the property's default value.
	// +optional
	// +kubebuilder:validation:MaxLength=65536
	Default *string `json:"default,omitempty"`
}

// VirtualMachineImage is an image that VMs in its namespace can be deployed
// from. The image controller creates one per library item of each content
// library bound to the namespace.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=virtualmachineimages,scope=Namespaced,shortName=vmi;vmimage,categories=vmoperator
// +kubebuilder:printcolumn:name="Display Name",type="string",JSONPath=".status.name"
// +kubebuilder:printcolumn:name="Type",type="string",JSONPath=".status.type"
// +kubebuilder:printcolumn:name="Image Version",type="string",JSONPath=".status.productInfo.version"
// +kubebuilder:printcolumn:name="OS Name",type="string",JSONPath=".status.osInfo.type"
// +kubebuilder:printcolumn:name="OS Version",type="string",JSONPath=".status.osInfo.version"
// +kubebuilder:printcolumn:name="Hardware Version",type="string",JSONPath=".status.hardwareVersion"
// +kubebuilder:printcolumn:name="Capabilities",type="string",JSONPath=".status.capabilities"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type VirtualMachineImage struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec references the image's content.
	// +optional
	Spec VirtualMachineImageSpec `json:"spec,omitempty,omitzero"`

	// status describes the image's content.
	// +optional
	Status VirtualMachineImageStatus `json:"status,omitempty,omitzero"`
}

// GetConditions returns the image's conditions.
func (i *VirtualMachineImage) GetConditions() []metav1.Condition {
	return i.Status.Conditions
}

// SetConditions replaces the image's conditions.
func (i *VirtualMachineImage) SetConditions(conditions []metav1.Condition) {
	i.Status.Conditions = conditions
}

// VirtualMachineImageList is a list of VirtualMachineImages.
//
// +kubebuilder:object:root=true
type VirtualMachineImageList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the VirtualMachineImages.
	Items []VirtualMachineImage `json:"items"`
}
