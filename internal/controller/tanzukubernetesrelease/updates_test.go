package tanzukubernetesrelease

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/scheme"
	"github.com/kubevisor/kubevisor/internal/tkr"
)

// published is a release as the image controller publishes it: Ready and
// Compatible unless ready is false.
func published(k8s, build string, ready bool) *runv1.TanzuKubernetesRelease {
	r := tkr.Release{Kubernetes: k8s, Build: build}
	rel := r.TanzuKubernetesRelease()
	status := metav1.ConditionTrue
	if !ready {
		status = metav1.ConditionFalse
	}
	rel.Status.Conditions = []metav1.Condition{
		{Type: runv1.ReadyCondition, Status: status, Reason: "Test"},
		{Type: runv1.CompatibleCondition, Status: metav1.ConditionTrue, Reason: "Test"},
	}
	return rel
}

func TestUpdatesReconciler(t *testing.T) {
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	releases := []*runv1.TanzuKubernetesRelease{
		published("v1.35.2", "kubevisor.1", true),
		published("v1.36.3", "kubevisor.1", true),
		published("v1.36.3", "kubevisor.2", true),
		published("v1.36.4", "kubevisor.1", false), // not Ready: not an update
	}
	b := fake.NewClientBuilder().WithScheme(s).WithStatusSubresource(&runv1.TanzuKubernetesRelease{})
	for _, r := range releases {
		b = b.WithObjects(r)
	}
	c := b.Build()
	r := &UpdatesReconciler{Client: c}
	ctx := context.Background()
	if _, err := r.Reconcile(ctx, allReleases); err != nil {
		t.Fatal(err)
	}

	want := map[string]struct {
		status          metav1.ConditionStatus
		reason, message string
	}{
		releases[0].Name: {metav1.ConditionTrue, runv1.UpdatesAvailableCondition, "[v1.36.3+vmware.1-kubevisor.1 v1.36.3+vmware.1-kubevisor.2]"},
		releases[1].Name: {metav1.ConditionTrue, runv1.UpdatesAvailableCondition, "[v1.36.3+vmware.1-kubevisor.2]"},
		releases[2].Name: {metav1.ConditionFalse, runv1.AlreadyUpToDateReason, ""},
		releases[3].Name: {metav1.ConditionFalse, runv1.AlreadyUpToDateReason, ""},
	}
	versions := map[string]string{}
	for name, w := range want {
		got := &runv1.TanzuKubernetesRelease{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, got); err != nil {
			t.Fatal(err)
		}
		cond := meta.FindStatusCondition(got.Status.Conditions, runv1.UpdatesAvailableCondition)
		if cond == nil || cond.Status != w.status || cond.Reason != w.reason || cond.Message != w.message {
			t.Errorf("%s: UpdatesAvailable = %+v, want %s %s %q", name, cond, w.status, w.reason, w.message)
		}
		if meta.FindStatusCondition(got.Status.Conditions, runv1.ReadyCondition) == nil {
			t.Errorf("%s: the release's other conditions were lost: %+v", name, got.Status.Conditions)
		}
		versions[name] = got.ResourceVersion
	}

	// A second pass over unchanged releases writes nothing.
	if _, err := r.Reconcile(ctx, allReleases); err != nil {
		t.Fatal(err)
	}
	for name, rv := range versions {
		got := &runv1.TanzuKubernetesRelease{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, got); err != nil {
			t.Fatal(err)
		}
		if got.ResourceVersion != rv {
			t.Errorf("%s was written again by a pass that had nothing to change", name)
		}
	}

	// A release turning Ready becomes an update of the older ones.
	newest := &runv1.TanzuKubernetesRelease{}
	if err := c.Get(ctx, client.ObjectKey{Name: releases[3].Name}, newest); err != nil {
		t.Fatal(err)
	}
	meta.SetStatusCondition(&newest.Status.Conditions, metav1.Condition{Type: runv1.ReadyCondition, Status: metav1.ConditionTrue, Reason: "Test"})
	if err := c.Status().Update(ctx, newest); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reconcile(ctx, allReleases); err != nil {
		t.Fatal(err)
	}
	got := &runv1.TanzuKubernetesRelease{}
	if err := c.Get(ctx, client.ObjectKey{Name: releases[2].Name}, got); err != nil {
		t.Fatal(err)
	}
	if cond := meta.FindStatusCondition(got.Status.Conditions, runv1.UpdatesAvailableCondition); cond == nil || cond.Message != "[v1.36.4+vmware.1-kubevisor.1]" {
		t.Errorf("after v1.36.4 turned Ready, %s: UpdatesAvailable = %+v", releases[2].Name, cond)
	}
}
