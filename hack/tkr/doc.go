// Command tkr builds a Tanzu Kubernetes Release node image for one
// Kubernetes version, from source, offline but for the Go module proxy and
// Debian's mirrors (see docs/design/tkr.md). As root:
//
//	go run ./hack/tkr -kubernetes v1.36.3
//
// writes build/tkr/v1.36.3/ with the OVA
// debian-12-amd64-v1.36.3---vmware.1-kubevisor.1.ova and tkr.yaml (its
// TanzuKubernetesRelease and OSImage). Steps whose inputs have not changed
// are skipped. hack/tkr/build.sh is the make target's entry point.
package main
