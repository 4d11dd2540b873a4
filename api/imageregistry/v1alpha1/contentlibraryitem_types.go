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
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ContentLibraryItemType is the kind of content an item holds.
type ContentLibraryItemType string

const (
	// ContentLibraryItemTypeOvf is an OVF template (an OVF descriptor with
	// its disks, stored unpacked from an OVA).
	ContentLibraryItemTypeOvf ContentLibraryItemType = "OVF"
	// ContentLibraryItemTypeIso is an ISO image.
	ContentLibraryItemTypeIso ContentLibraryItemType = "ISO"
)

// CertVerificationStatus is the outcome of checking an item's signature.
type CertVerificationStatus string

const (
	// CertVerificationStatusNotAvailable: no verification result.
	CertVerificationStatusNotAvailable CertVerificationStatus = "NOT_AVAILABLE"
	// CertVerificationStatusVerified: the item's signature and manifest were
	// verified when it was imported or synchronised.
	CertVerificationStatusVerified CertVerificationStatus = "VERIFIED"
	// CertVerificationStatusInternal: the item was made inside the platform
	// (for example published from a VM) and carries no signature.
	CertVerificationStatusInternal CertVerificationStatus = "INTERNAL"
	// CertVerificationStatusVerificationFailure: the signature or manifest
	// did not verify.
	CertVerificationStatusVerificationFailure CertVerificationStatus = "VERIFICATION_FAILURE"
	// CertVerificationStatusVerificationInProgress: verification is running.
	CertVerificationStatusVerificationInProgress CertVerificationStatus = "VERIFICATION_IN_PROGRESS"
	// CertVerificationStatusUntrusted: the signing certificate is not
	// trusted.
	CertVerificationStatusUntrusted CertVerificationStatus = "UNTRUSTED"
)

// ContentLibraryItemSpec is the desired state of a ContentLibraryItem or
// ClusterContentLibraryItem. Items are made by the content library service;
// users do not edit them.
type ContentLibraryItemSpec struct {
	// uuid identifies the item in the content library service; it never
	// changes.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="uuid is immutable"
	UUID string `json:"uuid"`
}

