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

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// ClusterVirtualMachineImage is an image that VMs in every namespace can be
// deployed from. The image controller creates one per item of each cluster
// content library. It shares its spec and status with VirtualMachineImage.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=clustervirtualmachineimages,scope=Cluster,shortName=cvmi;cvmimage;clustervmi;clustervmimage,categories=vmoperator
// +kubebuilder:printcolumn:name="Display Name",type="string",JSONPath=".status.name"
// +kubebuilder:printcolumn:name="Type",type="string",JSONPath=".status.type"
// +kubebuilder:printcolumn:name="Image Version",type="string",JSONPath=".status.productInfo.version"
// +kubebuilder:printcolumn:name="OS Name",type="string",JSONPath=".status.osInfo.type"
// +kubebuilder:printcolumn:name="OS Version",type="string",JSONPath=".status.osInfo.version"
// +kubebuilder:printcolumn:name="Hardware Version",type="string",JSONPath=".status.hardwareVersion"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type ClusterVirtualMachineImage struct {
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
func (i *ClusterVirtualMachineImage) GetConditions() []metav1.Condition {
	return i.Status.Conditions
}

// SetConditions replaces the image's conditions.
func (i *ClusterVirtualMachineImage) SetConditions(conditions []metav1.Condition) {
	i.Status.Conditions = conditions
}

// ClusterVirtualMachineImageList is a list of ClusterVirtualMachineImages.
//
// +kubebuilder:object:root=true
type ClusterVirtualMachineImageList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the ClusterVirtualMachineImages.
	Items []ClusterVirtualMachineImage `json:"items"`
}
