package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kubevisorv1alpha1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	runv1alpha3 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/certs"
	"github.com/kubevisor/kubevisor/internal/sso/api"
	"github.com/kubevisor/kubevisor/internal/sso/store"
	"github.com/kubevisor/kubevisor/internal/sso/tokens"
)

// Prefix is prepended to SSO user and group names in the Supervisor's API
// (and guest clusters), so they never collide with service accounts,
// system identities or another issuer's users.
const Prefix = "sso:"

// Config configures the SSO server.
type Config struct {
	// Issuer is the issuer URL, https://host:port of this server.
	Issuer string
	// Listen is the address to listen on.
	Listen string
	// CertFile and KeyFile are the serving certificate.
	CertFile, KeyFile string
	// KeysFile holds the signing keys.
	KeysFile string
	// TokenTTL is how long a token is valid.
	TokenTTL time.Duration
	// RotateEvery is how often a new signing key is made.
	RotateEvery time.Duration
	// APIServer is the Supervisor API server's URL, handed to clients.
	APIServer string
	// CAPEM is the Supervisor's certificate authority, handed to clients.
	CAPEM []byte
	// Client reads users, groups and namespaces from the Supervisor's API.
	Client client.Client
	// Handlers are further handlers served on the same endpoint, by path
	// prefix (the content library's /library/, say). They may read client
	// certificates: the endpoint asks for them without requiring them.
	Handlers map[string]http.Handler
}

// Server is the SSO server.
type Server struct {
	cfg Config
	now func() time.Time

	mu   sync.RWMutex
	keys *tokens.KeySet
}

// New loads the signing keys, creating the first one when there are none.
func New(cfg Config) (*Server, error) {
	s := &Server{cfg: cfg, now: time.Now}
	ks := &tokens.KeySet{}
	data, err := os.ReadFile(cfg.KeysFile)
	switch {
	case err == nil:
		if ks, err = tokens.Unmarshal(data); err != nil {
			return nil, err
		}
	case !errors.Is(err, os.ErrNotExist):
		return nil, err
	}
	s.keys = ks
	if err := s.rotate(); err != nil {
		return nil, err
	}
	return s, nil
}

// rotate makes a new key when one is due and saves the set.
func (s *Server) rotate() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := &tokens.KeySet{Keys: slices.Clone(s.keys.Keys)}
	changed, err := next.Rotate(s.now(), s.cfg.RotateEvery, s.cfg.TokenTTL)
	if err != nil || !changed {
		return err
	}
	data, err := next.Marshal()
	if err != nil {
		return err
	}
	if err := certs.WriteFile(s.cfg.KeysFile, data, 0o600); err != nil {
		return fmt.Errorf("saving signing keys: %w", err)
	}
	s.keys = next
	return nil
}

func (s *Server) keySet() *tokens.KeySet {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.keys
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", s.discovery)
	mux.HandleFunc("GET /openid/v1/jwks", s.jwks)
	mux.HandleFunc("POST "+api.LoginPath, s.login)
	mux.HandleFunc("GET "+api.NamespacesPath, s.namespaces)
	mux.HandleFunc("GET "+api.ClustersPathPrefix+"{namespace}/{name}", s.cluster)
	for prefix, h := range s.cfg.Handlers {
		mux.Handle(prefix, h)
	}
	return mux
}

// Start serves until ctx is cancelled, rotating keys as they fall due.
func (s *Server) Start(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		return fmt.Errorf("sso: %w", err)
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig:         &tls.Config{ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12},
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ServeTLS(ln, s.cfg.CertFile, s.cfg.KeyFile) }()

	tick := time.NewTicker(time.Minute)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return srv.Shutdown(shutdown)
		case err := <-errc:
			return fmt.Errorf("sso: %w", err)
		case <-tick.C:
			if err := s.rotate(); err != nil {
				klog.FromContext(ctx).Error(err, "Rotating SSO signing keys")
			}
		}
	}
}

func (s *Server) discovery(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"issuer":                                s.cfg.Issuer,
		"jwks_uri":                              s.cfg.Issuer + "/openid/v1/jwks",
		"response_types_supported":              []string{"id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"ES256"},
		"claims_supported":                      []string{"sub", "username", "groups", "iss", "aud", "exp", "iat"},
	})
}

func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=60")
	writeJSON(w, http.StatusOK, s.keySet().JWKS())
}

// errBadCredentials is all a failed login learns: not whether the user
// exists.
const errBadCredentials = "invalid username or password"

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	username, password, ok := r.BasicAuth()
	if !ok || username == "" {
		w.Header().Set("WWW-Authenticate", `Basic realm="kubevisor"`)
		writeError(w, http.StatusUnauthorized, "send the user name and password with HTTP Basic authentication")
		return
	}
	ctx := r.Context()
	log := klog.FromContext(ctx).WithValues("user", username)
	user := &kubevisorv1alpha1.User{}
	if err := s.cfg.Client.Get(ctx, client.ObjectKey{Name: username}, user); err != nil {
		if apierrors.IsNotFound(err) {
			store.CheckPassword(nil, password) // spend the same time as a real check
			writeError(w, http.StatusUnauthorized, errBadCredentials)
			return
		}
		s.unavailable(w, log, err)
		return
	}
	secret := &corev1.Secret{}
	if err := s.cfg.Client.Get(ctx, client.ObjectKey{Namespace: store.SystemNamespace, Name: store.PasswordSecretName(username)}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			writeError(w, http.StatusUnauthorized, errBadCredentials)
			return
		}
		s.unavailable(w, log, err)
		return
	}
	hash, err := store.Hash(secret)
	if err != nil || !store.CheckPassword(hash, password) || user.Spec.Disabled {
		log.Info("Login refused")
		writeError(w, http.StatusUnauthorized, errBadCredentials)
		return
	}
	groups, err := s.groupsOf(ctx, username)
	if err != nil {
		s.unavailable(w, log, err)
		return
	}
	tok, exp, err := tokens.Issue(s.keySet(), s.cfg.Issuer, username, groups, s.now(), s.cfg.TokenTTL)
	if err != nil {
		s.unavailable(w, log, err)
		return
	}
	log.Info("Login", "groups", groups, "expires", exp)
	writeJSON(w, http.StatusOK, api.LoginResponse{SessionID: tok, ExpiresAt: exp, Server: s.cfg.APIServer, CAData: s.cfg.CAPEM})
}

