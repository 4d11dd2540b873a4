package supervisor

import "path/filepath"

// Layout names every file the Supervisor keeps in its data directory.
type Layout struct {
	DataDir string
}

func (l Layout) path(elem ...string) string {
	return filepath.Join(append([]string{l.DataDir}, elem...)...)
}

// AdminKubeconfig is the administrator's kubeconfig.
func (l Layout) AdminKubeconfig() string { return l.path("kubeconfig") }

// PKIDir holds the certificate authority, certificates and keys.
func (l Layout) PKIDir() string { return l.path("pki") }

// CACert is the certificate authority's certificate.
func (l Layout) CACert() string { return l.path("pki", "ca.crt") }

// CAKey is the certificate authority's key.
func (l Layout) CAKey() string { return l.path("pki", "ca.key") }

// Cert and Key are the files of the named leaf certificate.
func (l Layout) Cert(name string) string { return l.path("pki", name+".crt") }

// Key is the key of the named leaf certificate.
func (l Layout) Key(name string) string { return l.path("pki", name+".key") }

// ServiceAccountKey signs service-account tokens; ServiceAccountPub
// verifies them.
func (l Layout) ServiceAccountKey() string { return l.path("pki", "sa.key") }

// ServiceAccountPub verifies service-account tokens.
func (l Layout) ServiceAccountPub() string { return l.path("pki", "sa.pub") }

// ComponentKubeconfig is the kubeconfig of a built-in component.
func (l Layout) ComponentKubeconfig(name string) string {
	return l.path("kubeconfigs", name+".kubeconfig")
}

// EncryptionConfig encrypts Secrets at rest.
func (l Layout) EncryptionConfig() string { return l.path("config", "encryption.yaml") }

// AuditPolicy says what the audit log records.
func (l Layout) AuditPolicy() string { return l.path("config", "audit-policy.yaml") }

// AuthenticationConfig lists the JWT issuers the API server trusts.
func (l Layout) AuthenticationConfig() string { return l.path("config", "authentication.yaml") }

// AuditLog is the audit log; rotated files sit next to it.
func (l Layout) AuditLog() string { return l.path("audit", "audit.log") }
