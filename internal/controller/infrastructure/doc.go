// Package infrastructure is the Supervisor's Cluster API infrastructure
// provider, in supervisor mode like Cluster API Provider vSphere (CAPV): it
// turns the vmware.infrastructure.cluster.x-k8s.io/v1beta1 objects of a
// workload cluster into VM Service objects in the cluster's namespace.
//
// VSphereCluster (owned by a Cluster API Cluster):
//
//   - a VirtualMachineSetResourcePolicy named after the Cluster, with a
//     resource pool and folder of the same name and the cluster module
//     groups "control-plane-group" and "<cluster>-workers-0";
//   - a VirtualMachineService of type LoadBalancer named after the Cluster,
//     port "apiserver" 6443 to 6443, selecting the cluster's control-plane
//     VMs (capv.vmware.com/cluster.name=<cluster>,
//     capv.vmware.com/cluster.role=controlplane);
//   - spec.controlPlaneEndpoint set from the service's load-balancer
//     address, port 6443; status.failureDomains listing the Supervisor's
//     zones; status.initialization.provisioned (and ready) once the policy
//     and the endpoint exist.
//
// VSphereMachine (owned by a Cluster API Machine): once the Machine has its
// bootstrap data Secret, a VirtualMachine named after the VSphereMachine
// (or its namingStrategy), booting the Secret's "value" key as cloud-init,
// with the class, image, storage class, power-off mode and minimum hardware
// version of the spec, the cluster's resource policy, the zone of the
// Machine's failure domain, and a PersistentVolumeClaim
// <vspheremachine>-<volume> per extra volume. Control-plane VMs get a TCP
// readiness probe on 6443 once the cluster's control plane is initialized,
// so the load balancer only sends traffic to API servers that answer. When
// the VM reports a BIOS UUID and an address, spec.providerID becomes
// vsphere://<biosUUID> and the machine is provisioned.
//
// Both objects follow Cluster API's v1beta2 contract (and keep
// status.ready of v1beta1), report Ready and CAPV's conditions, stop while
// their Cluster is paused, and hold a finalizer until what they made is
// gone. Everything is level-based: names are derived, writes happen only
// when something differs, and a converged cluster causes no writes. The
// mapping from objects to desired VM Service objects is pure (objects.go,
// virtualmachine.go); the controllers fetch, compare and patch.
package infrastructure
