package clusterapi

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/kubevisor/kubevisor/config/crd"
)

// WebhookConfigurations returns Cluster API's admission webhook
// configurations, renamed per module (capi-<module>-<name>) and pointed at
// the Supervisor's webhook server at baseURL, trusting caBundle.
func WebhookConfigurations(baseURL string, caBundle []byte) ([]*unstructured.Unstructured, error) {
	byModule, err := crd.ClusterAPIWebhooks()
	if err != nil {
		return nil, err
	}
	modules := make([]string, 0, len(byModule))
	for m := range byModule {
		modules = append(modules, m)
	}
	sort.Strings(modules)
	var out []*unstructured.Unstructured
	for _, module := range modules {
		dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(byModule[module]), 4096)
		for {
			u := &unstructured.Unstructured{}
			if err := dec.Decode(&u.Object); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, fmt.Errorf("cluster API %s webhooks: %w", module, err)
			}
			if len(u.Object) == 0 {
				continue
			}
			if err := pointAt(u, baseURL, caBundle); err != nil {
				return nil, fmt.Errorf("cluster API %s webhooks: %w", module, err)
			}
			u.SetName("capi-" + module + "-" + u.GetName())
			out = append(out, u)
		}
	}
	return out, nil
}

// pointAt replaces every webhook's Service reference with baseURL + path.
func pointAt(u *unstructured.Unstructured, baseURL string, caBundle []byte) error {
	hooks, _, err := unstructured.NestedSlice(u.Object, "webhooks")
	if err != nil {
		return err
	}
	for i, h := range hooks {
		hook, ok := h.(map[string]any)
		if !ok {
			return fmt.Errorf("webhook %d is not an object", i)
		}
		path, _, _ := unstructured.NestedString(hook, "clientConfig", "service", "path")
		if path == "" {
			return fmt.Errorf("webhook %d has no service path", i)
		}
		// In JSON a []byte is its base64 text.
		hook["clientConfig"] = map[string]any{"url": baseURL + path, "caBundle": base64.StdEncoding.EncodeToString(caBundle)}
		hook["timeoutSeconds"] = int64(10)
		hooks[i] = hook
	}
	return unstructured.SetNestedSlice(u.Object, hooks, "webhooks")
}
