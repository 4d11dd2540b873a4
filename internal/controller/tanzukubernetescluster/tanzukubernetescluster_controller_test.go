package tanzukubernetescluster

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/controller/clusteraddons"
	"github.com/kubevisor/kubevisor/internal/scheme"
	"github.com/kubevisor/kubevisor/internal/tkg"
)

const (
	release    = "v1.36.3---vmware.1-kubevisor.1"
	newRelease = "v1.36.4---vmware.1-kubevisor.1"
	k8sVersion = "v1.36.3+vmware.1"
)

var key = types.NamespacedName{Namespace: "team-a", Name: "tkc-1"}

func ptr[T any](v T) *T { return &v }

func newTKC() *runv1.TanzuKubernetesCluster {
	return &runv1.TanzuKubernetesCluster{
		ObjectMeta: metav1.ObjectMeta{Name: key.Name, Namespace: key.Namespace, Generation: 1},
		Spec: runv1.TanzuKubernetesClusterSpec{
			Topology: runv1.Topology{
				ControlPlane: runv1.ControlPlane{Replicas: ptr[int32](1), TopologySettings: runv1.TopologySettings{
					VMClass: "best-effort-small", StorageClass: "gold",
					TKR: runv1.TKRReference{Reference: &corev1.ObjectReference{Name: release}},
				}},
				NodePools: []runv1.NodePool{{
					Name: "workers", Replicas: ptr[int32](2), Labels: map[string]string{"tier": "web"},
					TopologySettings: runv1.TopologySettings{VMClass: "best-effort-small", StorageClass: "gold"},
				}},
			},
			Settings: &runv1.Settings{Network: &runv1.Network{
				Proxy: &runv1.ProxyConfiguration{HTTPProxy: ptr("http://proxy:3128"), NoProxy: []string{"10.0.0.0/8"}},
			}},
		},
	}
}

// env is a fake API with a reconciler.
type env struct {
	t *testing.T
	c client.Client
	r *Reconciler
}

func newEnv(t *testing.T, objs ...client.Object) *env {
	t.Helper()
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(s).
		WithStatusSubresource(&runv1.TanzuKubernetesCluster{}, &clusterv1.Cluster{}).
		WithObjects(objs...).Build()
	return &env{t: t, c: c, r: &Reconciler{Client: c}}
}

func (e *env) reconcile() ctrl.Result {
	e.t.Helper()
	res, err := e.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: key})
	if err != nil {
		e.t.Fatalf("Reconcile: %v", err)
	}
	return res
}

func (e *env) tkc() *runv1.TanzuKubernetesCluster {
	e.t.Helper()
	t := &runv1.TanzuKubernetesCluster{}
	if err := e.c.Get(context.Background(), key, t); err != nil {
		e.t.Fatal(err)
	}
	return t
}

func (e *env) cluster() *clusterv1.Cluster {
	e.t.Helper()
	c := &clusterv1.Cluster{}
	if err := e.c.Get(context.Background(), key, c); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// admit does to the Cluster what the Cluster mutating webhook and Cluster
// API's defaulting do: resolve the version, label the release, add
// TKR_DATA, and re-encode variables with sorted keys.
func (e *env) admit() {
	e.t.Helper()
	c := e.cluster()
	c.Labels[runv1.LabelTKR] = c.Spec.Topology.Version
	c.Spec.Topology.Version = k8sVersion
	for i := range c.Spec.Topology.Variables {
		if c.Spec.Topology.Variables[i].Name == "proxy" {
			c.Spec.Topology.Variables[i].Value.Raw = []byte(`{"noProxy": ["10.0.0.0/8"], "httpProxy": "http://proxy:3128"}`)
		}
	}
	c.Spec.Topology.Variables = append([]clusterv1.ClusterVariable{{Name: "TKR_DATA", Value: apiextensionsv1.JSON{Raw: []byte(`{"v1.36.3+vmware.1":{}}`)}}}, c.Spec.Topology.Variables...)
	if err := e.c.Update(context.Background(), c); err != nil {
		e.t.Fatal(err)
	}
}

// setAvailable reports the Cluster up, the way Cluster API does.
func (e *env) setAvailable() {
	e.t.Helper()
	c := e.cluster()
	c.Spec.ControlPlaneEndpoint = clusterv1.APIEndpoint{Host: "10.0.0.10", Port: 6443}
	if err := e.c.Update(context.Background(), c); err != nil {
		e.t.Fatal(err)
	}
	c.Status.Phase = string(clusterv1.ClusterPhaseProvisioned)
	c.Status.ControlPlane, c.Status.Workers = sizedStatus(newTKC())
	for _, typ := range []string{clusterv1.ClusterAvailableCondition, clusterv1.ClusterControlPlaneAvailableCondition, clusterv1.ClusterWorkersAvailableCondition} {
		meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{Type: typ, Status: metav1.ConditionTrue, Reason: "Available"})
	}
	for _, typ := range []string{clusterv1.ClusterRollingOutCondition, clusterv1.ClusterScalingUpCondition, clusterv1.ClusterScalingDownCondition} {
		meta.SetStatusCondition(&c.Status.Conditions, metav1.Condition{Type: typ, Status: metav1.ConditionFalse, Reason: "No"})
	}
	if err := e.c.Status().Update(context.Background(), c); err != nil {
		e.t.Fatal(err)
	}
}

