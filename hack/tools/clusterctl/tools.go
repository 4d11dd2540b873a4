//go:build tools

// Package clusterctl pins Cluster API's own CLI, which the end-to-end tests
// run against the Supervisor as a real client that kubevisor did not write.
// It is a module of its own so that clusterctl's dependencies stay out of
// the Supervisor's.
package clusterctl

import _ "sigs.k8s.io/cluster-api/cmd/clusterctl"
