package authnconfig

import (
	"bytes"
	"fmt"
	"os"

	apiserverv1 "k8s.io/apiserver/pkg/apis/apiserver/v1"
	"sigs.k8s.io/yaml"

	"github.com/kubevisor/kubevisor/internal/certs"
)

// Issuer is one trusted JWT issuer.
type Issuer struct {
	// URL is the issuer ("iss") and where its discovery document lives.
	URL string
	// CertificateAuthority is the PEM bundle that verifies URL's TLS
	// certificate; empty means the system roots.
	CertificateAuthority string
	// Audience is the "aud" a token must carry (an OIDC client ID).
	Audience string
	// UsernameClaim and GroupsClaim name the claims to read.
	UsernameClaim, GroupsClaim string
	// UsernamePrefix and GroupsPrefix are prepended to the claim values so
	// that no issuer's users can pose as another's, or as a service
	// account ("system:serviceaccount:...").
	UsernamePrefix, GroupsPrefix string
}

// Render returns the AuthenticationConfiguration trusting issuers.
func Render(issuers []Issuer) ([]byte, error) {
	cfg := apiserverv1.AuthenticationConfiguration{}
	cfg.APIVersion = apiserverv1.SchemeGroupVersion.String()
	cfg.Kind = "AuthenticationConfiguration"
	cfg.JWT = []apiserverv1.JWTAuthenticator{}
	for _, iss := range issuers {
		if iss.UsernamePrefix == "" {
			return nil, fmt.Errorf("issuer %s: a username prefix is required", iss.URL)
		}
		usernamePrefix, groupsPrefix := iss.UsernamePrefix, iss.GroupsPrefix
		a := apiserverv1.JWTAuthenticator{
			Issuer: apiserverv1.Issuer{
				URL:                  iss.URL,
				CertificateAuthority: iss.CertificateAuthority,
				Audiences:            []string{iss.Audience},
			},
			ClaimMappings: apiserverv1.ClaimMappings{
				Username: apiserverv1.PrefixedClaimOrExpression{Claim: iss.UsernameClaim, Prefix: &usernamePrefix},
			},
		}
		if iss.GroupsClaim != "" {
			a.ClaimMappings.Groups = apiserverv1.PrefixedClaimOrExpression{Claim: iss.GroupsClaim, Prefix: &groupsPrefix}
		}
		cfg.JWT = append(cfg.JWT, a)
	}
	return yaml.Marshal(cfg)
}

// Write renders issuers into path, leaving the file untouched when its
// content would not change (the API server reloads on every change). It
// reports whether it wrote.
func Write(path string, issuers []Issuer) (bool, error) {
	data, err := Render(issuers)
	if err != nil {
		return false, err
	}
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	return true, certs.WriteFile(path, data, 0o600)
}

// Read returns the issuers of the configuration at path, or none when
// there is no file.
func Read(path string) ([]Issuer, error) {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	cfg := apiserverv1.AuthenticationConfiguration{}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	out := make([]Issuer, 0, len(cfg.JWT))
	for _, a := range cfg.JWT {
		iss := Issuer{
			URL:                  a.Issuer.URL,
			CertificateAuthority: a.Issuer.CertificateAuthority,
			UsernameClaim:        a.ClaimMappings.Username.Claim,
			GroupsClaim:          a.ClaimMappings.Groups.Claim,
		}
		if len(a.Issuer.Audiences) > 0 {
			iss.Audience = a.Issuer.Audiences[0]
		}
		if p := a.ClaimMappings.Username.Prefix; p != nil {
			iss.UsernamePrefix = *p
		}
		if p := a.ClaimMappings.Groups.Prefix; p != nil {
			iss.GroupsPrefix = *p
		}
		out = append(out, iss)
	}
	return out, nil
}
