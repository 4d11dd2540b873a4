// Package guest is the kubevisor guest agent, the program a local VM runs
// as its PID 1 (cmd/kubevisor-guest). One static binary plays three parts,
// chosen by its arguments or the name it is called by:
//
//   - "boot <config>": run by the local provider on the host as the first
//     process of the VM's new namespaces; it assembles the VM's root file
//     system (package boot) and execs the agent inside it;
//   - "agent" (or PID 1): the init of the VM. It reaps orphans, applies
//     sysctls and the cloud-init seed (package cloudinit), supervises the
//     services in /etc/kubevisor/services (package services), reports
//     progress and a heartbeat in /run/kubevisor/status.json (package
//     status), and on SIGTERM stops everything cleanly;
//   - "systemctl" (a symlink named systemctl, or "systemctl" as the first
//     argument): a shim that sends its arguments to the agent's socket, so
//     that tools written for systemd, such as kubeadm, work unchanged.
package guest
