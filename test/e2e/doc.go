// Package e2e holds kubevisor's end-to-end tests: the user's story, through
// the built binaries and the real kubectl. `make test` builds the binaries
// first and points KUBEVISOR_BIN at them.
//
// The tests share one Supervisor (started in TestMain) and each works in its
// own namespace; tests that need a different datastore start their own.
package e2e