// quiet reconciles and fails if the TKC or the Cluster is written.
func (e *env) quiet() {
	e.t.Helper()
	tkc, cluster := e.tkc().ResourceVersion, e.cluster().ResourceVersion
	e.reconcile()
	if got := e.tkc().ResourceVersion; got != tkc {
		e.t.Errorf("TKC written: resourceVersion %s -> %s", tkc, got)
	}
	if got := e.cluster().ResourceVersion; got != cluster {
		e.t.Errorf("Cluster written: resourceVersion %s -> %s", cluster, got)
	}
}

func mdReplicas(c *clusterv1.Cluster) int32 {
	return *c.Spec.Topology.Workers.MachineDeployments[0].Replicas
}

func TestCreateAndConverge(t *testing.T) {
	e := newEnv(t, newTKC())
	e.reconcile()

	tkc := e.tkc()
	if len(tkc.Finalizers) != 1 || tkc.Finalizers[0] != Finalizer {
		t.Errorf("finalizers = %v", tkc.Finalizers)
	}
	c := e.cluster()
	if !metav1.IsControlledBy(c, tkc) {
		t.Errorf("Cluster owners = %v, want the TKC as controller", c.OwnerReferences)
	}
	if c.Labels[clusteraddons.CNILabel] != clusteraddons.KubevisorCNI || c.Spec.Topology.ClassRef.Name != tkg.ClassName || c.Spec.Topology.Version != release {
		t.Errorf("Cluster = labels %v, class %s, version %s", c.Labels, c.Spec.Topology.ClassRef.Name, c.Spec.Topology.Version)
	}
	if tkc.Status.Phase != runv1.PhaseCreating {
		t.Errorf("phase = %s, want creating", tkc.Status.Phase)
	}
	if r := meta.FindStatusCondition(tkc.Status.Conditions, runv1.ReadyCondition); r == nil || r.Status == metav1.ConditionTrue {
		t.Errorf("Ready = %+v, want not true", r)
	}

	t.Run("second reconcile writes nothing", func(t *testing.T) { e.quiet() })

	t.Run("admission's changes are not undone", func(t *testing.T) {
		e.admit()
		e.quiet()
		if v := e.cluster().Spec.Topology.Version; v != k8sVersion {
			t.Errorf("version = %s, want the resolved %s kept", v, k8sVersion)
		}
	})

	t.Run("status mirrors an available Cluster", func(t *testing.T) {
		e.setAvailable()
		e.reconcile()
		s := e.tkc().Status
		if s.Phase != runv1.PhaseRunning {
			t.Errorf("phase = %s, want running", s.Phase)
		}
		for _, typ := range []string{runv1.ReadyCondition, runv1.ControlPlaneReadyCondition, runv1.NodePoolsReadyCondition} {
			if c := meta.FindStatusCondition(s.Conditions, typ); c == nil || c.Status != metav1.ConditionTrue || c.ObservedGeneration != 1 {
				t.Errorf("%s = %+v, want True at generation 1", typ, c)
			}
		}
		if len(s.APIEndpoints) != 1 || s.APIEndpoints[0] != (runv1.APIEndpoint{Host: "10.0.0.10", Port: 6443}) {
			t.Errorf("apiEndpoints = %v", s.APIEndpoints)
		}
		if s.TotalWorkerReplicas != 2 || s.Version != release {
			t.Errorf("totalWorkerReplicas, version = %d, %s", s.TotalWorkerReplicas, s.Version)
		}
		e.quiet()
	})

	t.Run("a replicas edit reaches the Cluster", func(t *testing.T) {
		tkc := e.tkc()
		tkc.Spec.Topology.NodePools[0].Replicas = ptr[int32](3)
		tkc.Generation = 2
		if err := e.c.Update(context.Background(), tkc); err != nil {
			t.Fatal(err)
		}
		e.reconcile()
		c := e.cluster()
		if mdReplicas(c) != 3 {
			t.Errorf("machineDeployment replicas = %d, want 3", mdReplicas(c))
		}
		if c.Spec.Topology.Version != k8sVersion || c.Spec.Topology.Variables[0].Name != "TKR_DATA" {
			t.Errorf("version %s, variables %v: admission's changes lost", c.Spec.Topology.Version, c.Spec.Topology.Variables)
		}
		if p := e.tkc().Status.Phase; p != runv1.PhaseUpdating {
			t.Errorf("phase = %s, want updating", p)
		}
		e.reconcile() // the Cluster's update event
		e.quiet()
	})

	t.Run("a new release goes to the Cluster by name", func(t *testing.T) {
		tkc := e.tkc()
		tkc.Spec.Topology.ControlPlane.TKR.Reference.Name = newRelease
		if err := e.c.Update(context.Background(), tkc); err != nil {
			t.Fatal(err)
		}
		e.reconcile()
		if v := e.cluster().Spec.Topology.Version; v != newRelease {
			t.Errorf("version = %s, want %s for the webhook to resolve", v, newRelease)
		}
	})
}

