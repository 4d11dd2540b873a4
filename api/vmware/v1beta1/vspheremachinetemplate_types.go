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

package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// VSphereMachineTemplateSpec is the desired state of a
// VSphereMachineTemplate.
type VSphereMachineTemplateSpec struct {
	// template is what VSphereMachines made from this template look like.
	// +required
	Template VSphereMachineTemplateResource `json:"template"`
}

// VSphereMachineTemplateResource is the part of a VSphereMachine a template
// sets.
type VSphereMachineTemplateResource struct {
	// spec is the VSphereMachine's spec.
	// +required
	Spec VSphereMachineSpec `json:"spec"`
}

// VSphereMachineTemplate is a template of VSphereMachines, for
// KubeadmControlPlanes, MachineDeployments and ClusterClasses.
//
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:path=vspheremachinetemplates,scope=Namespaced,categories=cluster-api
// +kubebuilder:metadata:labels={"cluster.x-k8s.io/v1beta1=v1beta1","cluster.x-k8s.io/v1beta2=v1beta1"}
// +kubebuilder:printcolumn:name="Class",type="string",JSONPath=".spec.template.spec.className",description="VirtualMachineClass"
// +kubebuilder:printcolumn:name="Image",type="string",JSONPath=".spec.template.spec.imageName",description="Image"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type VSphereMachineTemplate struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the template.
	// +optional
	Spec VSphereMachineTemplateSpec `json:"spec,omitempty,omitzero"`
}

// VSphereMachineTemplateList is a list of VSphereMachineTemplates.
//
// +kubebuilder:object:root=true
type VSphereMachineTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the VSphereMachineTemplates.
	Items []VSphereMachineTemplate `json:"items"`
}
