// Package store is how the Supervisor's built-in SSO keeps passwords: a
// bcrypt hash per user, in a Secret in SystemNamespace named
// PasswordSecretName(user), owned by the User object so that deleting the
// User deletes its hash. The `kubevisor sso` commands write these Secrets;
// the SSO login endpoint reads them. Both go through this package, which
// is the whole contract between them.
package store
