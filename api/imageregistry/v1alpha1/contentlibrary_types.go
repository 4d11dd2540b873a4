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

// ContentLibraryType says whether a library holds its own items or mirrors
// another library.
type ContentLibraryType string

const (
	// ContentLibraryTypeLocal is a library whose items are stored in it.
	ContentLibraryTypeLocal ContentLibraryType = "Local"
	// ContentLibraryTypeSubscribed is a library that mirrors a published one.
	ContentLibraryTypeSubscribed ContentLibraryType = "Subscribed"
)

// StorageBackingType is the kind of storage a library keeps content on.
type StorageBackingType string

const (
	// StorageBackingTypeDatastore is a datastore (on kubevisor's local
	// provider, a directory on the Supervisor).
	StorageBackingTypeDatastore StorageBackingType = "Datastore"
	// StorageBackingTypeOther is a remote file system (NFS or SMB).
	StorageBackingTypeOther StorageBackingType = "Other"
)

// State is a library's operational state.
type State string

const (
	// StateActive is a library in normal use.
	StateActive State = "Active"
	// StateInMaintenance is a library being moved or repaired; its items
	// cannot be used meanwhile.
	StateInMaintenance State = "InMaintenance"
)

// ResourceNamingStrategy decides how item objects of a library are named.
type ResourceNamingStrategy string

const (
	// ResourceNamingStrategyFromItemID names item objects after the item's
	// own ID.
	ResourceNamingStrategyFromItemID ResourceNamingStrategy = "FROM_ITEM_ID"
	// ResourceNamingStrategyPreferItemSourceID names item objects after the
	// publisher's item ID when the library is subscribed, so that the same
	// item has the same name in every subscriber.
	ResourceNamingStrategyPreferItemSourceID ResourceNamingStrategy = "PREFER_ITEM_SOURCE_ID"
)

// BaseContentLibrarySpec holds the spec fields shared by ContentLibrary and
// ClusterContentLibrary.
type BaseContentLibrarySpec struct {
	// uuid identifies the library in the content library service; it never
	// changes.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="uuid is immutable"
	UUID string `json:"uuid"`

	// resourceNamingStrategy decides how this library's item objects are
	// named.
	// +optional
	// +kubebuilder:default=FROM_ITEM_ID
	// +kubebuilder:validation:Enum=FROM_ITEM_ID;PREFER_ITEM_SOURCE_ID
	ResourceNamingStrategy ResourceNamingStrategy `json:"resourceNamingStrategy,omitempty"`

	// subscription makes the library mirror a library published elsewhere.
	// kubevisor extension: in the public API a library's subscription is
	// configured in vCenter and only reported in status.subscriptionInfo.
	// +optional
	Subscription *ContentLibrarySubscription `json:"subscription,omitempty"`

	// publication publishes the library so that other Supervisors (or
	// vCenters) can subscribe to it. kubevisor extension: in the public API
	// publication is configured in vCenter and only reported in
	// status.publishInfo.
	// +optional
	Publication *ContentLibraryPublication `json:"publication,omitempty"`
}

// ContentLibrarySubscription says where a subscribed library's content comes
// from and when it is downloaded. kubevisor extension.
type ContentLibrarySubscription struct {
	// url is the https URL at which the publisher serves the library and
	// its item list (for a vCenter or kubevisor publisher, the library's
	// lib.json): the URL a publisher reports in status.publishInfo.URL.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getScheme() == 'https'",message="url must be an https URL"
	URL string `json:"url"`

	// onDemand downloads an item's files only when the item is first used
	// (an image deployed from it); otherwise every item is downloaded as soon
	// as it appears. Item metadata is always mirrored at once.
	// +optional
	OnDemand bool `json:"onDemand,omitempty"`

	// pollInterval is how often the publisher is checked for changes.
	// +optional
	// +kubebuilder:default="1h"
	// +kubebuilder:validation:XValidation:rule="duration(self) >= duration('1m')",message="pollInterval must be at least one minute"
	PollInterval *metav1.Duration `json:"pollInterval,omitempty"`

	// caBundle is PEM-encoded CA certificates that the publisher's server
	// certificate is checked against, in place of the system roots.
	// +optional
	// +kubebuilder:validation:MaxLength=262144
	CABundle []byte `json:"caBundle,omitempty"`
}

// ContentLibraryPublication says whether a library is published. kubevisor
// extension.
type ContentLibraryPublication struct {
	// enabled publishes the library; its URL appears in
	// status.publishInfo.URL.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
}

// ContentLibrarySpec is the desired state of a ContentLibrary.
//
// +kubebuilder:validation:XValidation:rule="!has(self.subscription) || !has(self.writable) || !self.writable",message="a subscribed library cannot be writable"
// +kubebuilder:validation:XValidation:rule="!has(self.subscription) || !has(self.publication) || !self.publication.enabled",message="a subscribed library cannot be published"
type ContentLibrarySpec struct {
	BaseContentLibrarySpec `json:",inline"`

	// writable lets users of the namespace create items in the library, for
	// example with a VirtualMachinePublishRequest.
	// +required
	Writable bool `json:"writable"`

	// allowImport lets users of the namespace import OVF/OVA templates into
	// the library from https URLs.
	// +optional
	// +kubebuilder:default=false
	AllowImport bool `json:"allowImport,omitempty"`
}