func TestInvalidSpec(t *testing.T) {
	tkc := newTKC()
	tkc.Spec.Topology.ControlPlane.TKR = runv1.TKRReference{}
	e := newEnv(t, tkc)
	e.reconcile()
	if err := e.c.Get(context.Background(), key, &clusterv1.Cluster{}); !apierrors.IsNotFound(err) {
		t.Errorf("Cluster: %v, want none", err)
	}
	s := e.tkc().Status
	r := meta.FindStatusCondition(s.Conditions, runv1.ReadyCondition)
	if r == nil || r.Status != metav1.ConditionFalse || r.Reason != runv1.InvalidSpecReason ||
		r.Message != "spec.topology.controlPlane.tkr.reference.name is required: name a TanzuKubernetesRelease (kubectl get tkr)" {
		t.Errorf("Ready = %+v", r)
	}
	if s.Phase != runv1.PhaseFailed {
		t.Errorf("phase = %s, want failed", s.Phase)
	}
	e.reconcile()
	if got := e.tkc().Status; !equalConditionTimes(s, got) {
		t.Errorf("second reconcile changed the status")
	}
}

func equalConditionTimes(a, b runv1.TanzuKubernetesClusterStatus) bool {
	for _, c := range a.Conditions {
		d := meta.FindStatusCondition(b.Conditions, c.Type)
		if d == nil || !d.LastTransitionTime.Equal(&c.LastTransitionTime) {
			return false
		}
	}
	return len(a.Conditions) == len(b.Conditions)
}

func TestNameConflict(t *testing.T) {
	other := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: key.Name, Namespace: key.Namespace}}
	e := newEnv(t, newTKC(), other)
	e.reconcile()
	if c := e.cluster(); len(c.OwnerReferences) != 0 || c.Spec.Topology.ClassRef.Name != "" {
		t.Errorf("someone else's Cluster was changed: %+v", c)
	}
	r := meta.FindStatusCondition(e.tkc().Status.Conditions, runv1.ReadyCondition)
	if r == nil || r.Reason != runv1.ClusterNameConflictReason {
		t.Errorf("Ready = %+v", r)
	}
}

