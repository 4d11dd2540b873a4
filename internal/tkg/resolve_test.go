package tkg

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/tkr"
)

// release is a published TKR with its OSImage; ready and compatible unless
// told otherwise.
func release(t *testing.T, k8s, build string, ready bool) []client.Object {
	t.Helper()
	r := tkr.Release{Kubernetes: k8s, Build: build, ImageRepository: "kubevisor.local/k8s", EtcdTag: "v3.6.0", PauseTag: "3.10", CoreDNSTag: "v1.12.0"}
	r.OS.Type, r.OS.Name, r.OS.Version, r.OS.Arch = "linux", "debian", "12", "amd64"
	rel := r.TanzuKubernetesRelease()
	status := metav1.ConditionTrue
	if !ready {
		status = metav1.ConditionFalse
	}
	rel.Status.Conditions = []metav1.Condition{
		{Type: runv1.ReadyCondition, Status: status, Reason: "Test", Message: "the image is downloading"},
		{Type: runv1.CompatibleCondition, Status: metav1.ConditionTrue, Reason: "Test"},
	}
	osi := r.OSImage("debian-12-amd64-" + rel.Name)
	return []client.Object{rel, osi}
}

func testScheme(t *testing.T) *runtime.Scheme {
	t.Helper()
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{runv1.AddToScheme, clusterv1.AddToScheme, corev1.AddToScheme} {
		if err := add(s); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func topologyCluster(version string) *clusterv1.Cluster {
	c := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "ns"}}
	c.Spec.Topology.ClassRef.Name = ClassName
	c.Spec.Topology.Version = version
	return c
}

