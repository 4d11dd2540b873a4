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

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Labels set on OSImages, and in the label sets that select them. Each holds
// the value of the OSImage field of the same name.
const (
	// LabelImageType holds spec.image.type, such as "ova" or "vmop".
	LabelImageType = "image-type"
	// LabelOSType holds spec.os.type, such as "linux".
	LabelOSType = "os-type"
	// LabelOSName holds spec.os.name, such as "ubuntu" or "photon".
	LabelOSName = "os-name"
	// LabelOSVersion holds spec.os.version, such as "2204".
	LabelOSVersion = "os-version"
	// LabelOSArch holds spec.os.arch, such as "amd64".
	LabelOSArch = "os-arch"
)

// OSInfo is the operating system of an OSImage.
type OSInfo struct {
	// type is the operating system family, such as "linux" or "windows".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Type string `json:"type,omitempty"`

	// name is the distribution, such as "ubuntu" or "photon".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name,omitempty"`

	// version is the distribution's version, such as "2204" or "5".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Version string `json:"version,omitempty"`

	// arch is the CPU architecture, such as "amd64" or "arm64".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Arch string `json:"arch,omitempty"`
}

// MachineImageInfo says where the image of an OSImage is.
type MachineImageInfo struct {
	// type is the kind of image, which tells which infrastructure can boot
	// it: "ova" and "vmop" on vSphere, "ami" on AWS, and so on.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Type string `json:"type,omitempty"`

	// ref identifies the image to its infrastructure; the keys depend on
	// the type (for "vmop", the name of the VirtualMachineImage). It is
	// copied into the infrastructure machines created from the image.
	// +required
	// +kubebuilder:validation:MinProperties=1
	// +kubebuilder:validation:MaxProperties=32
	Ref map[string]string `json:"ref,omitempty"`
}

// OSImageSpec describes a node image of a release.
type OSImageSpec struct {
	// kubernetesVersion is the version of the Kubernetes build installed in
	// the image, such as v1.36.3+vmware.1.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	KubernetesVersion string `json:"kubernetesVersion,omitempty"`

	// os is the operating system of the image.
	// +required
	OS OSInfo `json:"os,omitzero"`

	// image says where the image is.
	// +required
	Image MachineImageInfo `json:"image,omitzero"`
}

// OSImageStatus is the observed state of an OSImage.
type OSImageStatus struct {
	// conditions describe the image, such as whether it is Compatible with
	// this Supervisor.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// OSImage is a node image shipped with a TanzuKubernetesRelease: one
// operating system, version and architecture, with one Kubernetes build
// installed. OSImages are published by the Supervisor; users only read them.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=osimages,scope=Cluster,shortName=osimg,categories=tanzu
// +kubebuilder:printcolumn:name="K8S Version",type=string,JSONPath=`.spec.kubernetesVersion`
// +kubebuilder:printcolumn:name="OS Name",type=string,JSONPath=`.spec.os.name`
// +kubebuilder:printcolumn:name="OS Version",type=string,JSONPath=`.spec.os.version`
// +kubebuilder:printcolumn:name="Arch",type=string,JSONPath=`.spec.os.arch`
// +kubebuilder:printcolumn:name="Type",type=string,JSONPath=`.spec.image.type`
// +kubebuilder:printcolumn:name="Compatible",type=string,JSONPath=`.status.conditions[?(@.type=='Compatible')].status`
// +kubebuilder:printcolumn:name="Created",type=date,JSONPath=`.metadata.creationTimestamp`
type OSImage struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec describes the image.
	// +required
	Spec OSImageSpec `json:"spec,omitzero"`

	// status is the image's observed state.
	// +optional
	Status OSImageStatus `json:"status,omitzero"`
}

// OSImageList is a list of OSImages.
//
// +kubebuilder:object:root=true
type OSImageList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the list's metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the images.
	Items []OSImage `json:"items"`
}
