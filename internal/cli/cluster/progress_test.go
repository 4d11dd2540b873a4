package cluster

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
)

const (
	T = metav1.ConditionTrue
	F = metav1.ConditionFalse
)

// withStatus is cluster demo at generation gen with phase and conditions.
func withStatus(gen int64, phase runv1.TanzuKubernetesClusterPhase, conds ...metav1.Condition) *runv1.TanzuKubernetesCluster {
	c := tkc("demo", "p1")
	c.Generation = gen
	c.Status.Phase = phase
	c.Status.Conditions = conds
	return c
}

var (
	creating  = withStatus(1, runv1.PhaseCreating)
	waitingCP = withStatus(1, runv1.PhaseCreating,
		cond(runv1.ReadyCondition, F, runv1.WaitingForControlPlaneReason, "waiting"),
		cond(runv1.ControlPlaneReadyCondition, F, runv1.WaitingForControlPlaneInitializedReason, "0 of 1 control plane nodes are up"),
		cond(runv1.NodePoolsReadyCondition, F, runv1.NodePoolsUpdatingReason, "p1: 0 of 1 ready"))
	waitingCP2 = withStatus(1, runv1.PhaseCreating,
		cond(runv1.ReadyCondition, F, runv1.WaitingForControlPlaneReason, "waiting"),
		cond(runv1.ControlPlaneReadyCondition, F, runv1.WaitingForControlPlaneInitializedReason, "the API server\nis starting"),
		cond(runv1.NodePoolsReadyCondition, F, runv1.NodePoolsUpdatingReason, "p1: 0 of 1 ready"))
	waitingPools = withStatus(1, runv1.PhaseCreating,
		cond(runv1.ReadyCondition, F, runv1.NodePoolsUpdatingReason, "waiting"),
		cond(runv1.ControlPlaneReadyCondition, T, "Ready", ""),
		cond(runv1.NodePoolsReadyCondition, F, runv1.NodePoolsUpdatingReason, "p1: 0 of 1 ready"),
		cond(runv1.AddonsReadyCondition, F, "Installing", "CNI"))
	waitingAddons = withStatus(1, runv1.PhaseCreating,
		cond(runv1.ReadyCondition, F, runv1.AddonsReconciliationFailedReason, "waiting"),
		cond(runv1.ControlPlaneReadyCondition, T, "Ready", ""),
		cond(runv1.NodePoolsReadyCondition, T, "Ready", ""),
		cond(runv1.NodesHealthyCondition, T, "Ready", ""),
		cond(runv1.AddonsReadyCondition, F, runv1.AddonsReconciliationFailedReason, "CNI: not yet"))
	running = withStatus(1, runv1.PhaseRunning,
		cond(runv1.ReadyCondition, T, "Ready", ""),
		cond(runv1.ControlPlaneReadyCondition, T, "Ready", ""),
		cond(runv1.NodePoolsReadyCondition, T, "Ready", ""),
		cond(runv1.AddonsReadyCondition, T, "Ready", ""))
	runningStale = withStatus(2, runv1.PhaseRunning,
		cond(runv1.ReadyCondition, T, "Ready", ""),
		cond(runv1.ControlPlaneReadyCondition, T, "Ready", ""))
	failed = withStatus(1, runv1.PhaseFailed,
		cond(runv1.ReadyCondition, F, runv1.WaitingForControlPlaneReason, ""),
		cond(runv1.ControlPlaneReadyCondition, F, runv1.WaitingForClusterInfrastructureReason, "no IP addresses left in the pool"))
)

