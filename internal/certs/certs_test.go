package certs

import (
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
)

func TestAuthorityIsCreatedOnceAndReused(t *testing.T) {
	dir := t.TempDir()
	a, err := LoadOrCreateAuthority(dir, "ca", "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadOrCreateAuthority(dir, "ca", "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	if !a.Cert.Equal(b.Cert) {
		t.Fatal("second load created a different authority")
	}
	if err := os.Remove(filepath.Join(dir, "ca.key")); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrCreateAuthority(dir, "ca", "test-ca"); err == nil {
		t.Fatal("a certificate without its key must be reported, not replaced")
	}
}

func TestEnsureLeafReissuesOnlyWhenNamesChange(t *testing.T) {
	dir := t.TempDir()
	ca, err := LoadOrCreateAuthority(dir, "ca", "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	spec := LeafSpec{CommonName: "apiserver", DNSNames: []string{"localhost"}, IPs: []net.IP{net.ParseIP("127.0.0.1")}, Server: true}
	tests := []struct {
		name       string
		spec       LeafSpec
		wantIssued bool
	}{
		{name: "first start issues", spec: spec, wantIssued: true},
		{name: "same names reuse", spec: spec, wantIssued: false},
		{name: "new address reissues", spec: LeafSpec{CommonName: "apiserver", DNSNames: []string{"localhost"}, IPs: []net.IP{net.ParseIP("127.0.0.1"), net.ParseIP("10.0.0.1")}, Server: true}, wantIssued: true},
		{name: "order does not matter", spec: LeafSpec{CommonName: "apiserver", DNSNames: []string{"localhost"}, IPs: []net.IP{net.ParseIP("10.0.0.1"), net.ParseIP("127.0.0.1")}, Server: true}, wantIssued: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			issued, err := ca.EnsureLeaf(dir, "apiserver", tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if issued != tt.wantIssued {
				t.Fatalf("issued = %v, want %v", issued, tt.wantIssued)
			}
		})
	}

	data, err := os.ReadFile(filepath.Join(dir, "apiserver.crt"))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := parseCert(data)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: "localhost", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Fatalf("serving certificate does not verify: %v", err)
	}
}

func TestSigningKeyIsStable(t *testing.T) {
	dir := t.TempDir()
	key, pub := filepath.Join(dir, "sa.key"), filepath.Join(dir, "sa.pub")
	if err := LoadOrCreateSigningKey(key, pub); err != nil {
		t.Fatal(err)
	}
	first, _ := os.ReadFile(pub)
	if err := LoadOrCreateSigningKey(key, pub); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(pub)
	if string(first) != string(second) || len(first) == 0 {
		t.Fatal("public key changed between starts")
	}
}
