// Package provider defines the VM Service's provider interface: the small
// set of operations the VirtualMachine controller needs from whatever
// really runs VMs. Implementations live in subpackages:
//
//   - local: a VM is a sandbox on this host (own network namespace and IP on
//     a host bridge, own root filesystem from its image, own process tree,
//     cgroup limits from its class), booted by a guest agent that applies
//     cloud-init;
//   - vsphere: govmomi against a vCenter (tested against vcsim);
//   - simulated: in-memory VMs for scale tests, named as such.
//
// The interface uses only this package's types and reports outcomes with
// the sentinel errors below.
package provider
