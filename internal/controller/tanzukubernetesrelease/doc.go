// Package tanzukubernetesrelease publishes the Kubernetes releases found in
// the Supervisor's content libraries: every ClusterVirtualMachineImage whose
// OVF carries TKR metadata (vmware-system.tkr and vmware-system.tkr.osi,
// as VMware's TKR OVAs do) becomes a TanzuKubernetesRelease and its
// OSImages, pointing at that image. Their Ready, Valid and Compatible
// conditions say whether clusters can be made from them here. Deleting the
// image deletes them.
//
// UpdatesReconciler sets every release's UpdatesAvailable condition: the
// newer releases a cluster on it can move to.
package tanzukubernetesrelease
