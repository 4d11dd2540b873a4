// Package hostaddr puts load-balancer addresses on a host network interface
// so that the kernel delivers traffic for them to this host: the interface
// (kv-lb0 by default) is created on demand, as a dummy link or, on kernels
// without the dummy driver, as a bridge with no ports, and each address is
// added as a /32 (or /128). Linux answers ARP and routes for every local
// address on every interface, so the addresses are reachable from the host
// itself and from VM network namespaces whose traffic reaches the host
// over the VM bridge.
//
// The interface belongs to its Interface value: Sync removes every global
// address on it that it was not told to keep. It speaks rtnetlink directly
// (no ip(8)) and needs CAP_NET_ADMIN.
package hostaddr
