// Package netns builds the host side of a local VM's network with iproute2:
// a host bridge holding the VM network's gateway address, one named network
// namespace per VM (/run/netns/<name>), and a veth pair joining the two
// with the VM's address and default route configured inside.
//
// Every function checks what exists before changing it, so each can be
// called again after a crash or on every reconcile.
package netns