func TestDelete(t *testing.T) {
	e := newEnv(t, newTKC())
	e.reconcile()
	// Cluster API's finalizer holds the Cluster until its machines are gone.
	c := e.cluster()
	c.Finalizers = []string{clusterv1.ClusterFinalizer}
	if err := e.c.Update(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if err := e.c.Delete(context.Background(), e.tkc()); err != nil {
		t.Fatal(err)
	}

	if res := e.reconcile(); res.RequeueAfter != deletePollInterval {
		t.Errorf("result = %+v, want a re-check after %s", res, deletePollInterval)
	}
	if c := e.cluster(); c.DeletionTimestamp.IsZero() {
		t.Error("Cluster not deleted")
	}
	tkc := e.tkc()
	if len(tkc.Finalizers) != 1 || tkc.Status.Phase != runv1.PhaseDeleting {
		t.Errorf("TKC finalizers %v, phase %s: want the finalizer kept and phase deleting", tkc.Finalizers, tkc.Status.Phase)
	}
	e.reconcile() // still there: nothing changes

	c = e.cluster()
	c.Finalizers = nil
	if err := e.c.Update(context.Background(), c); err != nil {
		t.Fatal(err)
	}
	if res := e.reconcile(); res.RequeueAfter != 0 {
		t.Errorf("result = %+v, want done", res)
	}
	if err := e.c.Get(context.Background(), key, &runv1.TanzuKubernetesCluster{}); !apierrors.IsNotFound(err) {
		t.Errorf("TKC: %v, want it gone", err)
	}
}

func TestPhase(t *testing.T) {
	cond := func(typ string, s metav1.ConditionStatus) metav1.Condition {
		return metav1.Condition{Type: typ, Status: s, Reason: "R"}
	}
	cluster := func(phase string, conds ...metav1.Condition) *clusterv1.Cluster {
		cp, w := sizedStatus(newTKC())
		return &clusterv1.Cluster{Status: clusterv1.ClusterStatus{Phase: phase, Conditions: conds, ControlPlane: cp, Workers: w}}
	}
	available := cond(clusterv1.ClusterAvailableCondition, metav1.ConditionTrue)
	unavailable := cond(clusterv1.ClusterAvailableCondition, metav1.ConditionFalse)
	short := cluster("Provisioned", available)
	short.Status.Workers.AvailableReplicas = ptr(*short.Status.Workers.AvailableReplicas - 1)
	now := metav1.NewTime(time.Now())
	tests := []struct {
		name     string
		deleting bool
		previous runv1.TanzuKubernetesClusterPhase
		o        observation
		want     runv1.TanzuKubernetesClusterPhase
	}{
		{name: "no Cluster yet", want: runv1.PhaseCreating},
		{name: "invalid spec, no Cluster", o: observation{invalidSpec: errTest}, want: runv1.PhaseFailed},
		{name: "provisioning", o: observation{cluster: cluster("Provisioning", unavailable)}, want: runv1.PhaseCreating},
		{name: "available", o: observation{cluster: cluster("Provisioned", available)}, want: runv1.PhaseRunning},
		{name: "available, a new worker not available yet", o: observation{cluster: short}, want: runv1.PhaseUpdating},
		{name: "available, just updated", o: observation{cluster: cluster("Provisioned", available), updated: true}, want: runv1.PhaseUpdating},
		{name: "rolling out", o: observation{cluster: cluster("Provisioned", available, cond(clusterv1.ClusterRollingOutCondition, metav1.ConditionTrue))}, want: runv1.PhaseUpdating},
		{name: "scaling down", o: observation{cluster: cluster("Provisioned", available, cond(clusterv1.ClusterScalingDownCondition, metav1.ConditionTrue))}, want: runv1.PhaseUpdating},
		{name: "topology not reconciled", o: observation{cluster: cluster("Provisioned", available, cond(clusterv1.ClusterTopologyReconciledCondition, metav1.ConditionFalse))}, want: runv1.PhaseUpdating},
		{name: "failed", o: observation{cluster: cluster("Failed", unavailable)}, want: runv1.PhaseFailed},
		{name: "was running, now unavailable", previous: runv1.PhaseRunning, o: observation{cluster: cluster("Provisioned", unavailable)}, want: runv1.PhaseUnhealthy},
		{name: "was running, unavailable while scaling", previous: runv1.PhaseRunning, o: observation{cluster: cluster("Provisioned", unavailable, cond(clusterv1.ClusterScalingUpCondition, metav1.ConditionTrue))}, want: runv1.PhaseUpdating},
		{name: "was updating, unavailable while new nodes join", previous: runv1.PhaseUpdating, o: observation{cluster: cluster("Provisioned", unavailable)}, want: runv1.PhaseUpdating},
		{name: "deleting", deleting: true, o: observation{cluster: cluster("Provisioned", available)}, want: runv1.PhaseDeleting},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tkc := newTKC()
			tkc.Status.Phase = tt.previous
			if tt.deleting {
				tkc.DeletionTimestamp = &now
			}
			if got := phase(tkc, tt.o); got != tt.want {
				t.Errorf("phase = %s, want %s", got, tt.want)
			}
		})
	}
}

