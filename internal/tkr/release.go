package tkr

import (
	"fmt"
	"regexp"
	"strings"
)

// VMwareBuild is the build metadata every release's Kubernetes version
// carries, after the TKR convention (v1.36.3+vmware.1).
const VMwareBuild = "vmware.1"

// Release is what one TKR node image ships.
type Release struct {
	// Kubernetes is the upstream Kubernetes version, such as v1.36.3.
	Kubernetes string `json:"kubernetes"`
	// Build names this distribution's build of it, such as kubevisor.1.
	Build string `json:"build"`
	// ImageRepository is where kubeadm finds the control-plane images
	// (imageRepository), such as kubevisor.local/k8s. The images are
	// preloaded under it, never pulled.
	ImageRepository string `json:"imageRepository"`
	// EtcdTag, CoreDNSTag and PauseTag are the image tags kubeadm of this
	// Kubernetes version asks for.
	EtcdTag    string `json:"etcdTag"`
	CoreDNSTag string `json:"corednsTag"`
	PauseTag   string `json:"pauseTag"`
	// OS is the node operating system.
	OS OS `json:"os"`
	// Components are the versions of everything else the image ships
	// (containerd, runc, cni-plugins, ...), for people.
	Components map[string]string `json:"components,omitempty"`
}

// OS is a node image's operating system, as OSImage spec.os has it.
type OS struct {
	Type    string `json:"type"`
	Name    string `json:"name"`
	Version string `json:"version"`
	Arch    string `json:"arch"`
}

// Component image names under the release's image repository, as kubeadm
// names them when imageRepository is not the default registry.
const (
	KubeAPIServer         = "kube-apiserver"
	KubeControllerManager = "kube-controller-manager"
	KubeScheduler         = "kube-scheduler"
	KubeProxy             = "kube-proxy"
	Etcd                  = "etcd"
	CoreDNS               = "coredns"
	Pause                 = "pause"
)

// HTTPEchoImage is a test workload every release preloads beside
// kubeadm's images (and the kubevisor-cni add-on's, named in
// config/addons): it answers HTTP GETs with its pod's name, so a cluster's
// network can be checked without pulling an image (hack/tkr/httpecho).
const HTTPEchoImage = "kubevisor.local/tools/httpecho:1"

var (
	kubeVersionRE = regexp.MustCompile(`^v[0-9]+\.[0-9]+\.[0-9]+$`)
	buildRE       = regexp.MustCompile(`^[0-9A-Za-z]+(\.[0-9A-Za-z]+)*$`)
)

// Validate checks that the release can be named and published.
func (r Release) Validate() error {
	switch {
	case !kubeVersionRE.MatchString(r.Kubernetes):
		return fmt.Errorf("kubernetes version %q: want vMAJOR.MINOR.PATCH", r.Kubernetes)
	case !buildRE.MatchString(r.Build):
		return fmt.Errorf("build %q: want dot-separated alphanumerics such as kubevisor.1", r.Build)
	case r.ImageRepository == "" || strings.ContainsAny(r.ImageRepository, " :@") || strings.HasSuffix(r.ImageRepository, "/"):
		return fmt.Errorf("image repository %q: want a repository path without a tag", r.ImageRepository)
	case r.EtcdTag == "" || r.CoreDNSTag == "" || r.PauseTag == "":
		return fmt.Errorf("the etcd, CoreDNS and pause image tags are all needed")
	case r.OS.Type == "" || r.OS.Name == "" || r.OS.Version == "" || r.OS.Arch == "":
		return fmt.Errorf("the OS type, name, version and architecture are all needed")
	}
	return nil
}

// KubernetesVersion is the Kubernetes build, such as v1.36.3+vmware.1: a
// TKR's spec.kubernetes.version and an OSImage's spec.kubernetesVersion.
func (r Release) KubernetesVersion() string { return r.Kubernetes + "+" + VMwareBuild }

