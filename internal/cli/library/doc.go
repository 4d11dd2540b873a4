// Package library is `kubevisor library`: the administrator's commands for
// content libraries (ClusterContentLibrary objects) and their items.
//
// create, list, items and delete talk to the Supervisor's API as kubectl
// does. upload sends an OVA to the content library endpoint of the
// Supervisor's public HTTPS server, found in the ConfigMap
// kube-public/kubevisor-endpoints (key "https"), with the same credentials
// and CA as the kubeconfig: the server verifies the OVA, stores it and
// creates the item.
package library
