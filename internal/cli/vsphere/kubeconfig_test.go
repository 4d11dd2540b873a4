package vsphere

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// adminConfig is a kubeconfig with an entry login must leave alone.
func adminConfig() *clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["kubevisor"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:6443", CertificateAuthorityData: []byte("admin-ca")}
	cfg.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: []byte("cert")}
	cfg.Contexts["kubevisor"] = &clientcmdapi.Context{Cluster: "kubevisor", AuthInfo: "admin"}
	cfg.CurrentContext = "kubevisor"
	return cfg
}

func supervisorLogin() Login {
	return Login{
		Username:   "alice",
		Token:      "tok",
		Supervisor: Endpoint{Server: "https://127.0.0.1:6443", CAData: []byte("ca")},
		Namespaces: []string{"team-b", "team-a", "team-a"},
	}
}

func TestApplyLogin(t *testing.T) {
	tests := []struct {
		name         string
		before       func() *clientcmdapi.Config
		login        func() Login
		wantContexts []string // all contexts in the resulting config
		wantResult   Result
		wantErr      string
		check        func(t *testing.T, cfg *clientcmdapi.Config)
	}{
		{
			name:         "into an empty kubeconfig",
			before:       clientcmdapi.NewConfig,
			login:        supervisorLogin,
			wantContexts: []string{"127.0.0.1", "team-a", "team-b"},
			wantResult:   Result{Contexts: []string{"127.0.0.1", "team-a", "team-b"}, Current: "127.0.0.1"},
			check: func(t *testing.T, cfg *clientcmdapi.Config) {
				u := cfg.AuthInfos["wcp:127.0.0.1:alice"]
				if u == nil || u.Token != "tok" {
					t.Errorf("user wcp:127.0.0.1:alice = %+v", u)
				}
				c := cfg.Clusters["127.0.0.1"]
				if c == nil || c.Server != "https://127.0.0.1:6443" || string(c.CertificateAuthorityData) != "ca" || c.InsecureSkipTLSVerify {
					t.Errorf("cluster 127.0.0.1 = %+v", c)
				}
				if ctx := cfg.Contexts["127.0.0.1"]; ctx.Namespace != "" || ctx.Cluster != "127.0.0.1" || ctx.AuthInfo != "wcp:127.0.0.1:alice" {
					t.Errorf("context 127.0.0.1 = %+v", ctx)
				}
				if ctx := cfg.Contexts["team-a"]; ctx.Namespace != "team-a" || ctx.Cluster != "127.0.0.1" || ctx.AuthInfo != "wcp:127.0.0.1:alice" {
					t.Errorf("context team-a = %+v", ctx)
				}
			},
		},
		{
			name:         "keeps everything else",
			before:       adminConfig,
			login:        supervisorLogin,
			wantContexts: []string{"127.0.0.1", "kubevisor", "team-a", "team-b"},
			wantResult:   Result{Contexts: []string{"127.0.0.1", "team-a", "team-b"}, Current: "127.0.0.1"},
			check: func(t *testing.T, cfg *clientcmdapi.Config) {
				if diff := cmp.Diff(adminConfig().Clusters["kubevisor"], cfg.Clusters["kubevisor"]); diff != "" {
					t.Errorf("cluster kubevisor changed: %s", diff)
				}
				if cfg.AuthInfos["admin"] == nil {
					t.Error("user admin removed")
				}
			},
		},
		{
			name: "a second login forgets namespaces no longer granted",
			before: func() *clientcmdapi.Config {
				cfg := adminConfig()
				if _, err := ApplyLogin(cfg, supervisorLogin()); err != nil {
					panic(err)
				}
				return cfg
			},
			login: func() Login {
				l := supervisorLogin()
				l.Token, l.Namespaces = "tok2", []string{"team-c"}
				return l
			},
			wantContexts: []string{"127.0.0.1", "kubevisor", "team-c"},
			wantResult:   Result{Contexts: []string{"127.0.0.1", "team-c"}, Current: "127.0.0.1"},
			check: func(t *testing.T, cfg *clientcmdapi.Config) {
				if tok := cfg.AuthInfos["wcp:127.0.0.1:alice"].Token; tok != "tok2" {
					t.Errorf("token = %q, want the new one", tok)
				}
			},
		},
		{
			name: "another user's contexts stay",
			before: func() *clientcmdapi.Config {
				cfg := clientcmdapi.NewConfig()
				l := supervisorLogin()
				l.Username, l.Namespaces = "bob", []string{"team-bob"}
				if _, err := ApplyLogin(cfg, l); err != nil {
					panic(err)
				}
				return cfg
			},
			login:        supervisorLogin,
			wantContexts: []string{"127.0.0.1", "team-a", "team-b", "team-bob"},
			wantResult:   Result{Contexts: []string{"127.0.0.1", "team-a", "team-b"}, Current: "127.0.0.1"},
		},
		{
			name: "a workload cluster becomes the current context",
			before: func() *clientcmdapi.Config {
				return adminConfig()
			},
			login: func() Login {
				l := supervisorLogin()
				l.ClusterName = "dev"
				l.ClusterEndpoint = Endpoint{Server: "https://198.18.0.10:6443", CAData: []byte("guest-ca")}
				return l
			},
			wantContexts: []string{"127.0.0.1", "dev", "kubevisor", "team-a", "team-b"},
			wantResult:   Result{Contexts: []string{"127.0.0.1", "team-a", "team-b", "dev"}, Current: "dev"},
			check: func(t *testing.T, cfg *clientcmdapi.Config) {
				ctx := cfg.Contexts["dev"]
				if ctx.Cluster != "198.18.0.10:6443" || ctx.AuthInfo != "wcp:198.18.0.10:alice" || ctx.Namespace != "" {
					t.Errorf("context dev = %+v", ctx)
				}
				if c := cfg.Clusters["198.18.0.10:6443"]; c == nil || string(c.CertificateAuthorityData) != "guest-ca" {
					t.Errorf("cluster 198.18.0.10:6443 = %+v", c)
				}
				if u := cfg.AuthInfos["wcp:198.18.0.10:alice"]; u == nil || u.Token != "tok" {
					t.Errorf("user wcp:198.18.0.10:alice = %+v", u)
				}
			},
		},
		{
			name: "a foreign context of a namespace's name is skipped",
			before: func() *clientcmdapi.Config {
				cfg := adminConfig()
				cfg.Contexts["team-a"] = &clientcmdapi.Context{Cluster: "kubevisor", AuthInfo: "admin"}
				return cfg
			},
			login:        supervisorLogin,
			wantContexts: []string{"127.0.0.1", "kubevisor", "team-a", "team-b"},
			wantResult:   Result{Contexts: []string{"127.0.0.1", "team-b"}, Skipped: []string{"team-a"}, Current: "127.0.0.1"},
			check: func(t *testing.T, cfg *clientcmdapi.Config) {
				if cfg.Contexts["team-a"].AuthInfo != "admin" {
					t.Error("the foreign context team-a was overwritten")
				}
			},
		},
		{
			name: "a foreign context of the Supervisor's name is refused",
			before: func() *clientcmdapi.Config {
				cfg := adminConfig()
				cfg.Contexts["127.0.0.1"] = &clientcmdapi.Context{Cluster: "kubevisor", AuthInfo: "admin"}
				return cfg
			},
			login:   supervisorLogin,
			wantErr: `context "127.0.0.1" is not one kubectl vsphere wrote`,
		},
		{
			name: "a foreign cluster entry of the Supervisor's name is refused",
			before: func() *clientcmdapi.Config {
				cfg := adminConfig()
				cfg.Clusters["127.0.0.1"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:7443"}
				cfg.Contexts["other"] = &clientcmdapi.Context{Cluster: "127.0.0.1", AuthInfo: "admin"}
				return cfg
			},
			login:   supervisorLogin,
			wantErr: `cluster "127.0.0.1" (server https://127.0.0.1:7443) is used by context "other"`,
		},
		{
			name:   "insecure without a CA",
			before: clientcmdapi.NewConfig,
			login: func() Login {
				l := supervisorLogin()
				l.Supervisor.CAData, l.InsecureSkipTLSVerify = nil, true
				return l
			},
			wantContexts: []string{"127.0.0.1", "team-a", "team-b"},
			wantResult:   Result{Contexts: []string{"127.0.0.1", "team-a", "team-b"}, Current: "127.0.0.1"},
			check: func(t *testing.T, cfg *clientcmdapi.Config) {
				if !cfg.Clusters["127.0.0.1"].InsecureSkipTLSVerify {
					t.Error("insecure-skip-tls-verify not written")
				}
			},
		},
		{
			name:   "a server that is not a URL",
			before: clientcmdapi.NewConfig,
			login: func() Login {
				l := supervisorLogin()
				l.Supervisor.Server = "127.0.0.1:6443"
				return l
			},
			wantErr: "is not an https://host:port URL",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.before()
			before := cfg.DeepCopy()
			res, err := ApplyLogin(cfg, tt.login())
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				if diff := cmp.Diff(before, cfg); diff != "" {
					t.Errorf("config changed on error: %s", diff)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantResult, res, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
			if got := sortedKeys(cfg.Contexts); !slices.Equal(got, tt.wantContexts) {
				t.Errorf("contexts = %v, want %v", got, tt.wantContexts)
			}
			if cfg.CurrentContext != tt.wantResult.Current {
				t.Errorf("current-context = %q, want %q", cfg.CurrentContext, tt.wantResult.Current)
			}
			if tt.check != nil {
				tt.check(t, cfg)
			}
		})
	}
}

func TestApplyLogout(t *testing.T) {
	tests := []struct {
		name        string
		before      func() *clientcmdapi.Config
		wantRemoved []string
		wantCurrent string
	}{
		{
			name: "after a login",
			before: func() *clientcmdapi.Config {
				cfg := adminConfig()
				l := supervisorLogin()
				l.ClusterName = "dev"
				l.ClusterEndpoint = Endpoint{Server: "https://198.18.0.10:6443"}
				if _, err := ApplyLogin(cfg, l); err != nil {
					panic(err)
				}
				return cfg
			},
			wantRemoved: []string{"127.0.0.1", "dev", "team-a", "team-b"},
			wantCurrent: "",
		},
		{
			name: "the current context is kept when it is not the plugin's",
			before: func() *clientcmdapi.Config {
				cfg := adminConfig()
				if _, err := ApplyLogin(cfg, supervisorLogin()); err != nil {
					panic(err)
				}
				cfg.CurrentContext = "kubevisor"
				return cfg
			},
			wantRemoved: []string{"127.0.0.1", "team-a", "team-b"},
			wantCurrent: "kubevisor",
		},
		{
			name:        "nothing to remove",
			before:      adminConfig,
			wantCurrent: "kubevisor",
		},
		{
			name: "a cluster entry another context uses stays",
			before: func() *clientcmdapi.Config {
				cfg := adminConfig()
				if _, err := ApplyLogin(cfg, supervisorLogin()); err != nil {
					panic(err)
				}
				cfg.Contexts["mine"] = &clientcmdapi.Context{Cluster: "127.0.0.1", AuthInfo: "admin"}
				return cfg
			},
			wantRemoved: []string{"127.0.0.1", "team-a", "team-b"},
			wantCurrent: "",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.before()
			removed := ApplyLogout(cfg)
			if !slices.Equal(removed, tt.wantRemoved) {
				t.Errorf("removed %v, want %v", removed, tt.wantRemoved)
			}
			if cfg.CurrentContext != tt.wantCurrent {
				t.Errorf("current-context = %q, want %q", cfg.CurrentContext, tt.wantCurrent)
			}
			for name := range cfg.AuthInfos {
				if strings.HasPrefix(name, userPrefix) {
					t.Errorf("user %s left behind", name)
				}
			}
			// Every remaining context still resolves, and the admin's entries
			// are untouched.
			for name, c := range cfg.Contexts {
				if cfg.Clusters[c.Cluster] == nil {
					t.Errorf("context %s refers to the removed cluster %s", name, c.Cluster)
				}
			}
			want := adminConfig()
			if diff := cmp.Diff(want.Clusters["kubevisor"], cfg.Clusters["kubevisor"]); diff != "" {
				t.Errorf("cluster kubevisor changed: %s", diff)
			}
			if diff := cmp.Diff(want.Contexts["kubevisor"], cfg.Contexts["kubevisor"]); diff != "" {
				t.Errorf("context kubevisor changed: %s", diff)
			}
			if _, ok := cfg.Clusters["198.18.0.10:6443"]; ok {
				t.Error("the workload cluster's entry was left behind")
			}
		})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
