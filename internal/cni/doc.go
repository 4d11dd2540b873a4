// Package cni is kubevisor-cni, the routed pod network of kubevisor's guest
// clusters (like flannel's host-gw backend), run on every node by the
// DaemonSet in config/addons/kubevisor-cni.yaml.
//
// On its node the daemon:
//   - reads the Node's spec.podCIDR, which kube-controller-manager
//     allocates when the cluster's kubeadm ClusterConfiguration sets
//     networking.podSubnet;
//   - writes /etc/cni/net.d/10-kubevisor.conflist atomically: the bridge
//     plugin (the pods' gateway on bridge kvcni0), host-local IPAM over the
//     node's pod CIDR, and portmap; containerd and the CNI plugins the node
//     image ships in /opt/cni/bin do the rest;
//   - routes every other Node's pod CIDR via that Node's InternalIP in the
//     node's network namespace (routes of protocol 75, so that its own are
//     told apart from everyone else's and stale ones removed);
//   - masquerades pod traffic whose destination is outside every Node's pod
//     CIDR (chain KUBEVISOR-CNI-MASQ of the nat table), so pods can reach
//     addresses that have no route back to the pod networks while pod to
//     pod traffic keeps its addresses.
//
// It watches Nodes and also resyncs on a timer, so that a route or rule
// removed by hand comes back. Routing needs the nodes to share a link (one
// L2 network), as the VMs of one kubevisor network do.
package cni
