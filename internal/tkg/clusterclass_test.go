package tkg

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"sigs.k8s.io/yaml"
)

// renderPatches renders every enabled JSON patch of the builtin class for
// a target ("controlPlane" or "node-pool") with vars, the way Cluster
// API's inline patches do: Go templates with sprig's hermetic functions,
// whose output is read as YAML.
func renderPatches(t *testing.T, vars map[string]any, kind string) map[string]any {
	t.Helper()
	objs, err := BuiltinObjects("ns")
	if err != nil {
		t.Fatal(err)
	}
	cc := objs[len(objs)-1]
	patches, _, _ := unstructuredSlice(cc.Object, "spec", "patches")
	render := func(src string) []byte {
		tpl, err := template.New("t").Funcs(sprig.HermeticTxtFuncMap()).Parse(src)
		if err != nil {
			t.Fatalf("parsing %q: %v", src, err)
		}
		var buf bytes.Buffer
		if err := tpl.Execute(&buf, vars); err != nil {
			t.Fatalf("rendering %q: %v", src, err)
		}
		return buf.Bytes()
	}
	out := map[string]any{}
	for _, p := range patches {
		p := p.(map[string]any)
		if e, ok := p["enabledIf"].(string); ok {
			var v any
			if err := yaml.Unmarshal(render(e), &v); err != nil || v != true {
				continue
			}
		}
		for _, d := range p["definitions"].([]any) {
			d := d.(map[string]any)
			sel := d["selector"].(map[string]any)
			match := sel["matchResources"].(map[string]any)
			_, cp := match["controlPlane"]
			_, md := match["machineDeploymentClass"]
			if kind == "controlPlane" && !cp || kind == "node-pool" && !md {
				continue
			}
			for _, jp := range d["jsonPatches"].([]any) {
				jp := jp.(map[string]any)
				key := sel["kind"].(string) + jp["path"].(string)
				if v, ok := jp["value"]; ok {
					out[key] = v
					continue
				}
				from := jp["valueFrom"].(map[string]any)
				if name, ok := from["variable"].(string); ok {
					out[key] = vars[name]
					continue
				}
				var v any
				raw := render(from["template"].(string))
				if err := yaml.Unmarshal(raw, &v); err != nil {
					t.Fatalf("%s renders YAML that does not parse: %v\n%s", key, err, raw)
				}
				out[key] = v
			}
		}
	}
	return out
}

