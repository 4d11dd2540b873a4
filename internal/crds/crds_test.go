package crds

import (
	"strings"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	dynamicfake "k8s.io/client-go/dynamic/fake"
	"sigs.k8s.io/yaml"
)

func TestDropOlderDescriptions(t *testing.T) {
	schema := func() *apiextensionsv1.CustomResourceValidation {
		return &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: &apiextensionsv1.JSONSchemaProps{
			Type: "object", Description: "top",
			Properties: map[string]apiextensionsv1.JSONSchemaProps{
				"spec": {Type: "object", Description: "spec", Properties: map[string]apiextensionsv1.JSONSchemaProps{
					"list": {Type: "array", Description: "list", Items: &apiextensionsv1.JSONSchemaPropsOrArray{Schema: &apiextensionsv1.JSONSchemaProps{Type: "string", Description: "item"}}},
					"map":  {Type: "object", Description: "map", AdditionalProperties: &apiextensionsv1.JSONSchemaPropsOrBool{Schema: &apiextensionsv1.JSONSchemaProps{Type: "string", Description: "value"}}},
				}},
			},
		}}
	}
	crd := &apiextensionsv1.CustomResourceDefinition{Spec: apiextensionsv1.CustomResourceDefinitionSpec{Versions: []apiextensionsv1.CustomResourceDefinitionVersion{
		{Name: "v1beta1", Served: true, Schema: schema()},
		{Name: "v1beta2", Served: true, Storage: true, Schema: schema()},
	}}}
	DropOlderDescriptions(crd)
	old, err := yaml.Marshal(crd.Spec.Versions[0].Schema)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(old), "description") {
		t.Errorf("v1beta1 still has descriptions:\n%s", old)
	}
	if !strings.Contains(string(old), "type: string") {
		t.Errorf("v1beta1 lost more than descriptions:\n%s", old)
	}
	kept, err := yaml.Marshal(crd.Spec.Versions[1].Schema)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"top", "spec", "list", "item", "map", "value"} {
		if !strings.Contains(string(kept), "description: "+d) {
			t.Errorf("the storage version lost description %q", d)
		}
	}
}

func crdObject(name string, conds ...map[string]any) *unstructured.Unstructured {
	c := make([]any, 0, len(conds))
	for _, m := range conds {
		c = append(c, m)
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1",
		"kind":       "CustomResourceDefinition",
		"metadata":   map[string]any{"name": name},
		"status":     map[string]any{"conditions": c},
	}}
}

func newFakeClient(objs ...runtime.Object) *dynamicfake.FakeDynamicClient {
	return dynamicfake.NewSimpleDynamicClientWithCustomListKinds(runtime.NewScheme(),
		map[schema.GroupVersionResource]string{crdResource: "CustomResourceDefinitionList"}, objs...)
}

func TestWaitEstablishedFollowsTheWatch(t *testing.T) {
	client := newFakeClient(crdObject("a.example.com"), crdObject("b.example.com"))
	ctx := t.Context()
	done := make(chan error, 1)
	go func() { done <- waitEstablished(ctx, client, "", []string{"a.example.com", "b.example.com"}) }()

	isEstablished := map[string]any{"type": "Established", "status": "True"}
	for _, name := range []string{"a.example.com", "b.example.com"} {
		select {
		case err := <-done:
			t.Fatalf("returned before %s was established: %v", name, err)
		default:
		}
		if _, err := client.Resource(crdResource).Update(ctx, crdObject(name, isEstablished), metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still waiting after both CRDs were established")
	}
}

func TestWaitEstablishedFailsOnRefusedNames(t *testing.T) {
	refused := map[string]any{"type": "NamesAccepted", "status": "False", "message": `"vm" is already in use`}
	client := newFakeClient(crdObject("a.example.com", refused))
	// The watch replays the CRD with its refused names.
	err := waitEstablished(t.Context(), client, "", []string{"a.example.com"})
	if err == nil || !strings.Contains(err.Error(), "names not accepted") || !strings.Contains(err.Error(), `"vm" is already in use`) {
		t.Fatalf("want the refused names in the error, got %v", err)
	}
}

// An apply answers with the CRD as it is: one whose names were refused
// before (and so is applied again unchanged, writing nothing the watch
// could see) fails at once.
func TestEstablishedReadsAnApplyAnswer(t *testing.T) {
	refused := map[string]any{"type": "NamesAccepted", "status": "False", "message": "taken"}
	if _, _, err := established(crdObject("a.example.com", refused)); err == nil || !strings.Contains(err.Error(), "taken") {
		t.Fatalf("want the refusal, got %v", err)
	}
	done, _, err := established(crdObject("a.example.com", map[string]any{"type": "Established", "status": "True"}))
	if err != nil || !done {
		t.Fatalf("an established CRD: done %v, err %v", done, err)
	}
	done, why, err := established(crdObject("a.example.com", map[string]any{"type": "Established", "status": "False", "reason": "Installing"}))
	if err != nil || done || why != "Established False: Installing" {
		t.Fatalf("an installing CRD: done %v, why %q, err %v", done, why, err)
	}
}

func TestWaitEstablishedTimesOutNamingWhatIsPending(t *testing.T) {
	defer func(d time.Duration) { establishTimeout = d }(establishTimeout)
	establishTimeout = 300 * time.Millisecond
	installing := map[string]any{"type": "Established", "status": "False", "reason": "Installing"}
	client := newFakeClient(crdObject("a.example.com", installing))
	err := waitEstablished(t.Context(), client, "", []string{"a.example.com"})
	if err == nil || !strings.Contains(err.Error(), "a.example.com (Established False: Installing)") {
		t.Fatalf("want the pending CRD and its state in the error, got %v", err)
	}
}
