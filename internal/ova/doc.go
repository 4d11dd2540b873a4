// Package ova reads and writes OVA archives: the Open Virtualization Format
// packaging that vSphere content libraries store and that kubevisor uses for
// its own images.
//
// An OVA is a tar archive whose first member is the OVF descriptor
// (<name>.ovf, an OVF 1.x Envelope), followed by the manifest (<name>.mf,
// one "SHA256(<file>)= <hex>" line per file) and then the files the
// descriptor references: its disks. Write produces such an archive from a
// Spec and disk files; Extract unpacks one into a directory while checking
// every member against the manifest and the descriptor, and rejects
// anything it does not fully trust with an *Error that wraps one of
// ErrCorrupt, ErrTampered, ErrUnsafe, ErrTooLarge or ErrUnsupported.
//
// Two disk formats are understood: VMware's stream-optimized VMDK (real
// vSphere images, for the vsphere provider) and kubevisor's own root
// file system tarball (FormatRootFS, plain or gzip-compressed), which the
// local provider unpacks into a VM's disk directory.
//
// Parse and Summarize turn a descriptor into an Info, the facts a
// VirtualMachineImage reports: guest OS, product, disks, firmware, virtual
// hardware version and the ProductSection properties (OVF properties a user
// may set, "vmware-system" properties, and any other image metadata such
// as the versions a Kubernetes release image carries).
package ova
