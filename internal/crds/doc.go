// Package crds installs CustomResourceDefinitions with server-side apply
// and waits until the API server serves them.
//
// Installing is idempotent: applying an unchanged definition changes
// nothing (not even its resourceVersion), and a changed one is updated in
// place. The Supervisor installs its CRDs this way at every start.
package crds
