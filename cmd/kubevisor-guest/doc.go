// Command kubevisor-guest is the guest agent of local VMs: their PID 1,
// cloud-init, service supervisor and systemctl shim. Build it static
// (CGO_ENABLED=0): it runs inside VM images that have no C library.
package main
