package crds

import (
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
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
