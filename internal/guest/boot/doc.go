// Package boot assembles a local VM's root file system and enters it. The
// local provider starts the guest agent binary with "boot <config>" as the
// first process of the VM's new PID, mount, UTS and IPC namespaces (already
// inside the VM's network namespace). Setup then joins the VM's cgroups,
// mounts the image and the VM's disk as an overlay, binds the scratch
// directories, the cloud-init seed, the agent and the volumes, mounts
// /proc, /sys, the cgroup hierarchies, /dev and /run, sets the host name,
// pivots into the new root and reports success on a pipe; the agent is
// then exec'ed as the VM's PID 1.
//
// Config is the contract between the provider (which writes it) and the
// guest (which reads it).
package boot
