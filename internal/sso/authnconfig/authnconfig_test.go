package authnconfig

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestWriteAndReadBack(t *testing.T) {
	path := filepath.Join(t.TempDir(), "authn.yaml")
	issuers := []Issuer{
		{URL: "https://127.0.0.1:6444", CertificateAuthority: "PEM", Audience: "kubevisor", UsernameClaim: "username", GroupsClaim: "groups", UsernamePrefix: "sso:", GroupsPrefix: "sso:"},
		{URL: "https://idp.example.com", Audience: "client", UsernameClaim: "sub", UsernamePrefix: "oidc:"},
	}
	wrote, err := Write(path, issuers)
	if err != nil || !wrote {
		t.Fatalf("first write: %v %v", wrote, err)
	}
	wrote, err = Write(path, issuers)
	if err != nil || wrote {
		t.Fatalf("an unchanged configuration must not be rewritten: %v %v", wrote, err)
	}
	back, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, issuers) {
		t.Fatalf("read back %+v, want %+v", back, issuers)
	}
}

func TestRenderRequiresAPrefix(t *testing.T) {
	_, err := Render([]Issuer{{URL: "https://x", Audience: "a", UsernameClaim: "sub"}})
	if err == nil || !strings.Contains(err.Error(), "prefix") {
		t.Fatalf("err = %v, want a missing-prefix error", err)
	}
}