func TestStateOf(t *testing.T) {
	tests := []struct {
		name           string
		tkc            *runv1.TanzuKubernetesCluster
		phase          string
		ready, failed  bool
		blocking       string
		blockingReason string
	}{
		{name: "no status", tkc: tkc("demo"), phase: "pending", blocking: "Ready", blockingReason: "NotReported"},
		{name: "no conditions", tkc: creating, phase: "creating", blocking: "Ready", blockingReason: "NotReported"},
		{name: "control plane first", tkc: waitingCP, phase: "creating", blocking: runv1.ControlPlaneReadyCondition, blockingReason: runv1.WaitingForControlPlaneInitializedReason},
		{name: "then node pools", tkc: waitingPools, phase: "creating", blocking: runv1.NodePoolsReadyCondition, blockingReason: runv1.NodePoolsUpdatingReason},
		{name: "then add-ons", tkc: waitingAddons, phase: "creating", blocking: runv1.AddonsReadyCondition, blockingReason: runv1.AddonsReconciliationFailedReason},
		{name: "ready", tkc: running, phase: "running", ready: true},
		{name: "ready for an older generation", tkc: runningStale, phase: "running", blocking: "Ready", blockingReason: "ChangeNotObservedYet"},
		{name: "ready but not running", tkc: withStatus(1, runv1.PhaseUpdating, cond(runv1.ReadyCondition, T, "Ready", "")), phase: "updating", blocking: "Ready", blockingReason: "PhaseNotRunning"},
		{name: "Ready false, summarised all true", tkc: withStatus(1, runv1.PhaseCreating, cond(runv1.ReadyCondition, F, runv1.WaitingForConditionsReason, "NodesHealthy not reported")),
			phase: "creating", blocking: "Ready", blockingReason: runv1.WaitingForConditionsReason},
		{name: "failed", tkc: failed, phase: "failed", failed: true, blocking: runv1.ControlPlaneReadyCondition, blockingReason: runv1.WaitingForClusterInfrastructureReason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := stateOf(tt.tkc)
			if s.phase != tt.phase || s.ready != tt.ready || s.failed != tt.failed || s.blocking.Type != tt.blocking || s.blocking.Reason != tt.blockingReason {
				t.Errorf("stateOf = {phase %s, ready %v, failed %v, blocking %s/%s}, want {%s, %v, %v, %s/%s}",
					s.phase, s.ready, s.failed, s.blocking.Type, s.blocking.Reason, tt.phase, tt.ready, tt.failed, tt.blocking, tt.blockingReason)
			}
		})
	}
}

// feed gives p the states of tkcs, seconds apart, and returns what it wrote.
func feed(p *progress, tkcs ...*runv1.TanzuKubernetesCluster) string {
	var b strings.Builder
	for i, c := range tkcs {
		b.WriteString(p.update(stateOf(c), epoch.Add(time.Duration(i+1)*5*time.Second)))
	}
	b.WriteString(p.finish())
	return b.String()
}

func TestProgressNotTerminal(t *testing.T) {
	p := newProgress(false, 0, epoch)
	got := feed(p, creating, waitingCP, waitingCP, waitingCP2, waitingPools, waitingPools, running)
	want := `10:00:05     5s  creating  waiting for Ready is Unknown (NotReported): the cluster has no Ready condition yet
10:00:10    10s  creating  waiting for ControlPlaneReady is False (WaitingForControlPlaneInitialized): 0 of 1 control plane nodes are up
10:00:25    25s  creating  waiting for NodePoolsReady is False (NodePoolsUpdating): p1: 0 of 1 ready
10:00:35    35s  running  ready
`
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("output (-want +got):\n%s", d)
	}
}

func TestProgressTerminal(t *testing.T) {
	p := newProgress(true, 80, epoch)
	got := feed(p, creating, waitingCP, waitingCP2, running)
	want := "10:00:05 phase creating\n" +
		"    5s  creating  waiting for Ready is Unknown (NotReported): the cluster has …" +
		clearLine + "   10s  creating  waiting for ControlPlaneReady is False (WaitingForControlPla…" +
		clearLine + "   15s  creating  waiting for ControlPlaneReady is False (WaitingForControlPla…" +
		clearLine + "10:00:20 phase running\n" +
		"   20s  running  ready" +
		clearLine
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("output (-want +got):\n%s", d)
	}
	for _, line := range strings.Split(strings.ReplaceAll(got, clearLine, "\n"), "\n") {
		if n := utf8.RuneCountInString(line); n > 79 {
			t.Errorf("line %q is %d characters, wider than the terminal", line, n)
		}
	}

	wide := newProgress(true, 200, epoch)
	got = wide.update(stateOf(waitingCP2), epoch.Add(90*time.Second))
	want = "10:01:30 phase creating\n" +
		" 1m30s  creating  waiting for ControlPlaneReady is False (WaitingForControlPlaneInitialized): the API server is starting"
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("wide output (-want +got):\n%s", d)
	}
}

