// Package crds installs CustomResourceDefinitions and waits until the API
// server serves them.
//
// Installing is idempotent: each CRD carries the digest of the definition
// kubevisor last wrote, so an unchanged definition is not written again
// (its resourceVersion does not change), and a changed one is updated in
// place. The Supervisor installs its CRDs this way at every start.
package crds
