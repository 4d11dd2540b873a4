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

// ClusterContentLibrarySpec is the desired state of a ClusterContentLibrary.
//
// +kubebuilder:validation:XValidation:rule="!has(self.subscription) || !has(self.publication) || !self.publication.enabled",message="a subscribed library cannot be published"
type ClusterContentLibrarySpec struct {
	BaseContentLibrarySpec `json:",inline"`
}

// ClusterContentLibrary is a library of VM images that every namespace may
// use, such as the library of Kubernetes releases. Its items appear as
// ClusterContentLibraryItems and, in the VM Service, as
// ClusterVirtualMachineImages. It shares its status with ContentLibrary.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=clustercontentlibraries,scope=Cluster,shortName=clib;clibrary,categories=imageregistry
// +kubebuilder:printcolumn:name="vSphereName",type="string",JSONPath=".status.name"
// +kubebuilder:printcolumn:name="Type",type="string",JSONPath=".status.type"
// +kubebuilder:printcolumn:name="StorageType",type="string",JSONPath=".status.storageBacking.type"
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type ClusterContentLibrary struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the library's configuration.
	// +optional
	Spec ClusterContentLibrarySpec `json:"spec,omitempty,omitzero"`

	// status is the library's observed state.
	// +optional
	Status ContentLibraryStatus `json:"status,omitempty,omitzero"`
}

// GetConditions returns the library's conditions.
func (l *ClusterContentLibrary) GetConditions() []metav1.Condition {
	return l.Status.Conditions
}

// SetConditions replaces the library's conditions.
func (l *ClusterContentLibrary) SetConditions(conditions []metav1.Condition) {
	l.Status.Conditions = conditions
}

// ClusterContentLibraryList is a list of ClusterContentLibraries.
//
// +kubebuilder:object:root=true
type ClusterContentLibraryList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the ClusterContentLibraries.
	Items []ClusterContentLibrary `json:"items"`
}
