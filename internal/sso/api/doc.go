// Package api is the wire contract of the Supervisor's SSO endpoint, the
// HTTPS service that `kubectl vsphere login` talks to: the paths it serves
// and the JSON bodies it answers with. The server (in the Supervisor) and
// the client (internal/sso/client) both use these types, so the two sides
// cannot drift apart.
//
// The endpoint listens on DefaultPort unless configured otherwise:
//
//	POST /wcp/login                  HTTP Basic auth → 200 LoginResponse, 401 ErrorResponse
//	GET  /wcp/namespaces             Bearer token    → 200 NamespacesResponse
//	GET  /wcp/clusters/<ns>/<name>   Bearer token    → 200 ClusterResponse, 404 ErrorResponse
//
// Every error status carries an ErrorResponse.
package api
