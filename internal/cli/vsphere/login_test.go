package vsphere

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/client-go/tools/clientcmd"

	ssoapi "github.com/kubevisor/kubevisor/internal/sso/api"
)

// fakeSSO serves the SSO endpoint's contract for alice, whose password is
// "wonderland1" and who may use team-a and team-b, where cluster team-a/dev
// exists.
func fakeSSO(t *testing.T) *httptest.Server {
	t.Helper()
	const token = "jwt-for-alice"
	writeJSON := func(w http.ResponseWriter, status int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(v)
	}
	authorized := func(w http.ResponseWriter, r *http.Request) bool {
		if r.Header.Get("Authorization") != "Bearer "+token {
			writeJSON(w, http.StatusUnauthorized, ssoapi.ErrorResponse{Error: "invalid or expired token"})
			return false
		}
		return true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+ssoapi.LoginPath, func(w http.ResponseWriter, r *http.Request) {
		user, pw, ok := r.BasicAuth()
		if !ok || user != "alice" || pw != "wonderland1" {
			writeJSON(w, http.StatusUnauthorized, ssoapi.ErrorResponse{Error: "invalid user name or password"})
			return
		}
		writeJSON(w, http.StatusOK, ssoapi.LoginResponse{
			SessionID: token,
			ExpiresAt: time.Date(2030, 1, 1, 10, 0, 0, 0, time.UTC),
			Server:    "https://127.0.0.1:6443",
			CAData:    []byte("-----BEGIN CERTIFICATE-----\nsupervisor\n-----END CERTIFICATE-----\n"),
		})
	})
	mux.HandleFunc("GET "+ssoapi.NamespacesPath, func(w http.ResponseWriter, r *http.Request) {
		if authorized(w, r) {
			writeJSON(w, http.StatusOK, ssoapi.NamespacesResponse{Namespaces: []string{"team-a", "team-b"}})
		}
	})
	mux.HandleFunc("GET "+ssoapi.ClustersPathPrefix+"{namespace}/{name}", func(w http.ResponseWriter, r *http.Request) {
		if !authorized(w, r) {
			return
		}
		if r.PathValue("namespace") != "team-a" || r.PathValue("name") != "dev" {
			writeJSON(w, http.StatusNotFound, ssoapi.ErrorResponse{Error: "cluster " + r.PathValue("namespace") + "/" + r.PathValue("name") + " not found"})
			return
		}
		writeJSON(w, http.StatusOK, ssoapi.ClusterResponse{Server: "https://198.18.0.10:6443", CAData: []byte("guest-ca")})
	})
	srv := httptest.NewUnstartedServer(mux)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted-certificate test fails handshakes
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

func serverPool(srv *httptest.Server) *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())
	return pool
}

// runPlugin runs a plugin command (login with o, or logout) with args,
// stdin in and KUBECONFIG set to kubeconfig and another file, and returns
// stdout, stderr and the error.
func runPlugin(t *testing.T, o *loginOptions, args []string, in string, kubeconfig string) (string, string, error) {
	t.Helper()
	var cmd *cobra.Command
	switch {
	case args[0] == "logout":
		cmd = NewLogoutCommand()
	case o != nil:
		cmd = newLoginCommand(o)
	default:
		cmd = NewLoginCommand()
	}
	t.Setenv("KUBECONFIG", kubeconfig+string(os.PathListSeparator)+filepath.Join(filepath.Dir(kubeconfig), "second"))
	var stdout, stderr bytes.Buffer
	cmd.SetIn(strings.NewReader(in))
	cmd.SetOut(&stdout)
	cmd.SetErr(&stderr)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	cmd.SetArgs(args[1:])
	err := cmd.ExecuteContext(context.Background())
	return stdout.String(), stderr.String(), err
}

