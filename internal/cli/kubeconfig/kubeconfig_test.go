package kubeconfig

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	kubevisorv1alpha1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
)

func TestOptions(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["a"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}
	cfg.Clusters["b"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:2"}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "t"}
	cfg.Contexts["a"] = &clientcmdapi.Context{Cluster: "a", AuthInfo: "u"}
	cfg.Contexts["b"] = &clientcmdapi.Context{Cluster: "b", AuthInfo: "u"}
	cfg.CurrentContext = "a"
	if err := clientcmd.WriteToFile(*cfg, good); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name       string
		o          Options
		env        string
		home       string
		wantServer string
		wantErr    string
	}{
		{name: "flag", o: Options{Kubeconfig: good}, wantServer: "https://127.0.0.1:1"},
		{name: "flag and context", o: Options{Kubeconfig: good, Context: "b"}, wantServer: "https://127.0.0.1:2"},
		{name: "KUBECONFIG", env: good, wantServer: "https://127.0.0.1:1"},
		{name: "flag wins over KUBECONFIG", o: Options{Kubeconfig: good, Context: "b"}, env: filepath.Join(dir, "missing"), wantServer: "https://127.0.0.1:2"},
		{name: "missing flag file", o: Options{Kubeconfig: filepath.Join(dir, "missing")}, wantErr: "--kubeconfig " + filepath.Join(dir, "missing")},
		{name: "unknown context", o: Options{Kubeconfig: good, Context: "c"}, wantErr: "--context c"},
		{name: "nothing", home: dir, wantErr: "no Supervisor found: pass --kubeconfig or set KUBECONFIG"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("KUBECONFIG", tt.env)
			t.Setenv("HOME", tt.home)
			rc, err := tt.o.RESTConfig()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rc.Host != tt.wantServer {
				t.Errorf("server = %s, want %s", rc.Host, tt.wantServer)
			}
		})
	}
}

func TestUnreachableSupervisor(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["a"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "t"}
	cfg.Contexts["a"] = &clientcmdapi.Context{Cluster: "a", AuthInfo: "u"}
	cfg.CurrentContext = "a"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	c, err := (&Options{Kubeconfig: path}).Client()
	if err != nil {
		t.Fatal(err)
	}
	err = c.List(context.Background(), &kubevisorv1alpha1.UserList{})
	if err == nil || !strings.Contains(err.Error(), "cannot reach the Supervisor at https://127.0.0.1:1 (is `kubevisor server` running") {
		t.Fatalf("error = %v", err)
	}
}
