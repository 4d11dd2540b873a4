package tkg

import (
	"testing"
)

func TestBuiltinObjects(t *testing.T) {
	objs, err := BuiltinObjects("team-a")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	for _, o := range objs {
		if o.GetNamespace() != "team-a" || o.GetLabels()[BuiltinLabel] != ClassName {
			t.Errorf("%s %s: namespace %q labels %v", o.GetKind(), o.GetName(), o.GetNamespace(), o.GetLabels())
		}
		kinds[o.GetKind()]++
	}
	want := map[string]int{"VSphereClusterTemplate": 1, "VSphereMachineTemplate": 2, "KubeadmControlPlaneTemplate": 1, "KubeadmConfigTemplate": 1, "ClusterClass": 1}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d %s, want %d", kinds[k], k, n)
		}
	}
	if last := objs[len(objs)-1]; last.GetKind() != "ClusterClass" || last.GetName() != ClassName {
		t.Errorf("the ClusterClass must come last, after its templates; last is %s %s", last.GetKind(), last.GetName())
	}
}
