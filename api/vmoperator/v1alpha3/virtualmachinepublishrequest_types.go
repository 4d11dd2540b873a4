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

// VirtualMachinePublishRequestSpec is the desired state of a
// VirtualMachinePublishRequest. Every field is optional: an empty spec
// publishes the VM named like the request to the namespace's default
// publication target.
type VirtualMachinePublishRequestSpec struct {
	// source is what to publish; the VM named like the request when omitted.
	// +optional
	Source VirtualMachinePublishRequestSource `json:"source,omitempty,omitzero"`

	// target is where to publish it and under which item name; the item is
	// named "<source name>-image" and stored in the namespace's default
	// publication target when omitted.
	// +optional
	Target VirtualMachinePublishRequestTarget `json:"target,omitempty,omitzero"`

	// ttlSecondsAfterFinished deletes the request this many seconds after it
	// completes, successfully or not; the request is kept when omitted.
	// +optional
	// +kubebuilder:validation:Minimum=0
	TTLSecondsAfterFinished *int64 `json:"ttlSecondsAfterFinished,omitempty"`
}

// VirtualMachinePublishRequestSource is the object to publish.
type VirtualMachinePublishRequestSource struct {
	// name is the name of the object to publish; the request's name when
	// omitted.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`

	// apiVersion is the object's API version. kubevisor compares only the
	// group, so the historical default (v1alpha1) means a VirtualMachine of
	// any served version.
	// +optional
	// +kubebuilder:default="vmoperator.vmware.com/v1alpha1"
	// +kubebuilder:validation:MaxLength=317
	APIVersion string `json:"apiVersion,omitempty"`

	// kind is the object's kind.
	// +optional
	// +kubebuilder:default=VirtualMachine
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind,omitempty"`
}

// VirtualMachinePublishRequestTarget is where to publish.
type VirtualMachinePublishRequestTarget struct {
	// item is the library item to create.
	// +optional
	Item VirtualMachinePublishRequestTargetItem `json:"item,omitempty,omitzero"`

	// location is the library to create it in.
	// +optional
	Location VirtualMachinePublishRequestTargetLocation `json:"location,omitempty,omitzero"`
}

// VirtualMachinePublishRequestTargetItem is the library item to create.
type VirtualMachinePublishRequestTargetItem struct {
	// name is the item's name; "<source name>-image" when omitted. No item
	// of that name may exist in the target library yet.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`

	// description is the item's description.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	Description string `json:"description,omitempty"`
}

// VirtualMachinePublishRequestTargetLocation is the library to publish to.
type VirtualMachinePublishRequestTargetLocation struct {
	// name is the name of the library object. When omitted, the namespace's
	// default target is used: the object of this apiVersion and kind that
	// carries the label "imageregistry.vmware.com/default".
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`

	// apiVersion is the library object's API version.
	// +optional
	// +kubebuilder:default="imageregistry.vmware.com/v1alpha1"
	// +kubebuilder:validation:MaxLength=317
	APIVersion string `json:"apiVersion,omitempty"`

	// kind is the library object's kind.
	// +optional
	// +kubebuilder:default=ContentLibrary
	// +kubebuilder:validation:MaxLength=63
	Kind string `json:"kind,omitempty"`
}

// VirtualMachinePublishRequestStatus is the observed state of a
// VirtualMachinePublishRequest.
type VirtualMachinePublishRequestStatus struct {
	// sourceRef is the source as resolved from spec.source.
	// +optional
	SourceRef *VirtualMachinePublishRequestSource `json:"sourceRef,omitempty"`

	// targetRef is the target as resolved from spec.target.
	// +optional
	TargetRef *VirtualMachinePublishRequestTarget `json:"targetRef,omitempty"`

	// completionTime is when the request completed; it equals the last
	// transition time of the Complete condition.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`

	// startTime is when the controller first acted on the request.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`

	// attempts counts the publish attempts made.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Attempts int64 `json:"attempts,omitempty"`

	// lastAttemptTime is when the latest attempt started.
	// +optional
	LastAttemptTime *metav1.Time `json:"lastAttemptTime,omitempty"`

	// imageName is the name of the VirtualMachineImage made from the
	// published item, once it exists.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ImageName string `json:"imageName,omitempty"`

	// ready is true once the VM has been published and the image is
	// available, that is when Complete and every other condition are true.
	// +optional
	Ready bool `json:"ready,omitempty"`

	// conditions are the request's observed conditions: SourceValid,
	// TargetValid, Uploaded, ImageAvailable and Complete.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// VirtualMachinePublishRequest publishes a VirtualMachine as a library item,
// from which a new VirtualMachineImage appears.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=virtualmachinepublishrequests,scope=Namespaced,shortName=vmpub,categories=vmoperator
// +kubebuilder:printcolumn:name="Source",type="string",JSONPath=".status.sourceRef.name",description="Published VM"
// +kubebuilder:printcolumn:name="Image",type="string",JSONPath=".status.imageName",description="Resulting VirtualMachineImage"
// +kubebuilder:printcolumn:name="Ready",type="boolean",JSONPath=".status.ready"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type VirtualMachinePublishRequest struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is what to publish and where.
	// +optional
	Spec VirtualMachinePublishRequestSpec `json:"spec,omitempty,omitzero"`

	// status is the progress of the request.
	// +optional
	Status VirtualMachinePublishRequestStatus `json:"status,omitempty,omitzero"`
}

// GetConditions returns the request's conditions.
func (r *VirtualMachinePublishRequest) GetConditions() []metav1.Condition {
	return r.Status.Conditions
}

// SetConditions replaces the request's conditions.
func (r *VirtualMachinePublishRequest) SetConditions(conditions []metav1.Condition) {
	r.Status.Conditions = conditions
}

// VirtualMachinePublishRequestList is a list of VirtualMachinePublishRequests.
//
// +kubebuilder:object:root=true
type VirtualMachinePublishRequestList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the VirtualMachinePublishRequests.
	Items []VirtualMachinePublishRequest `json:"items"`
}
