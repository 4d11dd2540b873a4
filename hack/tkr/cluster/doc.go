// Command cluster checks a built Kubernetes release end to end, as root, on
// the local VM provider (internal/provider/local) and nothing else of the
// Supervisor: it creates a control-plane VM and worker VMs from the
// release's root file system, bootstraps them with cloud-init user data the
// way Cluster API's kubeadm bootstrap provider does (CA and kubeadm
// configuration in write_files, kubeadm init or join in runcmd), applies
// the kubevisor-cni add-on (config/addons), and checks that:
//
//   - every node is Ready with providerID vsphere://<the VM's BIOS UUID>,
//     its InternalIP the VM's address and a pod CIDR;
//   - every kube-system pod is ready (CoreDNS, kube-proxy, kubevisor-cni);
//   - a 2-replica Deployment of the preloaded httpecho image, one pod per
//     node, answers through its ClusterIP Service by name (CoreDNS) from a
//     client pod on every node, each backend answering, and each pod
//     answers on its own address from every node (routes between nodes).
//
// Then it deletes the VMs (unless -keep) and its bridge.
//
//	go run ./hack/tkr/cluster [-release build/tkr/v1.36.3] [-workers 1] [-keep]
package main
