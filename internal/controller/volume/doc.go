// Package volume provisions the Supervisor's persistent volumes for the
// storage classes kubevisor's storage policies create on this host:
//
//   - kubevisor.io/local-directory: a directory per volume (capacity is
//     recorded, not enforced);
//   - kubevisor.io/image-file: a sparse file of the requested size holding
//     an ext4 file system, which the local VM provider attaches through a
//     loop device (capacity enforced by the file system).
//
// It follows Kubernetes' external-provisioner protocol: claims whose
// storage class names one of these provisioners get a PersistentVolume
// bound to them; a released volume (reclaim policy Delete) has its backing
// store removed before the PersistentVolume goes.
package volume
