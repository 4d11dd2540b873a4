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

// VSphereClusterTemplateSpec is the desired state of a
// VSphereClusterTemplate.
type VSphereClusterTemplateSpec struct {
	// template is what VSphereClusters made from this template look like.
	// +required
	Template VSphereClusterTemplateResource `json:"template"`
}

// VSphereClusterTemplateResource is the part of a VSphereCluster a template
// sets.
type VSphereClusterTemplateResource struct {
	// spec is the VSphereCluster's spec.
	// +required
	Spec VSphereClusterSpec `json:"spec"`
}

// VSphereClusterTemplate is a template of VSphereClusters, for ClusterClasses.
//
// +kubebuilder:object:root=true
// +kubebuilder:storageversion
// +kubebuilder:resource:path=vsphereclustertemplates,scope=Namespaced,categories=cluster-api
// +kubebuilder:metadata:labels={"cluster.x-k8s.io/v1beta1=v1beta1","cluster.x-k8s.io/v1beta2=v1beta1"}
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type VSphereClusterTemplate struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the template.
	// +optional
	Spec VSphereClusterTemplateSpec `json:"spec,omitempty,omitzero"`
}

// VSphereClusterTemplateList is a list of VSphereClusterTemplates.
//
// +kubebuilder:object:root=true
type VSphereClusterTemplateList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the VSphereClusterTemplates.
	Items []VSphereClusterTemplate `json:"items"`
}
