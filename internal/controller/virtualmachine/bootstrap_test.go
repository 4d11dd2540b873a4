package virtualmachine

import (
	"encoding/json"
	"testing"

	"sigs.k8s.io/yaml"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/guest/cloudinit"
)

func TestRenderCloudConfig(t *testing.T) {
	cc := &vmopv1.CloudConfig{
		RunCmd:     json.RawMessage(`["echo one", ["ls", "-l"]]`),
		Users:      []vmopv1.CloudConfigUser{{Name: "ops", Passwd: &vmopv1.SecretKeySelector{Name: "s", Key: "pw"}}},
		WriteFiles: []vmopv1.CloudConfigWriteFile{{Path: "/etc/motd", Content: json.RawMessage(`"hello"`)}},
	}
	out, err := RenderCloudConfig(cc, []string{"ssh-ed25519 AAAA"}, func(ref vmopv1.SecretKeySelector) (string, error) { return "secret-" + ref.Key, nil })
	if err != nil {
		t.Fatal(err)
	}
	if err := cloudinit.Validate(out); err != nil {
		t.Fatalf("rendered user data does not validate: %v\n%s", err, out)
	}
	doc := map[string]any{}
	if err := yaml.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	users := doc["users"].([]any)
	if users[0].(map[string]any)["passwd"] != "secret-pw" {
		t.Errorf("users = %v", users)
	}
	if doc["write_files"].([]any)[0].(map[string]any)["content"] != "hello" {
		t.Errorf("write_files = %v", doc["write_files"])
	}
	if len(doc["runcmd"].([]any)) != 2 || doc["ssh_authorized_keys"].([]any)[0] != "ssh-ed25519 AAAA" {
		t.Errorf("doc = %v", doc)
	}
}
