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

// VSphereClusterSpec is the desired state of a VSphereCluster.
type VSphereClusterSpec struct {
	// controlPlaneEndpoint is the endpoint of the cluster's API. The
	// provider sets it from the address of the control-plane load balancer
	// when it is empty; Cluster API copies it to the Cluster.
	// +optional
	ControlPlaneEndpoint APIEndpoint `json:"controlPlaneEndpoint"`

	// failureDomains narrows the failure domains offered to the cluster.
	// +optional
	FailureDomains FailureDomainsSpec `json:"failureDomains,omitempty,omitzero"`
}

// FailureDomainsSpec narrows a cluster's failure domains.
type FailureDomainsSpec struct {
	// controlPlane narrows the failure domains of control-plane machines.
	// +optional
	ControlPlane FailureDomainsControlPlaneSpec `json:"controlPlane,omitempty,omitzero"`
}

// FailureDomainsControlPlaneSpec narrows the failure domains of
// control-plane machines.
type FailureDomainsControlPlaneSpec struct {
	// selector picks, by their labels, the zones control-plane machines may
	// be placed in. Every zone is offered to the cluster either way; when
	// the selector is set, only the zones it matches have controlPlane true.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
}

// VSphereClusterInitializationStatus reports the cluster infrastructure's
// initial provisioning (Cluster API v1beta2 contract).
// +kubebuilder:validation:MinProperties=1
type VSphereClusterInitializationStatus struct {
	// provisioned is true once the cluster's resource policy exists and its
	// control-plane endpoint is set. It stays true.
	// +optional
	Provisioned *bool `json:"provisioned,omitempty"`
}

// VSphereClusterStatus is the observed state of a VSphereCluster.
type VSphereClusterStatus struct {
	// ready is status.initialization.provisioned for clients of Cluster
	// API's v1beta1 contract.
	// +optional
	Ready bool `json:"ready,omitempty"`

	// initialization reports the initial provisioning.
	// +optional
	Initialization VSphereClusterInitializationStatus `json:"initialization,omitempty,omitzero"`

	// resourcePolicyName is the name of the cluster's
	// VirtualMachineSetResourcePolicy, once it exists.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ResourcePolicyName string `json:"resourcePolicyName,omitempty"`

	// failureDomains are the zones machines of the cluster may be placed in.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=100
	FailureDomains []FailureDomain `json:"failureDomains,omitempty"`

	// conditions are the cluster infrastructure's observed conditions; see
	// condition_consts.go.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// VSphereCluster is the infrastructure of one Cluster API cluster on the
// Supervisor: a resource policy for its VMs and a load-balanced
// control-plane endpoint.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=vsphereclusters,scope=Namespaced,categories=cluster-api
// +kubebuilder:metadata:labels={"cluster.x-k8s.io/v1beta1=v1beta1","cluster.x-k8s.io/v1beta2=v1beta1"}
// +kubebuilder:printcolumn:name="Ready",type="string",JSONPath=".status.conditions[?(@.type=='Ready')].status",description="Ready condition"
// +kubebuilder:printcolumn:name="Provisioned",type="boolean",JSONPath=".status.initialization.provisioned",description="Infrastructure provisioned"
// +kubebuilder:printcolumn:name="Endpoint",type="string",JSONPath=".spec.controlPlaneEndpoint.host",description="Control-plane endpoint"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type VSphereCluster struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the cluster infrastructure.
	// +optional
	Spec VSphereClusterSpec `json:"spec,omitempty,omitzero"`

	// status is the observed state of the cluster infrastructure.
	// +optional
	Status VSphereClusterStatus `json:"status,omitempty,omitzero"`
}

// GetConditions returns the VSphereCluster's conditions.
func (c *VSphereCluster) GetConditions() []metav1.Condition {
	return c.Status.Conditions
}

// SetConditions replaces the VSphereCluster's conditions.
func (c *VSphereCluster) SetConditions(conditions []metav1.Condition) {
	c.Status.Conditions = conditions
}

// VSphereClusterList is a list of VSphereClusters.
//
// +kubebuilder:object:root=true
type VSphereClusterList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the VSphereClusters.
	Items []VSphereCluster `json:"items"`
}
