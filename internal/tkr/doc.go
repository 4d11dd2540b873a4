// Package tkr describes a Tanzu Kubernetes Release (TKR) node image: the
// versions and image names it carries, the run.tanzu.vmware.com
// TanzuKubernetesRelease and OSImage objects that publish it, and the OVF
// ProductSection properties that carry all of this inside its OVA.
//
// The TKR builder (hack/tkr) fills a Release and writes its Properties into
// the OVA; the Supervisor's image service reads them back with
// FromProperties and Objects when a content library item turns out to be a
// TKR. The property keys are VMware's: a real TKR OVA carries the same
// "vmware-system.guest.kubernetes.distribution.image.version" JSON, the
// "vmware-system.tkr.os-*" keys that vm-operator reads, and the release's
// objects gzip-compressed and base64-encoded in "vmware-system.tkr" and
// "vmware-system.tkr.osi", so one reader serves both.
//
// Names follow the TKR convention: release version
// v1.36.3+vmware.1-kubevisor.1 (Kubernetes build v1.36.3+vmware.1),
// object name v1.36.3---vmware.1-kubevisor.1 ("+" is not allowed in names),
// and container image tags v1.36.3_vmware.1 (kubeadm's spelling of "+").
package tkr