func (s *Server) groupsOf(ctx context.Context, username string) ([]string, error) {
	list := &kubevisorv1alpha1.GroupList{}
	if err := s.cfg.Client.List(ctx, list); err != nil {
		return nil, err
	}
	groups := []string{}
	for _, g := range list.Items {
		if slices.Contains(g.Spec.Members, username) {
			groups = append(groups, g.Name)
		}
	}
	slices.Sort(groups)
	return groups, nil
}

// authenticate verifies the request's bearer token.
func (s *Server) authenticate(w http.ResponseWriter, r *http.Request) (*tokens.Claims, bool) {
	raw, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || raw == "" {
		writeError(w, http.StatusUnauthorized, "send the session token as a Bearer token; log in first")
		return nil, false
	}
	claims, err := tokens.Verify(s.keySet(), s.cfg.Issuer, raw, s.now())
	if err != nil {
		writeError(w, http.StatusUnauthorized, "the session token is invalid or expired; log in again")
		return nil, false
	}
	return claims, true
}

func (s *Server) namespaces(w http.ResponseWriter, r *http.Request) {
	claims, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	list := &kubevisorv1alpha1.SupervisorNamespaceList{}
	if err := s.cfg.Client.List(r.Context(), list); err != nil {
		s.unavailable(w, klog.FromContext(r.Context()), err)
		return
	}
	writeJSON(w, http.StatusOK, api.NamespacesResponse{Namespaces: NamespacesFor(list.Items, claims.Username, claims.Groups)})
}

// NamespacesFor returns the names of the namespaces in which username, or
// one of groups, holds a role.
func NamespacesFor(namespaces []kubevisorv1alpha1.SupervisorNamespace, username string, groups []string) []string {
	out := []string{}
	for _, ns := range namespaces {
		if ns.DeletionTimestamp != nil {
			continue
		}
		for _, p := range ns.Spec.Permissions {
			name := strings.TrimPrefix(p.Subject.Name, Prefix)
			if (p.Subject.Kind == kubevisorv1alpha1.SubjectKindUser && name == username) ||
				(p.Subject.Kind == kubevisorv1alpha1.SubjectKindGroup && slices.Contains(groups, name)) {
				out = append(out, ns.Name)
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

func (s *Server) cluster(w http.ResponseWriter, r *http.Request) {
	claims, ok := s.authenticate(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	ns, name := r.PathValue("namespace"), r.PathValue("name")
	groups := make([]string, 0, len(claims.Groups)+1)
	for _, g := range claims.Groups {
		groups = append(groups, Prefix+g)
	}
	groups = append(groups, "system:authenticated")
	// Answer only what the user could read through the API themselves.
	review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   Prefix + claims.Username,
		Groups: groups,
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Namespace: ns, Verb: "get", Group: runv1alpha3.GroupVersion.Group, Resource: "tanzukubernetesclusters", Name: name,
		},
	}}
	if err := s.cfg.Client.Create(ctx, review); err != nil {
		s.unavailable(w, klog.FromContext(ctx), err)
		return
	}
	notFound := fmt.Sprintf("no TanzuKubernetesCluster %s in namespace %s that you may use", name, ns)
	if !review.Status.Allowed {
		writeError(w, http.StatusNotFound, notFound)
		return
	}
	tkc := &runv1alpha3.TanzuKubernetesCluster{}
	if err := s.cfg.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, tkc); err != nil {
		if apierrors.IsNotFound(err) {
			writeError(w, http.StatusNotFound, notFound)
			return
		}
		s.unavailable(w, klog.FromContext(ctx), err)
		return
	}
	if len(tkc.Status.APIEndpoints) == 0 {
		writeError(w, http.StatusConflict, fmt.Sprintf("TanzuKubernetesCluster %s/%s has no API endpoint yet; wait until it is running", ns, name))
		return
	}
	ep := tkc.Status.APIEndpoints[0]
	resp := api.ClusterResponse{Server: fmt.Sprintf("https://%s", net.JoinHostPort(ep.Host, fmt.Sprint(ep.Port)))}
	// Cluster API keeps a cluster's CA in the "<name>-ca" Secret.
	ca := &corev1.Secret{}
	if err := s.cfg.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name + "-ca"}, ca); err == nil {
		resp.CAData = ca.Data[corev1.TLSCertKey]
	}
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) unavailable(w http.ResponseWriter, log klog.Logger, err error) {
	log.Error(err, "SSO request failed")
	writeError(w, http.StatusServiceUnavailable, "the Supervisor cannot answer right now; try again shortly")
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, api.ErrorResponse{Error: msg})
}