// StorageBacking is where a library stores its content.
type StorageBacking struct {
	// type is the kind of storage.
	// +required
	// +kubebuilder:validation:Enum=Datastore;Other
	Type StorageBackingType `json:"type"`

	// datastoreID identifies the datastore, when type is Datastore.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	DatastoreID string `json:"datastoreID,omitempty"`
}

// PublishInfo reports how a library is published.
type PublishInfo struct {
	// published says whether the library is published.
	// +required
	Published bool `json:"published"`

	// URL is where the library's description is published; subscribers put
	// it in their subscription URL.
	// +required
	// +kubebuilder:validation:MaxLength=2048
	URL string `json:"URL"`
}

// SubscriptionInfo reports how a subscribed library mirrors its publisher.
type SubscriptionInfo struct {
	// URL is the publisher's library description URL.
	// +required
	// +kubebuilder:validation:MaxLength=2048
	URL string `json:"URL"`

	// onDemand says whether item files are downloaded only when used.
	// +required
	OnDemand bool `json:"onDemand"`

	// automaticSync says whether the library is synchronised periodically.
	// +required
	AutomaticSync bool `json:"automaticSync"`
}

// ContentLibraryStatus is the observed state of a ContentLibrary or
// ClusterContentLibrary.
type ContentLibraryStatus struct {
	// name is the library's display name.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	Name string `json:"name,omitempty"`

	// description is the library's description.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	Description string `json:"description,omitempty"`

	// type says whether the library is Local or Subscribed.
	// +optional
	// +kubebuilder:validation:Enum=Local;Subscribed
	Type ContentLibraryType `json:"type,omitempty"`

	// storageBacking is where the library keeps its content.
	// +optional
	StorageBacking *StorageBacking `json:"storageBacking,omitempty"`

	// version increases whenever the library's metadata changes.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Version string `json:"version,omitempty"`

	// publishInfo reports how the library is published.
	// +optional
	PublishInfo *PublishInfo `json:"publishInfo,omitempty"`

	// subscriptionInfo reports the subscription of a Subscribed library.
	// +optional
	SubscriptionInfo *SubscriptionInfo `json:"subscriptionInfo,omitempty"`

	// securityPolicyID is the security policy applied to the library's
	// items; empty when there is none.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	SecurityPolicyID string `json:"securityPolicyID,omitempty"`

	// state is the library's operational state.
	// +optional
	// +kubebuilder:validation:Enum=Active;InMaintenance
	State State `json:"state,omitempty"`

	// serverGUID identifies the server that holds the library.
	// +optional
	// +kubebuilder:validation:MaxLength=256
	ServerGUID string `json:"serverGUID,omitempty"`

	// creationTime is when the library was created.
	// +optional
	CreationTime *metav1.Time `json:"creationTime,omitempty"`

	// lastModifiedTime is when the library's own properties last changed
	// (not its items).
	// +optional
	LastModifiedTime *metav1.Time `json:"lastModifiedTime,omitempty"`

	// lastSyncTime is when a Subscribed library last synchronised.
	// +optional
	LastSyncTime *metav1.Time `json:"lastSyncTime,omitempty"`

	// conditions are the library's observed conditions; see
	// condition_consts.go.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ContentLibrary is a library of VM images (OVF templates and ISOs) that one
// namespace may use. Its items appear as ContentLibraryItems and, in the VM
// Service, as VirtualMachineImages.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=contentlibraries,scope=Namespaced,shortName=lib;library,categories=imageregistry
// +kubebuilder:printcolumn:name="vSphereName",type="string",JSONPath=".status.name"
// +kubebuilder:printcolumn:name="Type",type="string",JSONPath=".status.type"
// +kubebuilder:printcolumn:name="Writable",type="boolean",JSONPath=".spec.writable"
// +kubebuilder:printcolumn:name="AllowImport",type="boolean",JSONPath=".spec.allowImport"
// +kubebuilder:printcolumn:name="StorageType",type="string",JSONPath=".status.storageBacking.type"
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type ContentLibrary struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the library's configuration.
	// +optional
	Spec ContentLibrarySpec `json:"spec,omitempty,omitzero"`

	// status is the library's observed state.
	// +optional
	Status ContentLibraryStatus `json:"status,omitempty,omitzero"`
}

// GetConditions returns the library's conditions.
func (l *ContentLibrary) GetConditions() []metav1.Condition {
	return l.Status.Conditions
}

// SetConditions replaces the library's conditions.
func (l *ContentLibrary) SetConditions(conditions []metav1.Condition) {
	l.Status.Conditions = conditions
}

// ContentLibraryList is a list of ContentLibraries.
//
// +kubebuilder:object:root=true
type ContentLibraryList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the ContentLibraries.
	Items []ContentLibrary `json:"items"`
}
