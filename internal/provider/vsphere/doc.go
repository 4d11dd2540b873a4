// Package vsphere is the VM Service provider that runs VMs in vCenter, with
// govmomi (the only package of kubevisor that imports it).
//
// A VM is deployed from an OVF template of a content library into its
// namespace's resource pool and VM folder (made under the Supervisor's own
// pool in the zone's cluster, and under the Supervisor's folder; a
// VirtualMachineSetResourcePolicy gets a pool and folder of its own inside
// them). The VM's class becomes its CPUs, memory and reservations; its
// cloud-init data becomes base64 guestinfo.userdata and guestinfo.metadata
// extraConfig, which cloud-init's VMware datasource reads; its NICs join the
// configured port group. The VM carries its provider ID in the extraConfig
// key guestinfo.kubevisor.id, by which the provider finds, lists and adopts
// it: never a duplicate, even across restarts.
//
// vCenter work runs in the background, one operation per VM at a time:
// Reconcile and Delete wait a few seconds and return provider.ErrInProgress
// while it goes on. One SOAP and one REST session are shared by every
// reconcile, kept alive while idle and logged in again when vCenter has
// forgotten them. Faults vCenter reports become errors; those that say the
// request itself is wrong wrap provider.ErrInvalid.
//
// Tests run against govmomi's in-process vCenter simulator (vcsim). See
// docs/design/vsphere-provider.md.
package vsphere
