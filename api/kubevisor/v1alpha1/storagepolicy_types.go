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

package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// StorageProvider is where the volumes of a StoragePolicy are kept.
// +kubebuilder:validation:Enum=local-directory;image-file;vsphere
type StorageProvider string

// The storage providers.
const (
	// StorageProviderLocalDirectory keeps each volume as a directory on the
	// Supervisor's host, bind-mounted into the VMs that use it.
	StorageProviderLocalDirectory StorageProvider = "local-directory"
	// StorageProviderImageFile keeps each volume as a disk image file on the
	// Supervisor's host, attached to the VMs that use it as a block device.
	StorageProviderImageFile StorageProvider = "image-file"
	// StorageProviderVSphere keeps each volume as a vSphere disk (a First
	// Class Disk) placed by a vCenter storage policy.
	StorageProviderVSphere StorageProvider = "vsphere"
)

// StoragePolicySpec describes a kind of storage.
type StoragePolicySpec struct {
	// description tells users what the storage is for.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// provider is where volumes of this policy are kept.
	// +required
	Provider StorageProvider `json:"provider,omitempty"`

	// parameters are settings of the provider, such as the base directory
	// of local-directory or the vCenter storage policy of vsphere. They are
	// copied into the parameters of the StorageClass.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Parameters map[string]string `json:"parameters,omitempty"`
}

// StoragePolicyStatus is the observed state of a storage policy.
type StoragePolicyStatus struct {
	// conditions describe the policy; Ready is true once its StorageClass
	// exists and its provider can create volumes.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// StoragePolicy is the administrator's definition of a kind of storage, as a
// vCenter storage policy is in vSphere. Each StoragePolicy becomes a
// StorageClass of the same name, which SupervisorNamespaces are given.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=storagepolicies,scope=Cluster,shortName=sp,categories=kubevisor
// +kubebuilder:printcolumn:name="Provider",type=string,JSONPath=`.spec.provider`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=='Ready')].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type StoragePolicy struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec describes the storage.
	// +required
	Spec StoragePolicySpec `json:"spec,omitzero"`

	// status is the policy as observed.
	// +optional
	Status StoragePolicyStatus `json:"status,omitzero"`
}

// StoragePolicyList is a list of StoragePolicies.
//
// +kubebuilder:object:root=true
type StoragePolicyList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the list's metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the policies.
	Items []StoragePolicy `json:"items"`
}
