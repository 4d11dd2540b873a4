package cluster

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/scheme"
)

const testNS = "team-a"

var epoch = time.Date(2026, 1, 2, 10, 0, 0, 0, time.UTC)

// testEnv is an env whose client is a fake with objs, whose clock moves a
// second each time it is read, and whose output is no terminal.
func testEnv(t *testing.T, funcs *interceptor.Funcs, objs ...client.Object) (*env, client.Client) {
	t.Helper()
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	mapper := meta.NewDefaultRESTMapper(nil)
	mapper.Add(runv1.GroupVersion.WithKind("TanzuKubernetesCluster"), meta.RESTScopeNamespace)
	mapper.Add(runv1.GroupVersion.WithKind("TanzuKubernetesRelease"), meta.RESTScopeRoot)
	mapper.Add(corev1.SchemeGroupVersion.WithKind("ConfigMap"), meta.RESTScopeNamespace)
	mapper.Add(corev1.SchemeGroupVersion.WithKind("Secret"), meta.RESTScopeNamespace)
	b := fake.NewClientBuilder().WithScheme(s).WithRESTMapper(mapper).WithObjects(objs...).
		WithStatusSubresource(&runv1.TanzuKubernetesCluster{})
	if funcs != nil {
		b = b.WithInterceptorFuncs(*funcs)
	}
	c := b.Build()
	now := epoch
	return &env{
		client:           c,
		defaultNamespace: testNS,
		now:              func() time.Time { now = now.Add(time.Second); return now },
		interval:         time.Millisecond,
		terminal:         func(io.Writer) (bool, int) { return false, 0 },
	}, c
}

// run runs `cluster args...` and returns its standard output and error.
func run(t *testing.T, e *env, args ...string) (string, string, error) {
	t.Helper()
	cmd := newCommand(e)
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetIn(strings.NewReader(""))
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	return out.String(), errOut.String(), err
}

func tkr(name, version string, ready, compatible metav1.ConditionStatus) *runv1.TanzuKubernetesRelease {
	r := &runv1.TanzuKubernetesRelease{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       runv1.TanzuKubernetesReleaseSpec{Version: version},
	}
	if ready != "" {
		r.Status.Conditions = append(r.Status.Conditions, metav1.Condition{Type: runv1.ReadyCondition, Status: ready, Reason: "R"})
	}
	if compatible != "" {
		r.Status.Conditions = append(r.Status.Conditions, metav1.Condition{Type: runv1.CompatibleCondition, Status: compatible, Reason: "C"})
	}
	return r
}

func tkc(name string, pools ...string) *runv1.TanzuKubernetesCluster {
	ref := runv1.TKRReference{Reference: &corev1.ObjectReference{Name: "v1.35.0---vmware.1-kubevisor.1"}}
	t := &runv1.TanzuKubernetesCluster{
		ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: name, Generation: 1, CreationTimestamp: metav1.NewTime(epoch.Add(-time.Hour))},
		Spec: runv1.TanzuKubernetesClusterSpec{Topology: runv1.Topology{
			ControlPlane: runv1.ControlPlane{Replicas: ptr.To[int32](1), TopologySettings: runv1.TopologySettings{VMClass: "small", StorageClass: "local", TKR: ref}},
		}},
	}
	for _, p := range pools {
		t.Spec.Topology.NodePools = append(t.Spec.Topology.NodePools, runv1.NodePool{
			Name: p, Replicas: ptr.To[int32](1), TopologySettings: runv1.TopologySettings{VMClass: "small", StorageClass: "local", TKR: ref},
		})
	}
	return t
}

func cond(typ string, status metav1.ConditionStatus, reason, msg string) metav1.Condition {
	return metav1.Condition{Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: 1}
}

func wantErr(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error = %v\nwant it to contain %q", err, w)
		}
	}
}

