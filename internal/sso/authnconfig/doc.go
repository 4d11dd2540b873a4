// Package authnconfig renders the embedded API server's structured
// authentication configuration (apiserver.config.k8s.io/v1
// AuthenticationConfiguration): the Supervisor's own SSO issuer first, then
// every external OIDC issuer the administrator added. The API server
// reloads the file when it changes, so issuers come and go without a
// restart.
package authnconfig
