// Command kubevisor-cni is the routed pod network of kubevisor's guest
// clusters: one pod per node (config/addons/kubevisor-cni.yaml) writes the
// node's CNI configuration and routes the other nodes' pod CIDRs. Build it
// static (CGO_ENABLED=0): its image has no C library. See internal/cni.
package main
