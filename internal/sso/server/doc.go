// Package server is the Supervisor's single-sign-on endpoint, the part
// vCenter Single Sign-On plays for a vSphere Supervisor. It serves, over
// TLS on its own port:
//
//   - POST /wcp/login: a user name and password (HTTP Basic) in exchange for
//     a short-lived signed token (the `kubectl vsphere login` flow);
//   - GET /wcp/namespaces and /wcp/clusters/<ns>/<name>: what the token's
//     holder may use;
//   - OIDC discovery and the JWKS of its signing keys, through which the
//     embedded API server (and guest clusters) verify those tokens.
//
// Users, groups and password hashes are objects in the Supervisor's API
// (internal/sso/store). The signing keys are kept, like the rest of the
// Supervisor's PKI, in its data directory, and rotate on a schedule.
package server