func TestLoginAndLogout(t *testing.T) {
	srv := fakeSSO(t)
	addr := strings.TrimPrefix(srv.URL, "https://")
	trusted := func() *loginOptions {
		return &loginOptions{rootCAs: serverPool(srv), now: func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) }}
	}
	setPassword := func(t *testing.T, pw string) {
		t.Setenv(PasswordEnv, pw)
	}
	unsetPassword := func(t *testing.T) {
		t.Setenv(PasswordEnv, "")
		os.Unsetenv(PasswordEnv)
	}

	t.Run("login from the environment, then logout", func(t *testing.T) {
		setPassword(t, "wonderland1")
		kubeconfig := filepath.Join(t.TempDir(), "dir", "config")
		if err := WriteKubeconfig(adminConfig(), kubeconfig); err != nil {
			t.Fatal(err)
		}
		stdout, _, err := runPlugin(t, trusted(), []string{"login", "--server", addr, "--vsphere-username", "alice"}, "", kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Logged in successfully.", "   127.0.0.1\n   team-a\n   team-b\n", "(in 10h)"} {
			if !strings.Contains(stdout, want) {
				t.Errorf("output lacks %q:\n%s", want, stdout)
			}
		}
		cfg, err := clientcmd.LoadFromFile(kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.CurrentContext != "127.0.0.1" {
			t.Errorf("current-context = %q", cfg.CurrentContext)
		}
		if got := sortedKeys(cfg.Contexts); strings.Join(got, " ") != "127.0.0.1 kubevisor team-a team-b" {
			t.Errorf("contexts = %v", got)
		}
		if u := cfg.AuthInfos["wcp:127.0.0.1:alice"]; u == nil || u.Token != "jwt-for-alice" {
			t.Errorf("user = %+v", u)
		}
		if c := cfg.Clusters["127.0.0.1"]; c == nil || !strings.Contains(string(c.CertificateAuthorityData), "supervisor") {
			t.Errorf("cluster = %+v", c)
		}
		if _, err := os.Stat(filepath.Join(filepath.Dir(kubeconfig), "second")); err == nil {
			t.Error("wrote the second file of KUBECONFIG")
		}

		stdout, _, err = runPlugin(t, nil, []string{"logout"}, "", kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout, "127.0.0.1, team-a, team-b") {
			t.Errorf("logout output: %s", stdout)
		}
		cfg, err = clientcmd.LoadFromFile(kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		if got := sortedKeys(cfg.Contexts); strings.Join(got, " ") != "kubevisor" {
			t.Errorf("contexts after logout = %v", got)
		}
		if got := sortedKeys(cfg.Clusters); strings.Join(got, " ") != "kubevisor" {
			t.Errorf("clusters after logout = %v", got)
		}
		if got := sortedKeys(cfg.AuthInfos); strings.Join(got, " ") != "admin" {
			t.Errorf("users after logout = %v", got)
		}
	})

	t.Run("password from stdin, guest cluster", func(t *testing.T) {
		unsetPassword(t)
		kubeconfig := filepath.Join(t.TempDir(), "config")
		_, _, err := runPlugin(t, trusted(), []string{"login", "--server", addr, "-u", "alice",
			"--tanzu-kubernetes-cluster-namespace", "team-a", "--tanzu-kubernetes-cluster-name", "dev"}, "wonderland1\n", kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := clientcmd.LoadFromFile(kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.CurrentContext != "dev" || cfg.Contexts["dev"].Cluster != "198.18.0.10:6443" {
			t.Errorf("current-context = %q, contexts = %v", cfg.CurrentContext, sortedKeys(cfg.Contexts))
		}
	})

	t.Run("unknown guest cluster", func(t *testing.T) {
		setPassword(t, "wonderland1")
		kubeconfig := filepath.Join(t.TempDir(), "config")
		_, _, err := runPlugin(t, trusted(), []string{"login", "--server", addr, "-u", "alice",
			"--tanzu-kubernetes-cluster-namespace", "team-a", "--tanzu-kubernetes-cluster-name", "nope"}, "", kubeconfig)
		if err == nil || !strings.Contains(err.Error(), "cluster team-a/nope not found") {
			t.Fatalf("error = %v", err)
		}
		if _, err := os.Stat(kubeconfig); err == nil {
			t.Error("kubeconfig written after a failed login")
		}
	})

	t.Run("wrong password", func(t *testing.T) {
		setPassword(t, "wrong-password")
		kubeconfig := filepath.Join(t.TempDir(), "config")
		_, _, err := runPlugin(t, trusted(), []string{"login", "--server", addr, "--vsphere-username", "alice"}, "", kubeconfig)
		if err == nil || !strings.Contains(err.Error(), "invalid user name or password (HTTP 401): check the user name and the password") {
			t.Fatalf("error = %v", err)
		}
		if _, err := os.Stat(kubeconfig); err == nil {
			t.Error("kubeconfig written after a failed login")
		}
	})

	t.Run("untrusted certificate", func(t *testing.T) {
		setPassword(t, "wonderland1")
		kubeconfig := filepath.Join(t.TempDir(), "config")
		_, _, err := runPlugin(t, nil, []string{"login", "--server", addr, "--vsphere-username", "alice"}, "", kubeconfig)
		if err == nil || !strings.Contains(err.Error(), "--insecure-skip-tls-verify") {
			t.Fatalf("error = %v, want it to name --insecure-skip-tls-verify", err)
		}
	})

	t.Run("insecure through the command", func(t *testing.T) {
		setPassword(t, "wonderland1")
		kubeconfig := filepath.Join(t.TempDir(), "config")
		stdout, stderr, err := runPlugin(t, nil, []string{"login", "--server", addr, "--vsphere-username", "alice", "--insecure-skip-tls-verify"}, "", kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stderr, "WARNING: not verifying the certificate") {
			t.Errorf("no warning on stderr: %q", stderr)
		}
		if !strings.Contains(stdout, "Logged in successfully.") {
			t.Errorf("stdout: %s", stdout)
		}
	})

	t.Run("flag errors", func(t *testing.T) {
		for _, tt := range []struct {
			args []string
			want string
		}{
			{[]string{"login", "-u", "alice"}, "--server is required"},
			{[]string{"login", "--server", addr}, "--vsphere-username is required"},
			{[]string{"login", "--server", addr, "-u", "alice", "--tanzu-kubernetes-cluster-name", "dev"}, "needs --tanzu-kubernetes-cluster-namespace"},
			{[]string{"login", "--server", "http://" + addr, "-u", "alice"}, "only https is supported"},
			{[]string{"login", "--server", "127.0.0.1:99999", "-u", "alice"}, "is not a number between 1 and 65535"},
		} {
			_, _, err := runPlugin(t, nil, tt.args, "", filepath.Join(t.TempDir(), "config"))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("%v: error = %v, want it to contain %q", tt.args, err, tt.want)
			}
		}
	})
}

// TestCADataIsBase64PEM pins the wire form of ca_data: base64 of the PEM.
func TestCADataIsBase64PEM(t *testing.T) {
	pemData := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1, 2, 3}})
	b, err := json.Marshal(ssoapi.ClusterResponse{Server: "https://x:6443", CAData: pemData})
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]string
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(raw["ca_data"], "LS0tLS1CRUdJTi") { // base64 of "-----BEGIN"
		t.Errorf("ca_data = %q, want base64 of a PEM", raw["ca_data"])
	}
}
