// Package clusterapi runs Cluster API v1.14 inside the Supervisor, as a
// library: the core controllers (Cluster, Machine, MachineSet,
// MachineDeployment, MachineHealthCheck, ClusterResourceSet), topology and
// ClusterClass, the KubeadmControlPlane controller and the kubeadm
// bootstrap provider, with all of their admission and conversion webhooks
// served by the Supervisor's own webhook server.
//
// It mirrors what each Cluster API binary's main.go wires, in one manager,
// with one ClusterCache shared by every controller that talks to workload
// clusters.
package clusterapi
