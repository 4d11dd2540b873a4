// Package builder builds a Tanzu Kubernetes Release (TKR) node image from
// source, offline but for the Go module proxy and Debian's mirrors: the
// steps of hack/tkr.
//
// For one Kubernetes version it compiles, static (CGO_ENABLED=0) and
// stripped, kubeadm, kubelet, kubectl, the control-plane components and
// kube-proxy from a throwaway module that requires k8s.io/kubernetes with
// every staging module pinned to the matching v0.X.Y (as kubevisor's own
// go.mod does), etcd at the version kubeadm asks for in that same module,
// CoreDNS and the CNI plugins from their own modules, and kubevisor's pause,
// kubevisor-cni (the pod network add-on of config/addons) and httpecho (a
// test workload) from this source tree; it debootstraps a minimal Debian
// with containerd and runc (cached across versions); it wraps the binaries
// into docker-archive images named as kubeadm and the add-on's manifest ask
// for them (package imagearchive); it assembles the
// node's root file system tarball with the guest agent's service
// definitions; and it packages that as an OVA whose ProductSection carries
// the release (package tkr), next to the release's TanzuKubernetesRelease
// and OSImage as YAML.
//
// Every step records a fingerprint of its inputs in <out>/.stamps and is
// skipped when its outputs exist with the same fingerprint, so a second
// run takes seconds. See docs/design/tkr.md.
package builder
