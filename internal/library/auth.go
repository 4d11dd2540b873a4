package library

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// ErrUnauthenticated: the request carries no credentials the Supervisor
// accepts.
var ErrUnauthenticated = errors.New("unauthenticated")

// User is an authenticated caller, as the Supervisor's API server knows it.
type User struct {
	Name   string
	UID    string
	Groups []string
	Extra  map[string][]string
}

// Authenticator checks callers' Kubernetes credentials: a bearer token
// (through a TokenReview, so service-account, SSO and OIDC tokens all
// work) or a TLS client certificate signed by the Supervisor's CA (user
// from its common name, groups from its organizations, as the API server
// reads them). It authorizes with SubjectAccessReviews.
type Authenticator struct {
	// Client creates TokenReviews and SubjectAccessReviews.
	Client client.Client
	// ClientCAs verify client certificates; nil refuses them.
	ClientCAs *x509.CertPool
}

// Authenticate identifies the caller of r.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request) (*User, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		token, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || strings.TrimSpace(token) == "" {
			return nil, fmt.Errorf("%w: the Authorization header must be \"Bearer <token>\"", ErrUnauthenticated)
		}
		return a.reviewToken(ctx, strings.TrimSpace(token))
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		return a.verifyCertificate(r.TLS.PeerCertificates)
	}
	return nil, fmt.Errorf("%w: send the Supervisor credentials of your kubeconfig (a bearer token or a client certificate)", ErrUnauthenticated)
}

func (a *Authenticator) reviewToken(ctx context.Context, token string) (*User, error) {
	review := &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token}}
	if err := a.Client.Create(ctx, review); err != nil {
		return nil, fmt.Errorf("reviewing the token: %w", err)
	}
	if !review.Status.Authenticated {
		msg := review.Status.Error
		if msg == "" {
			msg = "the token is invalid or expired"
		}
		return nil, fmt.Errorf("%w: %s", ErrUnauthenticated, msg)
	}
	u := review.Status.User
	extra := map[string][]string{}
	for k, v := range u.Extra {
		extra[k] = v
	}
	return &User{Name: u.Username, UID: u.UID, Groups: u.Groups, Extra: extra}, nil
}

func (a *Authenticator) verifyCertificate(chain []*x509.Certificate) (*User, error) {
	if a.ClientCAs == nil {
		return nil, fmt.Errorf("%w: client certificates are not accepted here", ErrUnauthenticated)
	}
	inter := x509.NewCertPool()
	for _, c := range chain[1:] {
		inter.AddCert(c)
	}
	_, err := chain[0].Verify(x509.VerifyOptions{Roots: a.ClientCAs, Intermediates: inter, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}})
	if err != nil {
		return nil, fmt.Errorf("%w: the client certificate: %v", ErrUnauthenticated, err)
	}
	subject := chain[0].Subject
	if subject.CommonName == "" {
		return nil, fmt.Errorf("%w: the client certificate has no common name", ErrUnauthenticated)
	}
	groups := append([]string(nil), subject.Organization...)
	return &User{Name: subject.CommonName, Groups: append(groups, "system:authenticated")}, nil
}

// Allowed asks the API server whether u may do what attrs say, and if not,
// why.
func (a *Authenticator) Allowed(ctx context.Context, u *User, attrs authorizationv1.ResourceAttributes) (bool, string, error) {
	extra := map[string]authorizationv1.ExtraValue{}
	for k, v := range u.Extra {
		extra[k] = v
	}
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User: u.Name, UID: u.UID, Groups: u.Groups, Extra: extra, ResourceAttributes: &attrs,
	}}
	if err := a.Client.Create(ctx, sar); err != nil {
		return false, "", fmt.Errorf("checking permissions: %w", err)
	}
	return sar.Status.Allowed && !sar.Status.Denied, sar.Status.Reason, nil
}
