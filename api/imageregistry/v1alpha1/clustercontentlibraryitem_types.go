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

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// ClusterContentLibraryItem is one item of a ClusterContentLibrary. The VM
// Service makes a ClusterVirtualMachineImage from it. It shares its spec and
// status with ContentLibraryItem.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=clustercontentlibraryitems,scope=Cluster,shortName=clibitem,categories=imageregistry
// +kubebuilder:printcolumn:name="vSphereName",type="string",JSONPath=".status.name"
// +kubebuilder:printcolumn:name="ClusterContentLibraryRef",type="string",JSONPath=".status.contentLibraryRef.name"
// +kubebuilder:printcolumn:name="Type",type="string",JSONPath=".status.type"
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Cached",type="boolean",JSONPath=".status.cached"
// +kubebuilder:printcolumn:name="SizeInBytes",type="string",JSONPath=".status.sizeInBytes"
// +kubebuilder:printcolumn:name="SecurityCompliant",type="boolean",JSONPath=".status.securityCompliance"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type ClusterContentLibraryItem struct {
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
func (i *ClusterContentLibraryItem) GetConditions() []metav1.Condition {
	return i.Status.Conditions
}

// SetConditions replaces the item's conditions.
func (i *ClusterContentLibraryItem) SetConditions(conditions []metav1.Condition) {
	i.Status.Conditions = conditions
}

// ClusterContentLibraryItemList is a list of ClusterContentLibraryItems.
//
// +kubebuilder:object:root=true
type ClusterContentLibraryItemList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the ClusterContentLibraryItems.
	Items []ClusterContentLibraryItem `json:"items"`
}
