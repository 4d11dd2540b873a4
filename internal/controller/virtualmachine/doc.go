// Package virtualmachine is the VM Service's VirtualMachine controller. It
// resolves what a VirtualMachine asks for (its class in the namespace, its
// image, its bootstrap data, its volumes), refuses what cannot work with a
// condition and no provider call, asks the provider to make the VM so, and
// reports what the provider observes: power state, address, identities,
// guest bootstrap, and the readiness probe's verdict as the Ready
// condition.
package virtualmachine