func TestResolve(t *testing.T) {
	var objs []client.Object
	objs = append(objs, release(t, "v1.36.3", "kubevisor.1", true)...)
	objs = append(objs, release(t, "v1.36.3", "kubevisor.2", true)...)
	objs = append(objs, release(t, "v1.35.1", "kubevisor.1", false)...)
	r := &Resolver{Reader: fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(objs...).Build()}

	cases := []struct {
		version, wantTKR, wantErr string
	}{
		{"v1.36.3---vmware.1-kubevisor.1", "v1.36.3---vmware.1-kubevisor.1", ""},
		{"v1.36.3+vmware.1-kubevisor.1", "v1.36.3---vmware.1-kubevisor.1", ""},
		{"v1.36.3", "v1.36.3---vmware.1-kubevisor.2", ""},
		{"1.36", "v1.36.3---vmware.1-kubevisor.2", ""},
		{"v1.35.1", "", "cannot be used: its Ready condition is not True: the image is downloading"},
		{"v1.99.0", "", `no TanzuKubernetesRelease matches "v1.99.0" (available: v1.36.3---vmware.1-kubevisor.1, v1.36.3---vmware.1-kubevisor.2`},
		{"", "", "spec.topology.version: is required"},
	}
	for _, tc := range cases {
		c := topologyCluster(tc.version)
		res, err := r.Resolve(context.Background(), c)
		if tc.wantErr != "" {
			var refused *RefusedError
			if !errors.As(err, &refused) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%q: error %v, want a refusal containing %q", tc.version, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.version, err)
			continue
		}
		if res.TKR.Name != tc.wantTKR || c.Labels[runv1.LabelTKR] != tc.wantTKR || c.Spec.Topology.Version != "v1.36.3" {
			t.Errorf("%q: TKR %s label %q version %q, want %s and v1.36.3", tc.version, res.TKR.Name, c.Labels[runv1.LabelTKR], c.Spec.Topology.Version, tc.wantTKR)
		}
		var data TKRData
		if len(c.Spec.Topology.Variables) != 1 || c.Spec.Topology.Variables[0].Name != TKRDataVariable {
			t.Fatalf("%q: variables %v", tc.version, c.Spec.Topology.Variables)
		}
		if err := json.Unmarshal(c.Spec.Topology.Variables[0].Value.Raw, &data); err != nil {
			t.Fatal(err)
		}
		d := data["v1.36.3"]
		if d.OSImageRef["name"] != "debian-12-amd64-"+tc.wantTKR || d.KubernetesSpec.ImageRepository != "kubevisor.local/k8s" || d.Labels["os-name"] != "debian" {
			t.Errorf("%q: TKR_DATA %+v", tc.version, data)
		}
	}

	// A resolved Cluster keeps its release when it is updated, even when a
	// newer one matches its version.
	c := topologyCluster("v1.36.3---vmware.1-kubevisor.1")
	if _, err := r.Resolve(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Resolve(context.Background(), c); err != nil || c.Labels[runv1.LabelTKR] != "v1.36.3---vmware.1-kubevisor.1" || len(c.Spec.Topology.Variables) != 1 {
		t.Errorf("second resolution: %v, label %q, variables %d", err, c.Labels[runv1.LabelTKR], len(c.Spec.Topology.Variables))
	}

	// An OS image selector that matches nothing says what there is.
	c = topologyCluster("v1.36.3")
	c.Spec.Topology.ControlPlane.Metadata.Annotations = map[string]string{ResolveOSImageAnnotation: "os-name=photon"}
	if _, err := r.Resolve(context.Background(), c); err == nil || !strings.Contains(err.Error(), "(os-name=debian)") {
		t.Errorf("photon selector: %v", err)
	}
}

func TestResolveKeepsEarlierTKRData(t *testing.T) {
	r := &Resolver{Reader: fake.NewClientBuilder().WithScheme(testScheme(t)).WithObjects(release(t, "v1.36.3", "kubevisor.1", true)...).Build()}
	c := topologyCluster("v1.36.3")
	earlier := `{"v1.33.1":{"osImageRef":{"name":"a"}},"v1.35.0":{"osImageRef":{"name":"c"}},"v1.34.2":{"osImageRef":{"name":"b"}},"v1.36.3":{"osImageRef":{"name":"stale"}}}`
	setVariable(&c.Spec.Topology.Variables, TKRDataVariable, []byte(earlier))
	for range 3 {
		if _, err := r.Resolve(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	var data TKRData
	if err := json.Unmarshal(c.Spec.Topology.Variables[0].Value.Raw, &data); err != nil {
		t.Fatal(err)
	}
	if len(data) != 3 || data["v1.35.0"].OSImageRef["name"] != "c" || data["v1.34.2"].OSImageRef["name"] != "b" || data["v1.36.3"].OSImageRef["name"] == "stale" {
		t.Errorf("TKR_DATA = %+v, want the release's entry and the two newest earlier ones", data)
	}
}

func TestUpdates(t *testing.T) {
	var all []runv1.TanzuKubernetesRelease
	add := func(k8s, build string, ready bool) {
		all = append(all, *release(t, k8s, build, ready)[0].(*runv1.TanzuKubernetesRelease))
	}
	add("v1.35.2", "kubevisor.1", true)  // older
	add("v1.36.3", "kubevisor.1", true)  // current
	add("v1.36.4", "kubevisor.1", true)  // patch: an update
	add("v1.36.5", "kubevisor.1", false) // not Ready
	add("v1.37.0", "kubevisor.1", true)  // next minor: an update
	add("v1.38.1", "kubevisor.1", true)  // two minors ahead
	current := &all[1]
	got, err := Updates(current, all)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{all[2].Spec.Version, all[4].Spec.Version}
	if !slices.Equal(got, want) {
		t.Errorf("Updates = %q, want %q", got, want)
	}
	if got, _ := Updates(&all[5], all); len(got) != 0 {
		t.Errorf("Updates of the newest = %q, want none", got)
	}
	bad := all[1].DeepCopy()
	bad.Spec.Kubernetes.Version = "latest"
	if _, err := Updates(bad, all); err == nil {
		t.Error("an unparsable current version: want an error")
	}
}
