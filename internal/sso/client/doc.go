// Package client calls the Supervisor's SSO endpoint (the contract in
// internal/sso/api): it logs a user in, lists the namespaces the user may
// use and locates workload clusters. `kubectl vsphere login` is its main
// user; tests use it to get tokens.
package client