// Version is the release's version, such as v1.36.3+vmware.1-kubevisor.1:
// its spec.version, and the version a Cluster's topology names.
func (r Release) Version() string { return r.KubernetesVersion() + "-" + r.Build }

// Name is the TanzuKubernetesRelease's name, such as
// v1.36.3---vmware.1-kubevisor.1.
func (r Release) Name() string { return NameForVersion(r.Version()) }

// OSImageName is the name of the release's OSImage, such as
// v1.36.3---vmware.1-kubevisor.1-debian-12-amd64.
func (r Release) OSImageName() string {
	return fmt.Sprintf("%s-%s-%s-%s", r.Name(), r.OS.Name, r.OS.Version, r.OS.Arch)
}

// NameForVersion turns a version into an object name: "+" becomes "---".
func NameForVersion(v string) string { return strings.ReplaceAll(v, "+", "---") }

// ImageTag is kubeadm's image tag for a Kubernetes version: "+" becomes
// "_" (kubeadm's KubernetesVersionToImageTag).
func ImageTag(v string) string { return strings.ReplaceAll(v, "+", "_") }

// KubernetesTags are the tags the Kubernetes component images carry, one
// for each version a cluster may hand kubeadm as kubernetesVersion: the
// upstream version, the Kubernetes build and the release version
// (v1.36.3, v1.36.3_vmware.1, v1.36.3_vmware.1-kubevisor.1).
func (r Release) KubernetesTags() []string {
	return []string{r.Kubernetes, ImageTag(r.KubernetesVersion()), ImageTag(r.Version())}
}

// Image is the reference of a component image with its tag.
func (r Release) Image(component, tag string) string {
	return r.ImageRepository + "/" + component + ":" + tag
}

// ImageNames returns every name each component image carries, keyed by
// component.
func (r Release) ImageNames() map[string][]string {
	out := map[string][]string{}
	for _, c := range []string{KubeAPIServer, KubeControllerManager, KubeScheduler, KubeProxy} {
		for _, t := range r.KubernetesTags() {
			out[c] = append(out[c], r.Image(c, t))
		}
	}
	out[Etcd] = []string{r.Image(Etcd, r.EtcdTag)}
	out[CoreDNS] = []string{r.Image(CoreDNS, r.CoreDNSTag)}
	out[Pause] = []string{r.Image(Pause, r.PauseTag)}
	return out
}

// KubeadmImages lists the images `kubeadm config images list
// --image-repository <ImageRepository> --kubernetes-version <Kubernetes>`
// prints, in its order.
func (r Release) KubeadmImages() []string {
	return []string{
		r.Image(KubeAPIServer, r.Kubernetes),
		r.Image(KubeControllerManager, r.Kubernetes),
		r.Image(KubeScheduler, r.Kubernetes),
		r.Image(KubeProxy, r.Kubernetes),
		r.Image(CoreDNS, r.CoreDNSTag),
		r.Image(Pause, r.PauseTag),
		r.Image(Etcd, r.EtcdTag),
	}
}

// VersionLabels are the version-prefix labels a TKR and its OSImages carry
// so that label selectors can pick releases by version: for
// v1.36.3+vmware.1-kubevisor.1 they are v1, v1.36, v1.36.3,
// v1.36.3---vmware, v1.36.3---vmware.1, v1.36.3---vmware.1-kubevisor and
// v1.36.3---vmware.1-kubevisor.1, all with empty values.
func VersionLabels(version string) map[string]string {
	labels := map[string]string{}
	core, build, _ := strings.Cut(version, "+")
	parts := strings.Split(core, ".")
	for i := range parts {
		labels[strings.Join(parts[:i+1], ".")] = ""
	}
	if build == "" {
		return labels
	}
	prefix := core + "---"
	for i, c := range build {
		if c == '.' || c == '-' {
			labels[prefix+build[:i]] = ""
		}
	}
	labels[prefix+build] = ""
	return labels
}
