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
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Labels set on TanzuKubernetesReleases, and on the objects that use them.
const (
	// LabelIncompatible marks a release that this Supervisor cannot run.
	LabelIncompatible = "incompatible"

	// LabelDeactivated marks a release an administrator has withdrawn: new
	// clusters cannot choose it.
	LabelDeactivated = "deactivated"

	// LabelInvalid marks a release whose definition is broken, for example
	// one that points at OSImages that do not exist.
	LabelInvalid = "invalid"

	// LabelLegacyTKR marks a release in the format that predates
	// ClusterClass: it lists no bootstrap packages, and so needs no
	// ClusterBootstrapTemplate to be valid.
	LabelLegacyTKR = "run.tanzu.vmware.com/legacy-tkr"

	// LabelTKR is set on a Cluster, or one of its machine groups, to the name
	// of the TanzuKubernetesRelease it was resolved to.
	LabelTKR = "run.tanzu.vmware.com/tkr"

	// LabelOSImage is set on a Cluster's machine groups to the name of the
	// OSImage they were resolved to.
	LabelOSImage = "run.tanzu.vmware.com/os-image"
)

// Annotations that ask for a release or an image to be resolved.
const (
	// AnnotationResolveTKR holds a label selector for
	// TanzuKubernetesReleases. On a ClusterClass or Cluster it asks that the
	// cluster's version be resolved to the newest matching release; an empty
	// selector matches any release.
	AnnotationResolveTKR = "run.tanzu.vmware.com/resolve-tkr"

	// AnnotationResolveOSImage holds a label selector for OSImages, such as
	// "os-name=ubuntu". On a control plane or machine deployment (or their
	// ClusterClass definitions) it chooses the node image among those of the
	// resolved release.
	AnnotationResolveOSImage = "run.tanzu.vmware.com/resolve-os-image"
)

// TanzuKubernetesReleaseSpec is what a release ships.
type TanzuKubernetesReleaseSpec struct {
	// version is the release's full semantic version, such as
	// v1.36.3+vmware.1-tkg.1. No two releases share a version.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Version string `json:"version,omitempty"`

	// kubernetes is the Kubernetes build the release ships and the images of
	// its components.
	// +required
	Kubernetes KubernetesSpec `json:"kubernetes,omitzero"`

	// osImages are the OSImages that ship this release, one per operating
	// system, version and architecture.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	OSImages []corev1.LocalObjectReference `json:"osImages,omitempty"`

	// bootstrapPackages are the packages installed in every cluster of the
	// release while it bootstraps, such as its CNI, CSI and cloud provider.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	BootstrapPackages []corev1.LocalObjectReference `json:"bootstrapPackages,omitempty"`
}

// KubernetesSpec describes the Kubernetes build of a release.
type KubernetesSpec struct {
	// version is the semantic version of the Kubernetes build, such as
	// v1.36.3+vmware.1. Several releases may ship the same build.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Version string `json:"version,omitempty"`

	// imageRepository is the registry repository the control plane images
	// are pulled from (or preloaded under).
	// +optional
	// +kubebuilder:validation:MaxLength=512
	ImageRepository string `json:"imageRepository,omitempty"`

	// etcd is the etcd image.
	// +optional
	Etcd *ContainerImageInfo `json:"etcd,omitempty"`

	// pause is the pod sandbox (pause) image.
	// +optional
	Pause *ContainerImageInfo `json:"pause,omitempty"`

	// coredns is the CoreDNS image.
	// +optional
	CoreDNS *ContainerImageInfo `json:"coredns,omitempty"`

	// kube-vip is the kube-vip image.
	// +optional
	KubeVIP *ContainerImageInfo `json:"kube-vip,omitempty"`
}

// ContainerImageInfo is the image of a component that does not come out of
// the Kubernetes release process itself.
type ContainerImageInfo struct {
	// imageRepository is the repository of the image. Defaults to the
	// release's kubernetes.imageRepository.
	// +optional
	// +kubebuilder:validation:MaxLength=512
	ImageRepository string `json:"imageRepository,omitempty"`

	// imageTag is the tag of the image.
	// +optional
	// +kubebuilder:validation:MaxLength=128
	ImageTag string `json:"imageTag,omitempty"`
}

// TanzuKubernetesReleaseStatus is the observed state of a release.
type TanzuKubernetesReleaseStatus struct {
	// conditions describe the release: Ready, Compatible, Valid and
	// UpdatesAvailable.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// TanzuKubernetesRelease is a Kubernetes version that clusters can be
// created with or upgraded to: the Kubernetes build, its component images
// and the OSImages its nodes boot from. Releases are published by the
// Supervisor from its content libraries; users only read them.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=tanzukubernetesreleases,scope=Cluster,shortName=tkr,categories=tanzu
// +kubebuilder:printcolumn:name="Version",type=string,JSONPath=`.spec.version`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=='Ready')].status`
// +kubebuilder:printcolumn:name="Compatible",type=string,JSONPath=`.status.conditions[?(@.type=='Compatible')].status`
// +kubebuilder:printcolumn:name="Created",type=date,JSONPath=`.metadata.creationTimestamp`
type TanzuKubernetesRelease struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is what the release ships.
	// +required
	Spec TanzuKubernetesReleaseSpec `json:"spec,omitzero"`

	// status is the release's observed state.
	// +optional
	Status TanzuKubernetesReleaseStatus `json:"status,omitzero"`
}

// TanzuKubernetesReleaseList is a list of TanzuKubernetesReleases.
//
// +kubebuilder:object:root=true
type TanzuKubernetesReleaseList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the list's metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the releases.
	Items []TanzuKubernetesRelease `json:"items"`
}
