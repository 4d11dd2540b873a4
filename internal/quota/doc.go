// Package quota is the CPU and memory accounting of VMs against the limits
// of their namespace, as vSphere does it: every VM counts the virtual
// hardware of its VM class (cpus and memory), whether or not it is powered
// on, and a request that would take the namespace over a limit is refused
// before anything is created.
//
// The arithmetic (Sum, Check and the reservation bookkeeping) is pure and
// table-tested. Checker puts it to work against the API: it reads the
// namespace's limits from its SupervisorNamespace, the classes bound to the
// namespace and the VMs already in it, and admits a set of VMs at once (one
// VM from the VirtualMachine webhook, or every VM of a cluster). Checks of
// one namespace are serialised, and admitted VMs hold a reservation until
// they are visible in the API, so that two concurrent requests cannot both
// pass on the same free capacity.
package quota
