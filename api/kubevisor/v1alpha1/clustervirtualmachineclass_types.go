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

// ClusterVirtualMachineClassSpec is the virtual hardware of a VM class and
// how much of it is reserved or capped. It has the shape of the spec of a
// vmoperator.vmware.com VirtualMachineClass, into which it is copied.
type ClusterVirtualMachineClassSpec struct {
	// description tells users what the class is for.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// hardware is the virtual CPUs and memory of each VM of the class.
	// +required
	Hardware VirtualMachineClassHardware `json:"hardware,omitzero"`

	// policies reserve or cap the CPU and memory of each VM of the class.
	// +optional
	Policies VirtualMachineClassPolicies `json:"policies,omitzero"`
}

// VirtualMachineClassHardware is the virtual hardware of a VM.
type VirtualMachineClassHardware struct {
	// cpus is the number of virtual CPUs.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=768
	CPUs int64 `json:"cpus,omitempty"`

	// memory is the amount of memory, such as 8Gi.
	// +required
	// +kubebuilder:validation:XValidation:rule="!isQuantity(string(self)) || quantity(string(self)).isGreaterThan(quantity('0'))",message="hardware.memory must be positive"
	Memory resource.Quantity `json:"memory,omitzero"`
}

// VirtualMachineClassPolicies are the resource policies of a VM class.
type VirtualMachineClassPolicies struct {
	// resources are the reservations and caps of the class.
	// +optional
	Resources VirtualMachineClassResources `json:"resources,omitzero"`
}

// VirtualMachineClassResources are the reservations (requests) and caps
// (limits) of each VM of a class. A class whose requests equal its hardware
// is "guaranteed"; one without requests is "best effort".
type VirtualMachineClassResources struct {
	// requests are the CPU and memory reserved for each VM.
	// +optional
	Requests VirtualMachineResourceSpec `json:"requests,omitzero"`

	// limits cap the CPU and memory each VM may use.
	// +optional
	Limits VirtualMachineResourceSpec `json:"limits,omitzero"`
}

// VirtualMachineResourceSpec is an amount of CPU and memory.
type VirtualMachineResourceSpec struct {
	// cpu is an amount of CPU in cores, such as 2 or 500m. The VM provider
	// turns it into MHz with the host's clock rate.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!string(self).startsWith('-')",message="cpu must not be negative"
	CPU *resource.Quantity `json:"cpu,omitempty"`

	// memory is an amount of memory, such as 8Gi.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!string(self).startsWith('-')",message="memory must not be negative"
	Memory *resource.Quantity `json:"memory,omitempty"`
}

// ClusterVirtualMachineClassStatus is the observed state of a VM class.
type ClusterVirtualMachineClassStatus struct {
	// conditions describe the class; Ready is true once it has been copied
	// into every namespace it is bound to.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// ClusterVirtualMachineClass is the administrator's definition of a VM
// class: the CPUs and memory of a VM and their reservations. Binding it to a
// SupervisorNamespace copies it into that namespace as a
// vmoperator.vmware.com VirtualMachineClass of the same name.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=clustervirtualmachineclasses,scope=Cluster,shortName=cvmclass,categories=kubevisor
// +kubebuilder:printcolumn:name="CPU",type=integer,JSONPath=`.spec.hardware.cpus`
// +kubebuilder:printcolumn:name="Memory",type=string,JSONPath=`.spec.hardware.memory`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=='Ready')].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type ClusterVirtualMachineClass struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the class's hardware and policies.
	// +required
	Spec ClusterVirtualMachineClassSpec `json:"spec,omitzero"`

	// status is the class as observed.
	// +optional
	Status ClusterVirtualMachineClassStatus `json:"status,omitzero"`
}

// ClusterVirtualMachineClassList is a list of ClusterVirtualMachineClasses.
//
// +kubebuilder:object:root=true
type ClusterVirtualMachineClassList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the list's metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the classes.
	Items []ClusterVirtualMachineClass `json:"items"`
}
