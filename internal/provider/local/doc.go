// Package local is the VM Service provider that runs VMs as sandboxes on
// this host (it needs root). A local VM has:
//
//   - its own network namespace, joined by a veth pair to a host bridge,
//     with an address from a persistent IPAM and a default route via the
//     bridge (package netns, package ipam);
//   - its own root file system: the image's tarball extracted once into a
//     shared read-only directory, under a per-VM overlayfs whose upper
//     directory is the VM's disk, plus plain scratch directories for
//     paths that cannot live on overlayfs (containerd's snapshots);
//   - its own PID, mount, UTS and IPC namespaces, whose PID 1 is the guest
//     agent (package guest), started detached so that VMs outlive the
//     Supervisor and are adopted, never duplicated, when it returns;
//   - its own cgroup in every hierarchy, sized from its VM class.
//
// The agent applies the cloud-init seed the provider writes for each boot
// and reports its progress in a status file the provider reads from the
// host. See docs/design/local-provider.md.
package local
