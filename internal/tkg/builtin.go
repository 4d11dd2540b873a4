package tkg

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// SystemNamespace holds the Supervisor's own copy of the builtin
// ClusterClass; every Supervisor namespace gets a copy of it too, as on
// vSphere 8, so that `topology.class: tanzukubernetescluster` works there
// unchanged.
const SystemNamespace = "vmware-system-tkg"

// BuiltinLabel marks the builtin ClusterClass and its templates.
const BuiltinLabel = "run.tanzu.vmware.com/builtin"

//go:embed clusterclass.yaml
var clusterClassYAML []byte

// BuiltinObjects returns the builtin ClusterClass and the templates it
// references, templates first, placed in namespace and labelled with
// BuiltinLabel.
func BuiltinObjects(namespace string) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(clusterClassYAML), 4096)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("the builtin ClusterClass manifest: %w", err)
		}
		if len(u.Object) == 0 {
			continue
		}
		u.SetNamespace(namespace)
		labels := u.GetLabels()
		if labels == nil {
			labels = map[string]string{}
		}
		labels[BuiltinLabel] = ClassName
		u.SetLabels(labels)
		out = append(out, u)
	}
}
