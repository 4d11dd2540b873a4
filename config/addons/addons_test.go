package addons

import (
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestKubevisorCNIManifest(t *testing.T) {
	objs, err := Objects(KubevisorCNI())
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	var ds *unstructured.Unstructured
	for _, o := range objs {
		kinds = append(kinds, o.GetKind()+"/"+o.GetName())
		if o.GetKind() == "DaemonSet" {
			ds = o
		}
	}
	want := []string{"ServiceAccount/kubevisor-cni", "ClusterRole/kubevisor-cni", "ClusterRoleBinding/kubevisor-cni", "DaemonSet/kubevisor-cni"}
	if len(kinds) != len(want) {
		t.Fatalf("objects %v, want %v", kinds, want)
	}
	for i := range want {
		if kinds[i] != want[i] {
			t.Fatalf("objects %v, want %v", kinds, want)
		}
	}
	containers, _, _ := unstructured.NestedSlice(ds.Object, "spec", "template", "spec", "containers")
	if len(containers) != 1 {
		t.Fatalf("%d containers", len(containers))
	}
	c := containers[0].(map[string]any)
	if c["image"] != KubevisorCNIImage {
		t.Errorf("DaemonSet image %v, want KubevisorCNIImage %s (the TKR preloads that name)", c["image"], KubevisorCNIImage)
	}
	if c["imagePullPolicy"] != "IfNotPresent" {
		t.Errorf("imagePullPolicy %v: the image is preloaded, never pulled", c["imagePullPolicy"])
	}
	if hn, _, _ := unstructured.NestedBool(ds.Object, "spec", "template", "spec", "hostNetwork"); !hn {
		t.Error("the DaemonSet must use the host network: it programs the node's routes")
	}
}

func TestObjectsRefusesNamelessObjects(t *testing.T) {
	if _, err := Objects([]byte("apiVersion: v1\nkind: ConfigMap\n")); err == nil {
		t.Error("an object without a name was accepted")
	}
	objs, err := Objects([]byte("---\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"))
	if err != nil || len(objs) != 1 {
		t.Errorf("Objects = %v, %v; want one object", objs, err)
	}
}
