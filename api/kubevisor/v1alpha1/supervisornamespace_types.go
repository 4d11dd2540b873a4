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

// SupervisorNamespaceSpec is what an administrator gives a vSphere Namespace.
type SupervisorNamespaceSpec struct {
	// permissions grant users and groups a role in the namespace.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	Permissions []Permission `json:"permissions,omitempty"`

	// limits cap the CPU, memory and storage that all workloads of the
	// namespace may use together. An omitted limit means no limit.
	// +optional
	Limits ResourceLimits `json:"limits,omitzero"`

	// storageClasses are the StoragePolicies whose StorageClasses the
	// namespace may use, each with an optional storage limit.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	StorageClasses []StorageClassAssignment `json:"storageClasses,omitempty"`

	// vmClasses are the names of the ClusterVirtualMachineClasses bound to
	// the namespace; each is copied into it as a VirtualMachineClass.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=256
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=253
	VMClasses []string `json:"vmClasses,omitempty"`

	// contentLibraries are the names of the ClusterContentLibraries whose
	// images the namespace may use.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MinLength=1
	// +kubebuilder:validation:items:MaxLength=253
	ContentLibraries []string `json:"contentLibraries,omitempty"`
}

// Permission grants one user or group a role in a namespace.
type Permission struct {
	// subject is the user or group granted the role.
	// +required
	Subject Subject `json:"subject,omitzero"`

	// role is what the subject may do: Owner, Edit or View.
	// +required
	Role Role `json:"role,omitempty"`
}

// Subject is a user or a group, of the Supervisor's single sign-on or of a
// trusted OIDC issuer.
type Subject struct {
	// kind is User or Group.
	// +required
	Kind SubjectKind `json:"kind,omitempty"`

	// name is the user or group name, as it appears in tokens (including
	// the prefix of an OIDC issuer, if any).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name,omitempty"`
}

// SubjectKind is the kind of a permission's subject.
// +kubebuilder:validation:Enum=User;Group
type SubjectKind string

// The kinds of subject.
const (
	// SubjectKindUser is a single user.
	SubjectKindUser SubjectKind = "User"
	// SubjectKindGroup is a group of users.
	SubjectKindGroup SubjectKind = "Group"
)

// Role is a level of access to a namespace, as in vSphere.
// +kubebuilder:validation:Enum=Owner;Edit;View
type Role string

// The roles.
const (
	// RoleOwner may do everything Edit may, and also grant permissions in
	// the namespace.
	RoleOwner Role = "Owner"
	// RoleEdit may create, change and delete the namespace's workloads,
	// clusters and VMs.
	RoleEdit Role = "Edit"
	// RoleView may only read the namespace's objects.
	RoleView Role = "View"
)

// ResourceLimits are caps on the resources of a namespace.
type ResourceLimits struct {
	// cpu caps the CPU, in cores, requested by the namespace's workloads.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!string(self).startsWith('-')",message="limits.cpu must not be negative"
	CPU *resource.Quantity `json:"cpu,omitempty"`

	// memory caps the memory requested by the namespace's workloads.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!string(self).startsWith('-')",message="limits.memory must not be negative"
	Memory *resource.Quantity `json:"memory,omitempty"`

	// storage caps the storage requested by the namespace's volume claims,
	// across all storage classes.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!string(self).startsWith('-')",message="limits.storage must not be negative"
	Storage *resource.Quantity `json:"storage,omitempty"`
}

// StorageClassAssignment gives a namespace the use of a StoragePolicy.
type StorageClassAssignment struct {
	// name is the name of the StoragePolicy, which is also the name of its
	// StorageClass.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name,omitempty"`

	// limit caps the storage the namespace's claims may request from this
	// class. When omitted, only the namespace's storage limit applies.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!string(self).startsWith('-')",message="storageClasses[].limit must not be negative"
	Limit *resource.Quantity `json:"limit,omitempty"`
}

// SupervisorNamespaceStatus is the observed state of a vSphere Namespace.
type SupervisorNamespaceStatus struct {
	// conditions describe the namespace; Ready is true once the Namespace,
	// its role bindings, quota, storage classes, VM classes and content
	// libraries are all in place.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// namespace is the name of the Kubernetes Namespace created for this
	// vSphere Namespace.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Namespace string `json:"namespace,omitempty"`

	// usage is what the namespace's workloads currently request.
	// +optional
	Usage ResourceUsage `json:"usage,omitzero"`
}

// ResourceUsage is the amount of resources a namespace uses.
type ResourceUsage struct {
	// cpu is the CPU, in cores, requested.
	// +optional
	CPU *resource.Quantity `json:"cpu,omitempty"`

	// memory is the memory requested.
	// +optional
	Memory *resource.Quantity `json:"memory,omitempty"`

	// storage is the storage requested by volume claims.
	// +optional
	Storage *resource.Quantity `json:"storage,omitempty"`
}

// SupervisorNamespace is the administrator's definition of a vSphere
// Namespace: a Kubernetes Namespace of the same name, plus who may use it,
// how much they may use, and which storage, VM classes and image libraries
// they get.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=supervisornamespaces,scope=Cluster,shortName=svns,categories=kubevisor
// +kubebuilder:printcolumn:name="Namespace",type=string,JSONPath=`.status.namespace`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=='Ready')].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name must be a DNS label of at most 63 characters: it names the namespace"
type SupervisorNamespace struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is what the administrator gives the namespace.
	// +optional
	Spec SupervisorNamespaceSpec `json:"spec,omitzero"`

	// status is the namespace as observed.
	// +optional
	Status SupervisorNamespaceStatus `json:"status,omitzero"`
}

// SupervisorNamespaceList is a list of SupervisorNamespaces.
//
// +kubebuilder:object:root=true
type SupervisorNamespaceList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the list's metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the namespaces.
	Items []SupervisorNamespace `json:"items"`
}
