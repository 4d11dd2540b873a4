// Package virtualmachineservice is the VM Service's VirtualMachineService
// controller, with the load-balancer address management behind type
// LoadBalancer.
//
// For each VirtualMachineService it keeps, as vm-operator does:
//
//   - a selector-less core Service of the same name and ports: type
//     ClusterIP for ClusterIP and LoadBalancer services, ExternalName for
//     ExternalName ones;
//   - an Endpoints object of the same name listing the primaryIP4 of the
//     VirtualMachines in the namespace that match spec.selector, ready ones
//     under addresses and the others under notReadyAddresses. The
//     Supervisor's endpointslice-mirroring controller mirrors it into
//     EndpointSlices. A service without a selector gets no Endpoints from
//     this controller: whoever made it manages them, as with core Services.
//
// Both are owned by the VirtualMachineService, so deleting it deletes them.
//
// A VM is ready when it is powered on, has a primaryIP4 and either has a
// readiness probe whose Ready condition is True, or has no readiness probe
// at all (vm-operator treats a VM without a probe as ready; kubevisor also
// asks that it be powered on, so a stopped VM never receives traffic). A VM
// without a usable IPv4 address, or being deleted, is left out.
//
// Type LoadBalancer: the service gets an address from the LoadBalancerPools
// (package lbipam; spec.loadBalancerIP when it is free and in a pool),
// recorded in the annotation kubevisor.io/load-balancer-ip and reported in
// status.loadBalancer.ingress[0].ip. At start the allocator is rebuilt from
// those annotations before anything new is handed out, so an address
// survives restarts and is never handed out twice. The service's ports,
// ready endpoints and source ranges are handed to the load-balancer data
// plane (package lb), which serves them; a finalizer takes the address off
// the data plane and the host and releases it when the service goes. The
// LoadBalancerPool controller reports each pool's allocated and available
// counts, and the DefaultPool runnable creates the pool "default"
// (198.19.0.0/16) when no pool exists.
package virtualmachineservice