func TestCreateFromFlags(t *testing.T) {
	e, c := testEnv(t, nil)
	out, _, err := run(t, e, "create", "demo", "--tkr", "v1.36.3---vmware.1-kubevisor.1", "--vm-class", "small", "--storage-class", "local",
		"--control-plane-count", "3", "--worker-count", "2", "--pool-name", "workers", "--worker-vm-class", "large",
		"--pods", "10.96.0.0/12", "--services", "10.100.0.0/16,10.101.0.0/16")
	if err != nil {
		t.Fatal(err)
	}
	if want := "cluster demo created in namespace team-a\n"; out != want {
		t.Errorf("output = %q, want %q", out, want)
	}
	got := &runv1.TanzuKubernetesCluster{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: testNS, Name: "demo"}, got); err != nil {
		t.Fatal(err)
	}
	ref := runv1.TKRReference{Reference: &corev1.ObjectReference{Name: "v1.36.3---vmware.1-kubevisor.1"}}
	want := runv1.TanzuKubernetesClusterSpec{
		Topology: runv1.Topology{
			ControlPlane: runv1.ControlPlane{Replicas: ptr.To[int32](3), TopologySettings: runv1.TopologySettings{VMClass: "small", StorageClass: "local", TKR: ref}},
			NodePools: []runv1.NodePool{{Name: "workers", Replicas: ptr.To[int32](2),
				TopologySettings: runv1.TopologySettings{VMClass: "large", StorageClass: "local", TKR: ref}}},
		},
		Settings: &runv1.Settings{Network: &runv1.Network{
			Pods:     &runv1.NetworkRanges{CIDRBlocks: []string{"10.96.0.0/12"}},
			Services: &runv1.NetworkRanges{CIDRBlocks: []string{"10.100.0.0/16", "10.101.0.0/16"}},
		}},
	}
	if d := cmp.Diff(want, got.Spec); d != "" {
		t.Errorf("spec (-want +got):\n%s", d)
	}
}

func TestBuildDefaults(t *testing.T) {
	f := createFlags{vmClass: "small", storageClass: "local", controlPlane: 1, workers: 1, poolName: "node-pool-1"}
	got := f.build("ns", "demo", "r1")
	if got.Spec.Settings != nil {
		t.Errorf("settings = %+v, want none without --pods or --services", got.Spec.Settings)
	}
	p := got.Spec.Topology.NodePools
	if len(p) != 1 || p[0].Name != "node-pool-1" || *p[0].Replicas != 1 || p[0].VMClass != "small" || p[0].TKR.Reference.Name != "r1" {
		t.Errorf("node pools = %+v", p)
	}
	if got.APIVersion != "run.tanzu.vmware.com/v1alpha3" || got.Kind != "TanzuKubernetesCluster" || got.Namespace != "ns" {
		t.Errorf("object = %s %s %s", got.APIVersion, got.Kind, got.Namespace)
	}
}

func TestCreateFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "no classes", args: []string{"create", "demo", "--tkr", "r"},
			want: []string{"--vm-class is required", "kubectl get vmclass -n team-a", "--storage-class is required", "kubectl get storageclass"}},
		{name: "no storage class", args: []string{"create", "demo", "-n", "other", "--vm-class", "small"},
			want: []string{"--storage-class is required", "kubevisor namespace get other"}},
		{name: "bad CIDR", args: []string{"create", "demo", "--vm-class", "s", "--storage-class", "l", "--pods", "10.0.0.0"},
			want: []string{`--pods "10.0.0.0": not a CIDR block`}},
		{name: "no control plane", args: []string{"create", "demo", "--vm-class", "s", "--storage-class", "l", "--control-plane-count", "0"},
			want: []string{"--control-plane-count 0"}},
		{name: "no name", args: []string{"create", "--vm-class", "s", "--storage-class", "l"},
			want: []string{"takes exactly one cluster NAME (or -f FILE)"}},
		{name: "file and flags", args: []string{"create", "-f", "x.yaml", "--vm-class", "s"},
			want: []string{"--vm-class cannot be combined with -f"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, _ := testEnv(t, nil)
			_, _, err := run(t, e, tt.args...)
			wantErr(t, err, tt.want...)
		})
	}
}

