package supervisor

import (
	"fmt"
	"net"
	"net/http"
	"strconv"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubevisor/kubevisor/internal/scheme"
	"github.com/kubevisor/kubevisor/internal/sso/authnconfig"
	"github.com/kubevisor/kubevisor/internal/sso/server"
	"github.com/kubevisor/kubevisor/internal/sso/tokens"
)

// ssoIssuer is how the API server trusts the Supervisor's own SSO tokens.
func ssoIssuer(url string, caPEM []byte) authnconfig.Issuer {
	return authnconfig.Issuer{
		URL:                  url,
		CertificateAuthority: string(caPEM),
		Audience:             tokens.Audience,
		UsernameClaim:        "username",
		GroupsClaim:          "groups",
		UsernamePrefix:       server.Prefix,
		GroupsPrefix:         server.Prefix,
	}
}

// startSSO writes the API server's authentication configuration (the SSO
// issuer first, the external issuers of the last run after it, until the
// OIDC provider controller takes over) and creates the SSO server.
func startSSO(l Layout, o Options, restCfg *rest.Config, issuerURL, apiServer string, caPEM []byte, handlers map[string]http.Handler) (*server.Server, error) {
	existing, err := authnconfig.Read(l.AuthenticationConfig())
	if err != nil {
		return nil, err
	}
	issuers := []authnconfig.Issuer{ssoIssuer(issuerURL, caPEM)}
	for _, iss := range existing {
		if iss.UsernamePrefix != server.Prefix {
			issuers = append(issuers, iss)
		}
	}
	if _, err := authnconfig.Write(l.AuthenticationConfig(), issuers); err != nil {
		return nil, fmt.Errorf("writing the authentication configuration: %w", err)
	}

	s, err := scheme.New()
	if err != nil {
		return nil, err
	}
	c, err := client.New(restCfg, client.Options{Scheme: s})
	if err != nil {
		return nil, err
	}
	return server.New(server.Config{
		Issuer:      issuerURL,
		Listen:      net.JoinHostPort(o.BindAddress.String(), strconv.Itoa(o.SSOPort)),
		CertFile:    l.Cert("sso"),
		KeyFile:     l.Key("sso"),
		KeysFile:    l.path("pki", "sso-signing-keys.json"),
		TokenTTL:    o.SSOTokenTTL,
		RotateEvery: o.SSOKeyRotation,
		APIServer:   apiServer,
		CAPEM:       caPEM,
		Client:      c,
		Handlers:    handlers,
	})
}
