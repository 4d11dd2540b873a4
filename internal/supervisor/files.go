package supervisor

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubevisor/kubevisor/internal/certs"
)

// Client identities of the built-in components. The administrator and the
// Supervisor's own controllers are in system:masters; the controller
// manager has the identity its bootstrap RBAC role expects.
const (
	adminUser             = "kubevisor-admin"
	controllerManagerUser = "system:kube-controller-manager"
	supervisorUser        = "system:kubevisor-supervisor"
	mastersGroup          = "system:masters"
)

// ensurePKI creates or refreshes every certificate and key the Supervisor
// uses and returns the authority.
func ensurePKI(l Layout, apiserverIPs []net.IP, apiserverDNS []string) (*certs.Authority, error) {
	ca, err := certs.LoadOrCreateAuthority(l.PKIDir(), "ca", "kubevisor-ca")
	if err != nil {
		return nil, err
	}
	leaves := map[string]certs.LeafSpec{
		"apiserver":          {CommonName: "kube-apiserver", DNSNames: apiserverDNS, IPs: apiserverIPs, Server: true},
		"sso":                {CommonName: "kubevisor-sso", DNSNames: apiserverDNS, IPs: apiserverIPs, Server: true},
		"webhook":            {CommonName: "kubevisor-webhook", DNSNames: []string{"localhost"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, Server: true},
		"admin":              {CommonName: adminUser, Organizations: []string{mastersGroup}},
		"controller-manager": {CommonName: controllerManagerUser},
		"supervisor":         {CommonName: supervisorUser, Organizations: []string{mastersGroup}},
	}
	for name, spec := range leaves {
		if _, err := ca.EnsureLeaf(l.PKIDir(), name, spec); err != nil {
			return nil, fmt.Errorf("certificate %s: %w", name, err)
		}
	}
	if err := certs.LoadOrCreateSigningKey(l.ServiceAccountKey(), l.ServiceAccountPub()); err != nil {
		return nil, fmt.Errorf("service-account key: %w", err)
	}
	return ca, nil
}

// writeKubeconfig writes a kubeconfig for the client certificate name that
// reaches server and trusts the authority.
func writeKubeconfig(l Layout, path, server, user, name string) error {
	caPEM, err := os.ReadFile(l.CACert())
	if err != nil {
		return err
	}
	certPEM, err := os.ReadFile(l.Cert(name))
	if err != nil {
		return err
	}
	keyPEM, err := os.ReadFile(l.Key(name))
	if err != nil {
		return err
	}
	const clusterName, contextName = "kubevisor", "kubevisor"
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters[clusterName] = &clientcmdapi.Cluster{Server: server, CertificateAuthorityData: caPEM}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: certPEM, ClientKeyData: keyPEM}
	cfg.Contexts[contextName] = &clientcmdapi.Context{Cluster: clusterName, AuthInfo: user}
	cfg.CurrentContext = contextName
	data, err := clientcmd.Write(*cfg)
	if err != nil {
		return err
	}
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return nil
	}
	return certs.WriteFile(path, data, 0o600)
}

// ensureEncryptionConfig writes the encryption-at-rest configuration with a
// new random key on first start. An existing file is never replaced: its
// key is the only way to read the Secrets already stored.
func ensureEncryptionConfig(path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	cfg := fmt.Sprintf(`apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources:
  - secrets
  providers:
  - secretbox:
      keys:
      - name: key1
        secret: %s
  - identity: {}
`, base64.StdEncoding.EncodeToString(key))
	return certs.WriteFile(path, []byte(cfg), 0o600)
}

// auditPolicy records who changed what (metadata of every write and of
// reads of secrets), and leaves out health checks, leases and events that
// would drown it.
const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages:
- RequestReceived
rules:
- level: None
  nonResourceURLs:
  - /healthz*
  - /livez*
  - /readyz*
  - /version
  - /openapi*
- level: None
  resources:
  - group: coordination.k8s.io
    resources: ["leases"]
  - group: ""
    resources: ["events"]
- level: None
  verbs: ["get", "list", "watch"]
  resources:
  - group: ""
    resources: ["configmaps", "endpoints", "services", "namespaces"]
  - group: "apiextensions.k8s.io"
- level: Metadata
`

func writeAuditPolicy(path string) error {
	if old, err := os.ReadFile(path); err == nil && string(old) == auditPolicy {
		return nil
	}
	return certs.WriteFile(path, []byte(auditPolicy), 0o600)
}