func TestNewestTKR(t *testing.T) {
	T, F := metav1.ConditionTrue, metav1.ConditionFalse
	tests := []struct {
		name    string
		tkrs    []client.Object
		want    string
		wantErr []string
	}{
		{name: "newest of the usable ones", tkrs: []client.Object{
			tkr("v1.34.1---vmware.1-kubevisor.1", "v1.34.1+vmware.1-kubevisor.1", T, T),
			tkr("v1.36.3---vmware.1-kubevisor.1", "v1.36.3+vmware.1-kubevisor.1", T, F),
			tkr("v1.36.0---vmware.1-kubevisor.1", "v1.36.0+vmware.1-kubevisor.1", T, T),
			tkr("v1.35.9---vmware.1-kubevisor.1", "v1.35.9+vmware.1-kubevisor.1", T, T),
			tkr("v1.37.0---vmware.1-kubevisor.1", "v1.37.0+vmware.1-kubevisor.1", F, T),
		}, want: "v1.36.0---vmware.1-kubevisor.1"},
		{name: "builds compare as numbers", tkrs: []client.Object{
			tkr("b2", "v1.36.0+vmware.1-kubevisor.2", T, T),
			tkr("b10", "v1.36.0+vmware.1-kubevisor.10", T, T),
		}, want: "b10"},
		{name: "version from the name", tkrs: []client.Object{
			tkr("v1.30.0---vmware.1-kubevisor.1", "", T, T),
			tkr("v1.31.0---vmware.1-kubevisor.1", "", T, T),
		}, want: "v1.31.0---vmware.1-kubevisor.1"},
		{name: "none", wantErr: []string{"no TanzuKubernetesReleases exist", "kubectl get tkr"}},
		{name: "none usable", tkrs: []client.Object{
			tkr("a", "v1.36.0+vmware.1-kubevisor.1", T, F),
			tkr("b", "v1.36.0+vmware.1-kubevisor.1", "", ""),
		}, wantErr: []string{"no TanzuKubernetesRelease is ready and compatible", "a (Compatible=False C)", "b (Ready not reported, Compatible not reported)", "--tkr"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := testEnv(t, nil, tt.tkrs...)
			got, err := newestTKR(context.Background(), c)
			if tt.wantErr != nil {
				wantErr(t, err, tt.wantErr...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("newestTKR = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCreatePicksTKR(t *testing.T) {
	e, c := testEnv(t, nil,
		tkr("old", "v1.35.0+vmware.1-kubevisor.1", metav1.ConditionTrue, metav1.ConditionTrue),
		tkr("new", "v1.36.0+vmware.1-kubevisor.1", metav1.ConditionTrue, metav1.ConditionTrue))
	_, errOut, err := run(t, e, "create", "demo", "--vm-class", "small", "--storage-class", "local")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(errOut, "using TKR new") {
		t.Errorf("stderr = %q, want it to name the TKR", errOut)
	}
	got := &runv1.TanzuKubernetesCluster{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: testNS, Name: "demo"}, got); err != nil {
		t.Fatal(err)
	}
	if n := got.Spec.Topology.ControlPlane.TKR.Reference.Name; n != "new" {
		t.Errorf("TKR = %s, want new", n)
	}
}

func TestCreateShowsAdmissionErrors(t *testing.T) {
	e, _ := testEnv(t, &interceptor.Funcs{Create: func(context.Context, client.WithWatch, client.Object, ...client.CreateOption) error {
		return apierrors.NewForbidden(schema.GroupResource{Group: "run.tanzu.vmware.com", Resource: "tanzukubernetesclusters"}, "demo",
			errorString("VM class huge is not bound to namespace team-a"))
	}})
	_, _, err := run(t, e, "create", "demo", "--tkr", "r", "--vm-class", "huge", "--storage-class", "local")
	wantErr(t, err, "creating cluster demo in namespace team-a: ", "VM class huge is not bound to namespace team-a")
}

type errorString string

func (e errorString) Error() string { return string(e) }

func TestCreateAlreadyExists(t *testing.T) {
	e, _ := testEnv(t, nil, tkc("demo", "p"))
	_, _, err := run(t, e, "create", "demo", "--tkr", "r", "--vm-class", "small", "--storage-class", "local")
	wantErr(t, err, "cluster demo already exists in namespace team-a", "kubevisor cluster get demo -n team-a")
}

func TestCreateFromFile(t *testing.T) {
	e, c := testEnv(t, nil)
	file := filepath.Join(t.TempDir(), "demo.yaml")
	data := `apiVersion: run.tanzu.vmware.com/v1alpha3
kind: TanzuKubernetesCluster
metadata:
  name: demo
spec:
  topology:
    controlPlane:
      replicas: 1
      vmClass: small
      storageClass: local
      tkr:
        reference:
          name: r1
---
# a second document
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: elsewhere
data:
  a: b
---
`
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := run(t, e, "create", "-f", file)
	if err != nil {
		t.Fatal(err)
	}
	if want := "TanzuKubernetesCluster team-a/demo applied\nConfigMap elsewhere/settings applied\n"; out != want {
		t.Errorf("output = %q, want %q", out, want)
	}
	got := &runv1.TanzuKubernetesCluster{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: testNS, Name: "demo"}, got); err != nil {
		t.Fatal(err)
	}
	if got.Spec.Topology.ControlPlane.VMClass != "small" {
		t.Errorf("spec = %+v", got.Spec)
	}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: "elsewhere", Name: "settings"}, &corev1.ConfigMap{}); err != nil {
		t.Error(err)
	}

	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("metadata:\n  name: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, _, err = run(t, e, "create", "-f", bad)
	wantErr(t, err, "object 1: apiVersion and kind are required")
}

func TestScaleEdit(t *testing.T) {
	tests := []struct {
		name    string
		pools   []string
		edit    scaleEdit
		want    map[string]int32
		wantCP  int32
		wantErr string
	}{
		{name: "the only pool", pools: []string{"p1"}, edit: scaleEdit{workers: ptr.To[int32](3)}, want: map[string]int32{"p1": 3}, wantCP: 1},
		{name: "a named pool", pools: []string{"p1", "p2"}, edit: scaleEdit{pool: "p2", workers: ptr.To[int32](0)}, want: map[string]int32{"p1": 1, "p2": 0}, wantCP: 1},
		{name: "control plane only", pools: []string{"p1", "p2"}, edit: scaleEdit{controlPlane: ptr.To[int32](3)}, want: map[string]int32{"p1": 1, "p2": 1}, wantCP: 3},
		{name: "several pools, none named", pools: []string{"p1", "p2"}, edit: scaleEdit{workers: ptr.To[int32](3)}, wantErr: "has 2 node pools: choose one with --pool (p1, p2)"},
		{name: "unknown pool", pools: []string{"p1", "p2"}, edit: scaleEdit{pool: "p3", workers: ptr.To[int32](3)}, wantErr: "--pool p3: cluster demo has no such node pool; it has p1, p2"},
		{name: "no pools", edit: scaleEdit{workers: ptr.To[int32](3)}, wantErr: "has no node pools"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := tkc("demo", tt.pools...)
			err := tt.edit.apply(c)
			if tt.wantErr != "" {
				wantErr(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]int32{}
			for _, p := range c.Spec.Topology.NodePools {
				got[p.Name] = *p.Replicas
			}
			if d := cmp.Diff(tt.want, got); d != "" {
				t.Errorf("replicas (-want +got):\n%s", d)
			}
			if cp := *c.Spec.Topology.ControlPlane.Replicas; cp != tt.wantCP {
				t.Errorf("control plane replicas = %d, want %d", cp, tt.wantCP)
			}
		})
	}
}

func TestScaleCommand(t *testing.T) {
	e, c := testEnv(t, nil, tkc("demo", "p1", "p2"))
	_, _, err := run(t, e, "scale", "demo", "--workers", "4")
	wantErr(t, err, "choose one with --pool (p1, p2)")
	if strings.Contains(err.Error(), "scaling cluster") {
		t.Errorf("error = %v, want it without the wrapping", err)
	}
	out, _, err := run(t, e, "scale", "demo", "--pool", "p2", "--workers", "4", "--control-plane", "3")
	if err != nil {
		t.Fatal(err)
	}
	if out != "cluster demo scaled\n" {
		t.Errorf("output = %q", out)
	}
	got := &runv1.TanzuKubernetesCluster{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: testNS, Name: "demo"}, got); err != nil {
		t.Fatal(err)
	}
	if p := got.Spec.Topology.NodePools; *p[0].Replicas != 1 || *p[1].Replicas != 4 || *got.Spec.Topology.ControlPlane.Replicas != 3 {
		t.Errorf("topology = %+v", got.Spec.Topology)
	}
	out, _, err = run(t, e, "scale", "demo", "--pool", "p2", "--workers", "4")
	if err != nil || out != "cluster demo unchanged\n" {
		t.Errorf("scaling again: %q, %v", out, err)
	}
	_, _, err = run(t, e, "scale", "demo")
	wantErr(t, err, "nothing to scale")
	_, _, err = run(t, e, "scale", "missing", "--workers", "1")
	wantErr(t, err, "cluster missing not found in namespace team-a", "kubevisor cluster list -n team-a")
}

func TestUpgrade(t *testing.T) {
	c := tkc("demo", "p1", "p2")
	c.Spec.Topology.NodePools[1].TKR.Reference = nil
	e, cl := testEnv(t, nil, c, tkr("v2", "v1.36.0+vmware.1-kubevisor.1", metav1.ConditionTrue, metav1.ConditionTrue))
	_, _, err := run(t, e, "upgrade", "demo", "--tkr", "v3")
	wantErr(t, err, "--tkr v3: no such TanzuKubernetesRelease", "kubectl get tkr")
	_, _, err = run(t, e, "upgrade", "demo")
	wantErr(t, err, "--tkr is required")
	out, _, err := run(t, e, "upgrade", "demo", "--tkr", "v2")
	if err != nil {
		t.Fatal(err)
	}
	if out != "cluster demo upgrading to v2\n" {
		t.Errorf("output = %q", out)
	}
	got := &runv1.TanzuKubernetesCluster{}
	if err := cl.Get(context.Background(), client.ObjectKey{Namespace: testNS, Name: "demo"}, got); err != nil {
		t.Fatal(err)
	}
	topo := got.Spec.Topology
	if topo.ControlPlane.TKR.Reference.Name != "v2" || topo.NodePools[0].TKR.Reference.Name != "v2" || topo.NodePools[1].TKR.Reference != nil {
		t.Errorf("TKRs: control plane %v, pools %v and %v", topo.ControlPlane.TKR.Reference, topo.NodePools[0].TKR.Reference, topo.NodePools[1].TKR.Reference)
	}
}

func TestKubeconfig(t *testing.T) {
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: testNS, Name: "ready-kubeconfig"},
		Data:       map[string][]byte{"value": []byte("apiVersion: v1\nkind: Config\n")},
	}
	e, _ := testEnv(t, nil, tkc("ready", "p"), tkc("creating", "p"), secret)

	out, _, err := run(t, e, "kubeconfig", "ready")
	if err != nil {
		t.Fatal(err)
	}
	if out != "apiVersion: v1\nkind: Config\n" {
		t.Errorf("output = %q", out)
	}

	file := filepath.Join(t.TempDir(), "kc")
	if _, _, err := run(t, e, "kubeconfig", "ready", "--output", file); err != nil {
		t.Fatal(err)
	}
	if data, err := os.ReadFile(file); err != nil || string(data) != "apiVersion: v1\nkind: Config\n" {
		t.Errorf("file = %q, %v", data, err)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode = %v, %v", fi.Mode(), err)
	}

	_, _, err = run(t, e, "kubeconfig", "creating")
	wantErr(t, err, "cluster creating is not ready yet", "kubevisor cluster get creating -n team-a")
	_, _, err = run(t, e, "kubeconfig", "missing")
	wantErr(t, err, "cluster missing not found in namespace team-a")
}

