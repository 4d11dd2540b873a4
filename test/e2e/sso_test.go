package e2e

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kubevisorv1alpha1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/scheme"
	"github.com/kubevisor/kubevisor/internal/sso/api"
	"github.com/kubevisor/kubevisor/internal/sso/store"
	"github.com/kubevisor/kubevisor/internal/sso/tokens"
	"github.com/kubevisor/kubevisor/test/framework"
)

// adminClient returns a controller-runtime client for s as the admin.
func adminClient(t *testing.T, s *framework.Supervisor) client.Client {
	t.Helper()
	cfg, err := s.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	sch, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: sch})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// createSSOUser creates an SSO user with password, in the way `kubevisor
// sso user add` stores it, and deletes it when the test ends.
func createSSOUser(t *testing.T, c client.Client, name, password string, groups ...string) {
	t.Helper()
	ctx := ctxFor(t, time.Minute)
	u := &kubevisorv1alpha1.User{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := c.Create(ctx, u); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), u) })
	hash, err := store.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, store.PasswordSecret(u, hash)); err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		grp := &kubevisorv1alpha1.Group{ObjectMeta: metav1.ObjectMeta{Name: g}, Spec: kubevisorv1alpha1.GroupSpec{Members: []string{name}}}
		if err := c.Create(ctx, grp); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Delete(context.Background(), grp) })
	}
}

// ssoLogin calls the SSO login endpoint and returns the status code and,
// on success, the response.
func ssoLogin(t *testing.T, s *framework.Supervisor, user, password string) (int, *api.LoginResponse) {
	t.Helper()
	pool, err := s.CAPool()
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}
	req, err := http.NewRequest(http.MethodPost, "https://"+s.SSOAddress()+api.LoginPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, password)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		if strings.Contains(string(body), "session_id") {
			t.Fatalf("a refused login returned a token: %s", body)
		}
		return resp.StatusCode, nil
	}
	out := &api.LoginResponse{}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// whoAmI asks the API server who the bearer of token is. It returns the
// HTTP status for refused tokens.
func whoAmI(t *testing.T, s *framework.Supervisor, token string) (*authenticationv1.UserInfo, error) {
	t.Helper()
	cfg, err := s.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	anon := rest.AnonymousClientConfig(cfg)
	anon.BearerToken = token
	cs, err := kubernetes.NewForConfig(anon)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return nil, err
	}
	return &r.Status.UserInfo, nil
}