func TestTruncate(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{{"abc", 3, "abc"}, {"abcd", 3, "ab…"}, {"äöüß", 2, "ä…"}, {"abc", 0, "…"}} {
		if got := truncate(tt.in, tt.n); got != tt.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

// sequence makes Gets of cluster demo return states in turn (the last one
// again and again); nil stands for NotFound.
func sequence(states ...*runv1.TanzuKubernetesCluster) *interceptor.Funcs {
	var (
		mu sync.Mutex
		i  int
	)
	return &interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
		out, ok := obj.(*runv1.TanzuKubernetesCluster)
		if !ok || key.Name != "demo" {
			return c.Get(ctx, key, obj, opts...)
		}
		mu.Lock()
		s := states[min(i, len(states)-1)]
		i++
		mu.Unlock()
		if s == nil {
			return apierrors.NewNotFound(schema.GroupResource{Group: runv1.GroupVersion.Group, Resource: "tanzukubernetesclusters"}, key.Name)
		}
		s.DeepCopyInto(out)
		return nil
	}}
}

func TestWaitReady(t *testing.T) {
	e, c := testEnv(t, sequence(creating, waitingCP, waitingPools, running))
	var out strings.Builder
	if err := e.waitReady(context.Background(), c, &out, testNS, "demo", time.Minute); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 || !strings.Contains(lines[1], "ControlPlaneReady is False") || !strings.Contains(lines[3], "running  ready") ||
		!strings.HasPrefix(lines[4], "cluster demo is ready (") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestWaitReadyFails(t *testing.T) {
	e, c := testEnv(t, sequence(waitingCP, failed))
	var out strings.Builder
	err := e.waitReady(context.Background(), c, &out, testNS, "demo", time.Minute)
	wantErr(t, err, "cluster demo in namespace team-a is failed: ControlPlaneReady is False (WaitingForClusterInfrastructure): no IP addresses left in the pool",
		"kubevisor cluster get demo -n team-a", "kubectl describe cluster demo -n team-a")
}

func TestWaitReadyTimesOut(t *testing.T) {
	e, c := testEnv(t, sequence(runningStale))
	err := e.waitReady(context.Background(), c, &strings.Builder{}, testNS, "demo", 20*time.Millisecond)
	wantErr(t, err, "timed out after 20ms waiting for cluster demo in namespace team-a to be ready: phase running, waiting for Ready is Unknown (ChangeNotObservedYet)",
		"kubevisor cluster get demo -n team-a")
}

func TestWaitReadyDeleted(t *testing.T) {
	e, c := testEnv(t, sequence(waitingCP, nil))
	err := e.waitReady(context.Background(), c, &strings.Builder{}, testNS, "demo", time.Minute)
	wantErr(t, err, "was deleted while waiting")
}

func TestScaleWait(t *testing.T) {
	// The cluster is scaled (generation 2), reports Ready for generation 1
	// at first, then for generation 2.
	stale := withStatus(2, runv1.PhaseRunning, running.Status.Conditions...)
	updating := withStatus(2, runv1.PhaseUpdating,
		cond(runv1.ReadyCondition, F, runv1.NodePoolsUpdatingReason, ""),
		cond(runv1.ControlPlaneReadyCondition, T, "Ready", ""),
		cond(runv1.NodePoolsReadyCondition, F, runv1.NodePoolsUpdatingReason, "p1: 1 of 2 ready"))
	done := withStatus(2, runv1.PhaseRunning)
	for _, c := range running.Status.Conditions {
		c.ObservedGeneration = 2
		done.Status.Conditions = append(done.Status.Conditions, c)
	}
	seq := sequence(stale, updating, done)
	get := seq.Get
	calls := 0
	seq.Get = func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
		// The first Get is the scale's own read: the real object.
		if calls++; calls == 1 {
			return c.Get(ctx, key, obj, opts...)
		}
		return get(ctx, c, key, obj, opts...)
	}
	e, _ := testEnv(t, seq, tkc("demo", "p1"))
	out, _, err := run(t, e, "scale", "demo", "--workers", "2", "--wait")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"cluster demo scaled\n", "running  waiting for Ready is Unknown (ChangeNotObservedYet)",
		"updating  waiting for NodePoolsReady is False (NodePoolsUpdating): p1: 1 of 2 ready", "running  ready\n", "cluster demo is ready ("} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDeleteWait(t *testing.T) {
	deleting := withStatus(1, runv1.PhaseDeleting)
	e, _ := testEnv(t, sequence(deleting, deleting, nil), tkc("demo", "p1"))
	out, _, err := run(t, e, "delete", "demo", "--wait", "--timeout", "1m")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], "waiting up to 1m0s") || !strings.Contains(lines[1], "deleting") || !strings.HasPrefix(lines[2], "cluster demo deleted (") {
		t.Errorf("output:\n%s", out)
	}
	_, _, err = run(t, e, "delete", "missing")
	wantErr(t, err, "cluster missing not found in namespace team-a")
}
