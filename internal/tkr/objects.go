package tkr

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
)

// ImageTypeOVA is an OSImage's spec.image.type for an OVA image; its ref
// holds the name of the content library item (and so of the
// VirtualMachineImage made from it) under the key "name".
const ImageTypeOVA = "ova"

// TanzuKubernetesRelease is the release's TKR object, without status: the
// Supervisor sets its conditions when it publishes it.
func (r Release) TanzuKubernetesRelease() *runv1.TanzuKubernetesRelease {
	return &runv1.TanzuKubernetesRelease{
		TypeMeta:   metav1.TypeMeta{APIVersion: runv1.GroupVersion.String(), Kind: "TanzuKubernetesRelease"},
		ObjectMeta: metav1.ObjectMeta{Name: r.Name(), Labels: VersionLabels(r.Version())},
		Spec: runv1.TanzuKubernetesReleaseSpec{
			Version: r.Version(),
			Kubernetes: runv1.KubernetesSpec{
				Version:         r.KubernetesVersion(),
				ImageRepository: r.ImageRepository,
				Etcd:            &runv1.ContainerImageInfo{ImageTag: r.EtcdTag},
				Pause:           &runv1.ContainerImageInfo{ImageTag: r.PauseTag},
				CoreDNS:         &runv1.ContainerImageInfo{ImageTag: r.CoreDNSTag},
			},
			OSImages: []corev1.LocalObjectReference{{Name: r.OSImageName()}},
		},
	}
}

// OSImage is the release's OSImage object for the OVA published as the
// content library item imageName, without status.
func (r Release) OSImage(imageName string) *runv1.OSImage {
	labels := VersionLabels(r.KubernetesVersion())
	labels[runv1.LabelImageType] = ImageTypeOVA
	labels[runv1.LabelOSType] = r.OS.Type
	labels[runv1.LabelOSName] = r.OS.Name
	labels[runv1.LabelOSVersion] = r.OS.Version
	labels[runv1.LabelOSArch] = r.OS.Arch
	labels[runv1.LabelTKR] = r.Name()
	return &runv1.OSImage{
		TypeMeta:   metav1.TypeMeta{APIVersion: runv1.GroupVersion.String(), Kind: "OSImage"},
		ObjectMeta: metav1.ObjectMeta{Name: r.OSImageName(), Labels: labels},
		Spec: runv1.OSImageSpec{
			KubernetesVersion: r.KubernetesVersion(),
			OS:                runv1.OSInfo{Type: r.OS.Type, Name: r.OS.Name, Version: r.OS.Version, Arch: r.OS.Arch},
			Image:             runv1.MachineImageInfo{Type: ImageTypeOVA, Ref: map[string]string{"name": imageName}},
		},
	}
}