// signingKeys reads the Supervisor's SSO signing keys from its data
// directory, as an attacker with the files, or a test, could.
func signingKeys(t *testing.T, s *framework.Supervisor) *tokens.KeySet {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(s.Opts.DataDir, "pki", "sso-signing-keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	ks, err := tokens.Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	return ks
}

// TestSSOAuthentication covers issue 3's authentication acceptance: the
// tokens the SSO endpoint issues are accepted by the API server with the
// sso: prefix, and a wrong password, an expired token, a token signed by
// another key and a deleted user's token after its expiry are all refused.
func TestSSOAuthentication(t *testing.T) {
	s := shared
	c := adminClient(t, s)
	user := fmt.Sprintf("alice-%d", time.Now().UnixNano()%100000)
	group := user + "-devs"
	createSSOUser(t, c, user, "correct horse battery", group)

	t.Run("WrongPasswordIssuesNoToken", func(t *testing.T) {
		if code, _ := ssoLogin(t, s, user, "wrong password!"); code != http.StatusUnauthorized {
			t.Fatalf("wrong password: got HTTP %d, want 401", code)
		}
		if code, _ := ssoLogin(t, s, "nobody-at-all", "whatever123"); code != http.StatusUnauthorized {
			t.Fatalf("unknown user: got HTTP %d, want 401", code)
		}
	})

	var issuer string
	t.Run("TokenIsAccepted", func(t *testing.T) {
		code, resp := ssoLogin(t, s, user, "correct horse battery")
		if code != http.StatusOK {
			t.Fatalf("login: HTTP %d", code)
		}
		if ttl := time.Until(resp.ExpiresAt); ttl < 9*time.Hour || ttl > 10*time.Hour+time.Minute {
			t.Errorf("token lifetime %s, want the default 10h", ttl)
		}
		if resp.Server != s.Server() || len(resp.CAData) == 0 {
			t.Errorf("login response names server %q (want %q) with %d bytes of CA", resp.Server, s.Server(), len(resp.CAData))
		}
		// The API server's JWT authenticator may still be fetching the
		// issuer's keys right after start; it retries on its own.
		var info *authenticationv1.UserInfo
		deadline := time.Now().Add(30 * time.Second)
		for {
			var err error
			if info, err = whoAmI(t, s, resp.SessionID); err == nil || time.Now().After(deadline) {
				if err != nil {
					t.Fatalf("the API server refuses a fresh SSO token: %v", err)
				}
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
		if info.Username != "sso:"+user {
			t.Errorf("username %q, want %q", info.Username, "sso:"+user)
		}
		if !contains(info.Groups, "sso:"+group) {
			t.Errorf("groups %v lack %q", info.Groups, "sso:"+group)
		}
		claims, err := tokens.Verify(signingKeys(t, s), issuerOf(t, resp.SessionID), resp.SessionID, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		issuer = claims.Issuer
	})
	if issuer == "" {
		t.FailNow()
	}

	t.Run("ExpiredTokenRefused", func(t *testing.T) {
		tok, _, err := tokens.Issue(signingKeys(t, s), issuer, user, nil, time.Now().Add(-2*time.Hour), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := whoAmI(t, s, tok); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
			t.Fatalf("an expired token: got %v, want Unauthorized", err)
		}
	})

	t.Run("TokenFromAnotherKeyRefused", func(t *testing.T) {
		other := &tokens.KeySet{}
		if _, err := other.Rotate(time.Now(), time.Hour, time.Hour); err != nil {
			t.Fatal(err)
		}
		tok, _, err := tokens.Issue(other, issuer, user, nil, time.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := whoAmI(t, s, tok); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
			t.Fatalf("a token signed by another key: got %v, want Unauthorized", err)
		}
	})

	t.Run("DeletedUserAfterExpiryRefused", func(t *testing.T) {
		gone := user + "-gone"
		createSSOUser(t, c, gone, "temporary password")
		tok, exp, err := tokens.Issue(signingKeys(t, s), issuer, gone, nil, time.Now(), 4*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := whoAmI(t, s, tok); err != nil {
			t.Fatalf("the short-lived token is refused before expiry: %v", err)
		}
		if err := c.Delete(context.Background(), &kubevisorv1alpha1.User{ObjectMeta: metav1.ObjectMeta{Name: gone}}); err != nil {
			t.Fatal(err)
		}
		if code, _ := ssoLogin(t, s, gone, "temporary password"); code != http.StatusUnauthorized {
			t.Errorf("a deleted user logged in: HTTP %d", code)
		}
		// The case is "after its expiry"; the API server remembers a
		// successful check for at most 1 s.
		time.Sleep(time.Until(exp) + 2*time.Second)
		if _, err := whoAmI(t, s, tok); err == nil || !strings.Contains(err.Error(), "Unauthorized") {
			t.Fatalf("a deleted user's token after expiry: got %v, want Unauthorized", err)
		}
	})
}

func issuerOf(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	var claims struct {
		Iss string `json:"iss"`
	}
	payload, err := decodeSegment(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	return claims.Iss
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func decodeSegment(seg string) ([]byte, error) {
	return base64.RawURLEncoding.DecodeString(seg)
}

// TestExternalOIDCProvider adds an external OIDC issuer by configuration (an
// OIDCProvider object) and checks that the API server accepts its tokens
// with the provider's prefix, then stops accepting them once the provider
// is deleted. The issuer is an HTTPS server run by the test: it serves the
// discovery document and keys of a key the test signs with, exactly what a
// real identity provider serves.
func TestExternalOIDCProvider(t *testing.T) {
	s := shared
	c := adminClient(t, s)
	keys := &tokens.KeySet{}
	if _, err := keys.Rotate(time.Now(), time.Hour, time.Hour); err != nil {
		t.Fatal(err)
	}
	idp := httptest.NewUnstartedServer(nil)
	idp.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]any{
				"issuer": idp.URL, "jwks_uri": idp.URL + "/keys",
				"id_token_signing_alg_values_supported": []string{"ES256"},
			})
		case "/keys":
			_ = json.NewEncoder(w).Encode(keys.JWKS())
		default:
			http.NotFound(w, r)
		}
	})
	idp.StartTLS()
	defer idp.Close()
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: idp.Certificate().Raw})

	name := fmt.Sprintf("idp-%d", time.Now().UnixNano()%100000)
	provider := &kubevisorv1alpha1.OIDCProvider{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: kubevisorv1alpha1.OIDCProviderSpec{
			IssuerURL: idp.URL, ClientID: "kubevisor-test", UsernameClaim: "username", GroupsClaim: "groups",
			UsernamePrefix: "corp:", CertificateAuthority: string(caPEM),
		},
	}
	ctx := ctxFor(t, 3*time.Minute)
	if err := c.Create(ctx, provider); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), provider) })

	// A token the identity provider issued, for its own client ID.
	tok, _, err := tokens.IssueFor(keys, idp.URL, "kubevisor-test", "bob", []string{"eng"}, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// The API server reloads its authentication configuration when the
	// file changes and initialises the new issuer in the background.
	var info *authenticationv1.UserInfo
	deadline := time.Now().Add(90 * time.Second)
	for {
		if info, err = whoAmI(t, s, tok); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API server does not accept the external issuer's token: %v", err)
		}
		time.Sleep(time.Second)
	}
	if info.Username != "corp:bob" || !contains(info.Groups, "corp:eng") {
		t.Errorf("external user = %q %v, want corp:bob in corp:eng", info.Username, info.Groups)
	}
	got := &kubevisorv1alpha1.OIDCProvider{}
	if err := c.Get(ctx, client.ObjectKeyFromObject(provider), got); err != nil {
		t.Fatal(err)
	}
	if cond := meta.FindStatusCondition(got.Status.Conditions, kubevisorv1alpha1.ReadyCondition); cond == nil || cond.Status != metav1.ConditionTrue {
		t.Errorf("OIDCProvider Ready condition = %+v", cond)
	}

	if err := c.Delete(ctx, provider); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(90 * time.Second)
	for {
		if _, err = whoAmI(t, s, tok); err != nil && strings.Contains(err.Error(), "Unauthorized") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API server still accepts the removed issuer's token: %v", err)
		}
		time.Sleep(time.Second)
	}
}