type testError struct{}

func (testError) Error() string { return "spec.x is wrong" }

var errTest = testError{}

// sizedStatus is the replica status of a Cluster that has every node t
// asks for.
func sizedStatus(t *runv1.TanzuKubernetesCluster) (*clusterv1.ClusterControlPlaneStatus, *clusterv1.WorkersStatus) {
	cp := int32(1)
	if r := t.Spec.Topology.ControlPlane.Replicas; r != nil {
		cp = *r
	}
	var w int32
	for _, p := range t.Spec.Topology.NodePools {
		w += *p.Replicas
	}
	return &clusterv1.ClusterControlPlaneStatus{DesiredReplicas: ptr(cp), Replicas: ptr(cp), UpToDateReplicas: ptr(cp), ReadyReplicas: ptr(cp), AvailableReplicas: ptr(cp)},
		&clusterv1.WorkersStatus{DesiredReplicas: ptr(w), Replicas: ptr(w), UpToDateReplicas: ptr(w), ReadyReplicas: ptr(w), AvailableReplicas: ptr(w)}
}

func TestUpdatesAvailable(t *testing.T) {
	rel := func(name, version, k8s string) *runv1.TanzuKubernetesRelease {
		r := &runv1.TanzuKubernetesRelease{}
		r.Name = name
		r.Spec.Version, r.Spec.Kubernetes.Version = version, k8s
		r.Status.Conditions = []metav1.Condition{
			{Type: runv1.ReadyCondition, Status: metav1.ConditionTrue, Reason: "Test"},
			{Type: runv1.CompatibleCondition, Status: metav1.ConditionTrue, Reason: "Test"},
		}
		return r
	}
	current := rel("v1.36.3---vmware.1-kubevisor.1", "v1.36.3+vmware.1-kubevisor.1", "v1.36.3+vmware.1")
	e := newEnv(t, current)
	tkc := &runv1.TanzuKubernetesCluster{}
	status := runv1.TanzuKubernetesClusterStatus{Version: current.Name}
	check := func(want metav1.ConditionStatus, reason, message string) {
		t.Helper()
		if err := e.r.setReleaseCompatible(context.Background(), tkc, &status); err != nil {
			t.Fatal(err)
		}
		c := meta.FindStatusCondition(status.Conditions, runv1.UpdatesAvailableCondition)
		if c == nil || c.Status != want || c.Reason != reason || c.Message != message {
			t.Errorf("UpdatesAvailable = %+v, want %s %s %q", c, want, reason, message)
		}
	}
	check(metav1.ConditionFalse, runv1.AlreadyUpToDateReason, "")
	if err := e.c.Create(context.Background(), rel("v1.37.1---vmware.1-kubevisor.1", "v1.37.1+vmware.1-kubevisor.1", "v1.37.1+vmware.1")); err != nil {
		t.Fatal(err)
	}
	check(metav1.ConditionTrue, "UpdatesAvailable", "[v1.37.1+vmware.1-kubevisor.1]")
	status.Version = "v9.9.9---gone"
	check(metav1.ConditionUnknown, runv1.TKRNotFoundReason, "TanzuKubernetesRelease v9.9.9---gone does not exist (kubectl get tkr)")
}
