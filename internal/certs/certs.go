package certs

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"time"
)

const (
	// caValidity is how long the certificate authority is valid.
	caValidity = 10 * 365 * 24 * time.Hour
	// leafValidity is how long a serving or client certificate is valid.
	leafValidity = 365 * 24 * time.Hour
	// renewBefore is how long before expiry a leaf certificate is issued anew.
	renewBefore = 90 * 24 * time.Hour
)

// Authority is a certificate authority whose key is on disk.
type Authority struct {
	Cert    *x509.Certificate
	Key     crypto.Signer
	CertPEM []byte
}

// KeyPair is a certificate and its key, both PEM encoded.
type KeyPair struct {
	CertPEM []byte
	KeyPEM  []byte
}

// LeafSpec describes a certificate to issue.
type LeafSpec struct {
	// CommonName is the subject's common name; for client certificates
	// Kubernetes reads it as the user name.
	CommonName string
	// Organizations are the subject's organizations; for client
	// certificates Kubernetes reads them as groups.
	Organizations []string
	// DNSNames and IPs are the subject alternative names of a serving
	// certificate.
	DNSNames []string
	IPs      []net.IP
	// Server makes a serving certificate; otherwise a client certificate.
	Server bool
}

// LoadOrCreateAuthority loads the authority at dir/name.{crt,key}, creating
// it when neither file exists.
func LoadOrCreateAuthority(dir, name, commonName string) (*Authority, error) {
	certPath, keyPath := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	certPEM, certErr := os.ReadFile(certPath)
	keyPEM, keyErr := os.ReadFile(keyPath)
	switch {
	case certErr == nil && keyErr == nil:
		cert, err := parseCert(certPEM)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", certPath, err)
		}
		key, err := parseKey(keyPEM)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", keyPath, err)
		}
		return &Authority{Cert: cert, Key: key, CertPEM: certPEM}, nil
	case errors.Is(certErr, os.ErrNotExist) && errors.Is(keyErr, os.ErrNotExist):
	default:
		return nil, fmt.Errorf("certificate authority %s is incomplete (%v, %v): restore both files or remove both to create a new authority", name, certErr, keyErr)
	}

	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating key for %s: %w", name, err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("signing %s: %w", name, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, err
	}
	// The key goes first: a certificate without its key is reported as
	// incomplete above, never silently replaced.
	if err := WriteFile(keyPath, keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := WriteFile(certPath, certPEM, 0o644); err != nil {
		return nil, err
	}
	return &Authority{Cert: cert, Key: key, CertPEM: certPEM}, nil
}

// Issue signs a new leaf certificate described by spec.
func (a *Authority) Issue(spec LeafSpec) (KeyPair, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return KeyPair{}, fmt.Errorf("generating key for %s: %w", spec.CommonName, err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: spec.CommonName, Organization: spec.Organizations},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(leafValidity),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		DNSNames:     spec.DNSNames,
		IPAddresses:  spec.IPs,
	}
	if spec.Server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.Cert, key.Public(), a.Key)
	if err != nil {
		return KeyPair{}, fmt.Errorf("signing %s: %w", spec.CommonName, err)
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return KeyPair{}, err
	}
	return KeyPair{CertPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), KeyPEM: keyPEM}, nil
}

// EnsureLeaf makes sure dir/name.{crt,key} hold a certificate from a that
// matches spec and is not close to expiry, issuing a new one otherwise. It
// reports whether it issued one.
func (a *Authority) EnsureLeaf(dir, name string, spec LeafSpec) (bool, error) {
	certPath, keyPath := filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	if certPEM, err := os.ReadFile(certPath); err == nil {
		if _, kerr := os.Stat(keyPath); kerr == nil {
			if cert, perr := parseCert(certPEM); perr == nil && a.satisfies(cert, spec) {
				return false, nil
			}
		}
	}
	kp, err := a.Issue(spec)
	if err != nil {
		return false, err
	}
	if err := WriteFile(keyPath, kp.KeyPEM, 0o600); err != nil {
		return false, err
	}
	if err := WriteFile(certPath, kp.CertPEM, 0o644); err != nil {
		return false, err
	}
	return true, nil
}

// satisfies reports whether cert was signed by a, covers spec and is not
// about to expire.
func (a *Authority) satisfies(cert *x509.Certificate, spec LeafSpec) bool {
	if cert.CheckSignatureFrom(a.Cert) != nil {
		return false
	}
	if time.Until(cert.NotAfter) < renewBefore {
		return false
	}
	if cert.Subject.CommonName != spec.CommonName || !sameSet(cert.Subject.Organization, spec.Organizations) {
		return false
	}
	if !sameSet(cert.DNSNames, spec.DNSNames) {
		return false
	}
	have := make([]string, 0, len(cert.IPAddresses))
	for _, ip := range cert.IPAddresses {
		have = append(have, ip.String())
	}
	want := make([]string, 0, len(spec.IPs))
	for _, ip := range spec.IPs {
		want = append(want, ip.String())
	}
	return sameSet(have, want)
}

// LoadOrCreateSigningKey loads the private key at path, creating an ECDSA
// P-256 key when it does not exist, and writes its public half next to it
// as pubPath.
func LoadOrCreateSigningKey(path, pubPath string) error {
	keyPEM, err := os.ReadFile(path)
	var key crypto.Signer
	switch {
	case err == nil:
		if key, err = parseKey(keyPEM); err != nil {
			return fmt.Errorf("reading %s: %w", path, err)
		}
	case errors.Is(err, os.ErrNotExist):
		k, gerr := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if gerr != nil {
			return gerr
		}
		key = k
		if keyPEM, err = encodeKey(k); err != nil {
			return err
		}
		if err := WriteFile(path, keyPEM, 0o600); err != nil {
			return err
		}
	default:
		return err
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return err
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	if old, err := os.ReadFile(pubPath); err == nil && bytes.Equal(old, pubPEM) {
		return nil
	}
	return WriteFile(pubPath, pubPEM, 0o644)
}

// WriteFile writes data to path atomically: readers see either the old or
// the new content, and a crash never leaves a truncated file.
func WriteFile(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func parseCert(data []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM certificate found")
	}
	return x509.ParseCertificate(block.Bytes)
}

func parseKey(data []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(data)
	if block == nil {
		return nil, errors.New("no PEM key found")
	}
	switch block.Type {
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		signer, ok := k.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("unsupported private key type %T", k)
		}
		return signer, nil
	}
	return nil, fmt.Errorf("unsupported PEM block %q", block.Type)
}

func encodeKey(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}), nil
}

func serial() *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 126))
	if err != nil {
		// crypto/rand does not fail on Linux; a fixed serial still yields a
		// valid certificate.
		return big.NewInt(time.Now().UnixNano())
	}
	return n
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}
