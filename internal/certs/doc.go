// Package certs creates and keeps the Supervisor's public key
// infrastructure in its data directory: one certificate authority, the API
// server's serving certificate (with a subject alternative name for every
// address it is reached on), client certificates for the administrator and
// the built-in components, the service-account signing key and the webhook
// serving certificate.
//
// Everything is created on first start and reused afterwards. A serving
// certificate is issued again when the names it must cover change or when it
// is close to expiry; the authority itself is never replaced, so kubeconfigs
// handed out earlier keep working.
package certs