// ContentLibraryItemStatus is the observed state of an item.
type ContentLibraryItemStatus struct {
	// name is the item's display name.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Name string `json:"name,omitempty"`

	// contentLibraryRef is the library the item belongs to.
	// +optional
	ContentLibraryRef *NameAndKindRef `json:"contentLibraryRef,omitempty"`

	// description is the item's description.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Description string `json:"description,omitempty"`

	// metadataVersion increases whenever the item's properties (name,
	// description) change.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	MetadataVersion string `json:"metadataVersion,omitempty"`

	// contentVersion increases whenever the item's files change.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	ContentVersion string `json:"contentVersion,omitempty"`

	// type is the kind of content the item holds.
	// +optional
	// +kubebuilder:validation:Enum=OVF;ISO
	Type ContentLibraryItemType `json:"type,omitempty"`

	// sourceID is the publisher's ID of the item, for an item of a
	// subscribed library.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	SourceID string `json:"sourceID,omitempty"`

	// sizeInBytes is the space the item's files take in storage.
	// +optional
	SizeInBytes resource.Quantity `json:"sizeInBytes,omitempty,omitzero"`

	// cached says whether all the item's files are in local storage (an
	// on-demand subscribed item is not cached until first used).
	// +optional
	// +kubebuilder:default=false
	Cached bool `json:"cached,omitempty"`

	// securityCompliance says whether the item meets its library's security
	// policy; unset when the library has none.
	// +optional
	SecurityCompliance *bool `json:"securityCompliance,omitempty"`

	// certificateVerificationInfo is the outcome of checking the item's
	// signature.
	// +optional
	CertificateVerificationInfo *CertificateVerificationInfo `json:"certificateVerificationInfo,omitempty"`

	// fileInfo lists the item's files.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	FileInfo []FileInfo `json:"fileInfo,omitempty"`

	// creationTime is when the item was created.
	// +optional
	CreationTime *metav1.Time `json:"creationTime,omitempty"`

	// lastModifiedTime is when the item's properties or files last changed.
	// +optional
	LastModifiedTime *metav1.Time `json:"lastModifiedTime,omitempty"`

	// lastSyncTime is when an item of a subscribed library was last
	// synchronised.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`

	// conditions are the item's observed conditions; Ready is True when the
	// item can be used. See condition_consts.go.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// CertificateVerificationInfo is the outcome of checking an item's signature.
type CertificateVerificationInfo struct {
	// status is the verification outcome.
	// +optional
	// +kubebuilder:validation:Enum=NOT_AVAILABLE;VERIFIED;INTERNAL;VERIFICATION_FAILURE;VERIFICATION_IN_PROGRESS;UNTRUSTED
	Status CertVerificationStatus `json:"status,omitempty"`

	// certChain is the signing certificate chain, each certificate
	// base64-encoded, when the item is signed.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=65536
	CertChain []string `json:"certChain,omitempty"`
}

// FileInfo is one file of an item.
type FileInfo struct {
	// name is the file's name within the item, for example "photon.ovf" or
	// "photon-disk1.vmdk".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=512
	Name string `json:"name"`

	// sizeInBytes is the file's size in storage.
	// +required
	SizeInBytes resource.Quantity `json:"sizeInBytes"`

	// version increases each time a new copy of the file is stored.
	// +required
	// +kubebuilder:validation:MaxLength=64
	Version string `json:"version"`

	// cached says whether the file is in local storage.
	// +required
	// +kubebuilder:default=false
	Cached bool `json:"cached"`

	// storageURI locates the file in the library's storage backing (for
	// example a datastore path), for devices backed by the file directly.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	StorageURI string `json:"storageURI,omitempty"`

	// sha256 is the lowercase hex SHA-256 digest of the file's content. For
	// a cached file it is the digest of the stored bytes; for a file not yet
	// downloaded it is the digest the publisher announced, which the
	// download is checked against. kubevisor extension.
	// +optional
	// +kubebuilder:validation:Pattern=`^[a-f0-9]{64}$`
	SHA256 string `json:"sha256,omitempty"`
}

// ContentLibraryItem is one item (an OVF template or ISO) of a
// ContentLibrary. The VM Service makes a VirtualMachineImage from it.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=contentlibraryitems,scope=Namespaced,shortName=libitem,categories=imageregistry
// +kubebuilder:printcolumn:name="vSphereName",type="string",JSONPath=".status.name"
// +kubebuilder:printcolumn:name="ContentLibraryRef",type="string",JSONPath=".status.contentLibraryRef.name"
// +kubebuilder:printcolumn:name="Type",type="string",JSONPath=".status.type"
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Cached",type="boolean",JSONPath=".status.cached"
// +kubebuilder:printcolumn:name="SizeInBytes",type="string",JSONPath=".status.sizeInBytes"
// +kubebuilder:printcolumn:name="SecurityCompliant",type="boolean",JSONPath=".status.securityCompliance"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type ContentLibraryItem struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec identifies the item.
	// +optional
	Spec ContentLibraryItemSpec `json:"spec,omitempty,omitzero"`

	// status describes the item.
	// +optional
	Status ContentLibraryItemStatus `json:"status,omitempty,omitzero"`
}

// GetConditions returns the item's conditions.
func (i *ContentLibraryItem) GetConditions() []metav1.Condition {
	return i.Status.Conditions
}

// SetConditions replaces the item's conditions.
func (i *ContentLibraryItem) SetConditions(conditions []metav1.Condition) {
	i.Status.Conditions = conditions
}

// ContentLibraryItemList is a list of ContentLibraryItems.
//
// +kubebuilder:object:root=true
type ContentLibraryItemList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the ContentLibraryItems.
	Items []ContentLibraryItem `json:"items"`
}
