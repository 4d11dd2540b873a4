// Package oidcprovider keeps the embedded API server's authentication
// configuration in step with the administrator's OIDCProvider objects: the
// Supervisor's SSO issuer first, then one JWT authenticator per provider.
// The API server reloads the file on change, so a provider is trusted (or
// no longer trusted) without a restart.
package oidcprovider
