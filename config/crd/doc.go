// Package crd embeds the CustomResourceDefinitions that the Supervisor
// installs at every start: kubevisor's own (bases/, generated from api/ by
// `make generate`) and Cluster API's (capi/, copied from the pinned
// sigs.k8s.io/cluster-api module by `make capi-crds`), and Cluster API's
// admission webhook manifests (capi/webhooks-*.yaml, copied alike).
package crd
