package tanzukubernetesrelease

import (
	"context"
	"errors"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

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

// TestUpdatesReconcilerWriteFailures checks that a release whose write
// fails does not hold back the others: a conflict is retried quietly,
// another error is returned, and a release being deleted is neither
// written nor offered as an update.
func TestUpdatesReconcilerWriteFailures(t *testing.T) {
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	old := published("v1.35.2", "kubevisor.1", true)
	conflicting := published("v1.36.3", "kubevisor.1", true)
	failing := published("v1.36.3", "kubevisor.2", true)
	deleting := published("v1.36.4", "kubevisor.1", true)
	now := metav1.Now()
	deleting.DeletionTimestamp, deleting.Finalizers = &now, []string{"test"}

	for _, tc := range []struct {
		name        string
		failWith    func(name string) error
		wantErr     bool
		wantRequeue bool
	}{
		{"conflict", func(name string) error {
			return apierrors.NewConflict(runv1.GroupVersion.WithResource("tanzukubernetesreleases").GroupResource(), name, errors.New("changed"))
		}, false, true},
		{"server error", func(string) error { return errors.New("etcd is down") }, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var patched []string
			c := fake.NewClientBuilder().WithScheme(s).WithStatusSubresource(&runv1.TanzuKubernetesRelease{}).
				WithObjects(old.DeepCopy(), conflicting.DeepCopy(), failing.DeepCopy(), deleting.DeepCopy()).
				WithInterceptorFuncs(interceptor.Funcs{
					SubResourcePatch: func(ctx context.Context, cl client.Client, sub string, obj client.Object, patch client.Patch, opts ...client.SubResourcePatchOption) error {
						patched = append(patched, obj.GetName())
						if obj.GetName() == conflicting.Name {
							return tc.failWith(obj.GetName())
						}
						return cl.SubResource(sub).Patch(ctx, obj, patch, opts...)
					},
				}).Build()
			res, err := (&UpdatesReconciler{Client: c}).Reconcile(context.Background(), allReleases)
			if (err != nil) != tc.wantErr || (res.RequeueAfter > 0) != tc.wantRequeue {
				t.Fatalf("Reconcile = %+v, %v; want error %v, requeue %v", res, err, tc.wantErr, tc.wantRequeue)
			}
			for _, name := range patched {
				if name == deleting.Name {
					t.Errorf("the release being deleted was written")
				}
			}
			for _, want := range []struct {
				name, message string
			}{
				{old.Name, "[v1.36.3+vmware.1-kubevisor.1 v1.36.3+vmware.1-kubevisor.2]"},
				{failing.Name, ""},
			} {
				got := &runv1.TanzuKubernetesRelease{}
				if err := c.Get(context.Background(), client.ObjectKey{Name: want.name}, got); err != nil {
					t.Fatal(err)
				}
				cond := meta.FindStatusCondition(got.Status.Conditions, runv1.UpdatesAvailableCondition)
				if cond == nil || cond.Message != want.message {
					t.Errorf("%s: UpdatesAvailable = %+v, want message %q (written despite %s's failure, without the release being deleted)", want.name, cond, want.message, conflicting.Name)
				}
			}
		})
	}
}
