package addons

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// KubevisorCNIImage is the image of the kubevisor-cni DaemonSet. Every TKR
// node image built by hack/tkr preloads it under this name; the tag changes
// when the daemon's behaviour does.
const KubevisorCNIImage = "kubevisor.local/k8s/kubevisor-cni:v0.1.0"

// KubevisorCNIManifest is the manifest's file name, and a good data key
// for the ConfigMap a ClusterResourceSet applies it from.
const KubevisorCNIManifest = "kubevisor-cni.yaml"

//go:embed kubevisor-cni.yaml
var kubevisorCNI []byte

// KubevisorCNI returns the kubevisor-cni manifest: its ServiceAccount,
// ClusterRole and binding (read Nodes) and the DaemonSet in kube-system,
// as multi-document YAML. The caller may keep the slice.
func KubevisorCNI() []byte { return bytes.Clone(kubevisorCNI) }

// Objects decodes a multi-document YAML manifest into its objects, in
// order, skipping empty documents.
func Objects(manifest []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifest), 4096)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("decoding object %d: %w", len(out)+1, err)
		}
		if len(u.Object) == 0 {
			continue
		}
		if u.GetKind() == "" || u.GetName() == "" {
			return nil, fmt.Errorf("object %d has no kind or name", len(out)+1)
		}
		out = append(out, u)
	}
}
