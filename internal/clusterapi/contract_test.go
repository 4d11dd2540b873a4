package clusterapi

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestContractAPIVersion(t *testing.T) {
	tests := []struct {
		name    string
		labels  map[string]string
		want    string
		wantErr bool
	}{
		{"v1beta2 contract wins", map[string]string{"cluster.x-k8s.io/v1beta1": "v1beta1", "cluster.x-k8s.io/v1beta2": "v1beta2"}, "g.io/v1beta2", false},
		{"newest of several versions", map[string]string{"cluster.x-k8s.io/v1beta2": "v1alpha3_v1beta1"}, "g.io/v1beta1", false},
		{"v1beta1 contract only", map[string]string{"cluster.x-k8s.io/v1beta1": "v1alpha4_v1beta1"}, "g.io/v1beta1", false},
		{"no label", map[string]string{"app": "x"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ContractAPIVersion("g.io", tt.labels)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Fatalf("got %q %v, want %q (error %v)", got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestWebhookConfigurationsPointAtTheSupervisor(t *testing.T) {
	objs, err := WebhookConfigurations("https://127.0.0.1:9443", []byte("CA"))
	if err != nil {
		t.Skipf("Cluster API webhook manifests not copied in (make capi-crds): %v", err)
	}
	names := map[string]bool{}
	for _, o := range objs {
		if names[o.GetName()] {
			t.Errorf("two configurations named %s", o.GetName())
		}
		names[o.GetName()] = true
		hooks, _, _ := unstructured.NestedSlice(o.Object, "webhooks")
		if len(hooks) == 0 {
			t.Errorf("%s has no webhooks", o.GetName())
		}
		for _, h := range hooks {
			url, _, _ := unstructured.NestedString(h.(map[string]any), "clientConfig", "url")
			if len(url) < len("https://127.0.0.1:9443/") || url[:len("https://127.0.0.1:9443/")] != "https://127.0.0.1:9443/" {
				t.Errorf("%s: webhook URL %q", o.GetName(), url)
			}
		}
	}
	if len(objs) != 6 {
		t.Errorf("%d configurations, want 6 (validating and mutating of three modules)", len(objs))
	}
}