func unstructuredSlice(obj map[string]any, fields ...string) ([]any, bool, error) {
	var cur any = obj
	for _, f := range fields {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false, nil
		}
		cur = m[f]
	}
	s, ok := cur.([]any)
	return s, ok, nil
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestBuiltinClassPatches(t *testing.T) {
	tkrData := map[string]any{"v1.36.3+vmware.1": map[string]any{
		"kubernetesSpec": map[string]any{"version": "v1.36.3+vmware.1", "imageRepository": "kubevisor.local/k8s"},
		"osImageRef":     map[string]any{"name": "debian-12-amd64-v1.36.3---vmware.1-kubevisor.1"},
	}}
	minimal := map[string]any{
		"vmClass": "best-effort-small", "storageClass": "local", "TKR_DATA": tkrData,
		"builtin": map[string]any{
			"cluster":           map[string]any{"name": "c1"},
			"controlPlane":      map[string]any{"version": "v1.36.3+vmware.1", "name": "c1-cp"},
			"machineDeployment": map[string]any{"version": "v1.36.3+vmware.1", "class": "node-pool"},
		},
	}
	got := renderPatches(t, minimal, "node-pool")
	if got["VSphereMachineTemplate/spec/template/spec/imageName"] != "debian-12-amd64-v1.36.3---vmware.1-kubevisor.1" ||
		got["VSphereMachineTemplate/spec/template/spec/className"] != "best-effort-small" ||
		got["VSphereMachineTemplate/spec/template/spec/storageClass"] != "local" {
		t.Errorf("minimal worker patches: %v", got)
	}
	if _, ok := got["KubeadmConfigTemplate/spec/template/spec/files"]; ok {
		t.Errorf("minimal variables patch files: %v", got)
	}

	full := map[string]any{}
	for k, v := range minimal {
		full[k] = v
	}
	full["nodePoolLabels"] = []any{map[string]any{"key": "tier", "value": "web"}, map[string]any{"key": "env", "value": "prod"}}
	full["nodePoolTaints"] = []any{map[string]any{"key": "dedicated", "value": "web", "effect": "NoSchedule"}}
	full["nodePoolVolumes"] = []any{map[string]any{"name": "containerd", "mountPath": "/var/lib/containerd", "capacity": map[string]any{"storage": "20Gi"}}}
	full["trust"] = map[string]any{"additionalTrustedCAs": []any{map[string]any{"name": "corp-ca"}}}
	full["proxy"] = map[string]any{"httpProxy": "http://proxy:3128", "noProxy": []any{"10.0.0.0/8", ".local"}}
	full["user"] = map[string]any{"sshAuthorizedKey": "ssh-ed25519 AAAA test"}
	full["clusterEncryptionConfigYaml"] = "apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\n"
	got = renderPatches(t, full, "node-pool")
	checks := map[string]string{
		"KubeadmConfigTemplate/spec/template/spec/joinConfiguration/nodeRegistration/kubeletExtraArgs": `[{"name":"node-labels","value":"tier=web,env=prod"}]`,
		"KubeadmConfigTemplate/spec/template/spec/joinConfiguration/nodeRegistration/taints":           `[{"effect":"NoSchedule","key":"dedicated","value":"web"}]`,
		"VSphereMachineTemplate/spec/template/spec/volumes":                                            `[{"capacity":{"storage":"20Gi"},"name":"containerd"}]`,
		"KubeadmConfigTemplate/spec/template/spec/preKubeadmCommands":                                  `["update-ca-certificates"]`,
		"KubeadmConfigTemplate/spec/template/spec/users":                                               `[{"name":"vmware-system-user","sshAuthorizedKeys":["ssh-ed25519 AAAA test"],"sudo":"ALL=(ALL) NOPASSWD:ALL"}]`,
	}
	for k, want := range checks {
		if g := asJSON(t, got[k]); g != want {
			t.Errorf("%s = %s, want %s", k, g, want)
		}
	}
	files := asJSON(t, got["KubeadmConfigTemplate/spec/template/spec/files"])
	for _, want := range []string{`"path":"/usr/local/share/ca-certificates/tkg-corp-ca.crt"`, `"name":"c1-user-trusted-ca-secret"`, `HTTP_PROXY=http://proxy:3128`, `NO_PROXY=10.0.0.0/8,.local`} {
		if !strings.Contains(files, want) {
			t.Errorf("worker files lack %s: %s", want, files)
		}
	}
	if strings.Contains(files, "encryption-config") {
		t.Errorf("workers get the API server's encryption configuration: %s", files)
	}

	cp := map[string]any{}
	for k, v := range full {
		cp[k] = v
	}
	cp["builtin"] = map[string]any{"cluster": map[string]any{"name": "c1"}, "controlPlane": map[string]any{"version": "v1.36.3+vmware.1"}}
	got = renderPatches(t, cp, "controlPlane")
	files = asJSON(t, got["KubeadmControlPlaneTemplate/spec/template/spec/kubeadmConfigSpec/files"])
	if !strings.Contains(files, `"path":"/etc/kubernetes/encryption-config.yaml"`) {
		t.Errorf("control plane files lack the encryption configuration: %s", files)
	}
	if g := got["KubeadmControlPlaneTemplate/spec/template/spec/kubeadmConfigSpec/clusterConfiguration/imageRepository"]; g != "kubevisor.local/k8s" {
		t.Errorf("imageRepository = %v", g)
	}
	if g := asJSON(t, got["KubeadmControlPlaneTemplate/spec/template/spec/kubeadmConfigSpec/clusterConfiguration/apiServer"]); !strings.Contains(g, "encryption-provider-config") {
		t.Errorf("apiServer = %s", g)
	}
}