func TestGetAndList(t *testing.T) {
	ready := tkc("ready", "p1", "p2")
	ready.Status = runv1.TanzuKubernetesClusterStatus{
		Phase: runv1.PhaseRunning, Version: "v1.35.0+vmware.1-kubevisor.1",
		APIEndpoints: []runv1.APIEndpoint{{Host: "192.168.1.10", Port: 6443}},
		Conditions: []metav1.Condition{
			cond(runv1.ReadyCondition, metav1.ConditionTrue, "Ready", ""),
			cond(runv1.AddonsReadyCondition, metav1.ConditionTrue, "Ready", ""),
		},
		TotalWorkerReplicas: 2,
	}
	creating := tkc("creating", "p1")
	creating.Status = runv1.TanzuKubernetesClusterStatus{
		Phase: runv1.PhaseCreating,
		Conditions: []metav1.Condition{
			cond(runv1.ReadyCondition, metav1.ConditionFalse, runv1.WaitingForControlPlaneReason, "control plane"),
			cond(runv1.ControlPlaneReadyCondition, metav1.ConditionFalse, runv1.WaitingForControlPlaneInitializedReason, "the first node\nis starting"),
		},
	}
	other := tkc("other", "p1")
	other.Namespace = "team-b"
	e, _ := testEnv(t, nil, ready, creating, other)

	out, _, err := run(t, e, "get", "ready")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Phase:                   running", "Ready:                   True", "Version:                 v1.35.0+vmware.1-kubevisor.1",
		"https://192.168.1.10:6443", "  p2               1         small     local", "2 desired, 2 reported", "AddonsReady  True"} {
		if !strings.Contains(out, want) {
			t.Errorf("get output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = run(t, e, "get", "creating")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"(not yet)", "the first node is starting",
		"Waiting for:  ControlPlaneReady is False (WaitingForControlPlaneInitialized): the first node is starting"} {
		if !strings.Contains(out, want) {
			t.Errorf("get output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = run(t, e, "get", "ready", "-o", "yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "apiVersion: run.tanzu.vmware.com/v1alpha3\nkind: TanzuKubernetesCluster\n") {
		t.Errorf("yaml output:\n%s", out)
	}
	_, _, err = run(t, e, "get", "ready", "-o", "wide")
	wantErr(t, err, `--output "wide" is not supported`)

	out, _, err = run(t, e, "list")
	if err != nil {
		t.Fatal(err)
	}
	want := `NAME       PHASE      READY   VERSION                          CONTROL PLANE   WORKERS   AGE
creating   creating   False   v1.35.0---vmware.1-kubevisor.1   1               1         60m
ready      running    True    v1.35.0+vmware.1-kubevisor.1     1               2         60m
`
	if d := cmp.Diff(want, out); d != "" {
		t.Errorf("list (-want +got):\n%s", d)
	}
	out, _, err = run(t, e, "list", "-A")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out, "NAMESPACE   NAME") || !strings.Contains(out, "team-b      other") {
		t.Errorf("list -A:\n%s", out)
	}
	out, _, err = run(t, e, "list", "-n", "empty")
	if err != nil || !strings.Contains(out, "No clusters in namespace empty") {
		t.Errorf("list -n empty: %q, %v", out, err)
	}
}

func TestNamespace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config")
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["a"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}
	cfg.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: "t"}
	cfg.Contexts["with"] = &clientcmdapi.Context{Cluster: "a", AuthInfo: "u", Namespace: "team-x"}
	cfg.Contexts["without"] = &clientcmdapi.Context{Cluster: "a", AuthInfo: "u"}
	cfg.CurrentContext = "with"
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HOME", dir)
	t.Setenv("KUBECONFIG", "")
	tests := []struct {
		name, kubeconfig, context, flag, want string
	}{
		{name: "context's namespace", kubeconfig: path, want: "team-x"},
		{name: "flag wins", kubeconfig: path, flag: "team-y", want: "team-y"},
		{name: "context without one", kubeconfig: path, context: "without", want: "default"},
		{name: "no kubeconfig", want: "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := &env{namespace: tt.flag}
			e.kc.Kubeconfig, e.kc.Context = tt.kubeconfig, tt.context
			if got := e.ns(); got != tt.want {
				t.Errorf("ns() = %s, want %s", got, tt.want)
			}
		})
	}
}
