package supervisornamespace

import (
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/quota"
)

func TestSetReadyCondition(t *testing.T) {
	tests := []struct {
		name         string
		r            readiness
		wantStatus   metav1.ConditionStatus
		wantReason   string
		wantMessages []string
	}{
		{
			name:       "ready",
			wantStatus: metav1.ConditionTrue, wantReason: kubevisorv1.NamespaceReadyReason,
			wantMessages: []string{"Namespace team-a"},
		},
		{
			name:       "deleting wins",
			r:          readiness{deleting: true, conflict: true, err: errors.New("boom")},
			wantStatus: metav1.ConditionFalse, wantReason: kubevisorv1.DeletingReason,
		},
		{
			name:       "namespace of someone else",
			r:          readiness{conflict: true, missingClasses: []string{"huge"}},
			wantStatus: metav1.ConditionFalse, wantReason: kubevisorv1.NamespaceConflictReason,
			wantMessages: []string{"kubevisor.io/supervisor-namespace=team-a"},
		},
		{
			name:       "namespace still terminating",
			r:          readiness{terminating: true},
			wantStatus: metav1.ConditionFalse, wantReason: kubevisorv1.ReconcileFailedReason,
			wantMessages: []string{"still being deleted"},
		},
		{
			name:       "error",
			r:          readiness{err: errors.New("creating RoleBinding x: forbidden"), missingPolicies: []string{"gold"}},
			wantStatus: metav1.ConditionFalse, wantReason: kubevisorv1.ReconcileFailedReason,
			wantMessages: []string{"creating RoleBinding x: forbidden"},
		},
		{
			name:       "everything missing is named",
			r:          readiness{missingClasses: []string{"huge"}, missingPolicies: []string{"gold"}, missingLibraries: []string{"tkr"}},
			wantStatus: metav1.ConditionFalse, wantReason: kubevisorv1.VirtualMachineClassNotFoundReason,
			wantMessages: []string{`ClusterVirtualMachineClass "huge"`, `StoragePolicy "gold"`, `ClusterContentLibrary "tkr"`},
		},
		{
			name:       "missing storage policy",
			r:          readiness{missingPolicies: []string{"gold"}},
			wantStatus: metav1.ConditionFalse, wantReason: kubevisorv1.StoragePolicyNotFoundReason,
			wantMessages: []string{`spec.storageClasses: StoragePolicy "gold" does not exist`},
		},
		{
			name:       "missing library",
			r:          readiness{missingLibraries: []string{"tkr"}},
			wantStatus: metav1.ConditionFalse, wantReason: kubevisorv1.ContentLibraryNotFoundReason,
			wantMessages: []string{`spec.contentLibraries: ClusterContentLibrary "tkr" does not exist`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sn := &kubevisorv1.SupervisorNamespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a", Generation: 3}}
			setReadyCondition(sn, tt.r)
			c := meta.FindStatusCondition(sn.Status.Conditions, kubevisorv1.ReadyCondition)
			if c == nil {
				t.Fatal("no Ready condition")
			}
			if c.Status != tt.wantStatus || c.Reason != tt.wantReason || c.ObservedGeneration != 3 {
				t.Errorf("Ready = %s/%s (generation %d), want %s/%s (generation 3)", c.Status, c.Reason, c.ObservedGeneration, tt.wantStatus, tt.wantReason)
			}
			for _, m := range tt.wantMessages {
				if !strings.Contains(c.Message, m) {
					t.Errorf("message %q does not contain %q", c.Message, m)
				}
			}
		})
	}
}

func TestSetReadyConditionKeepsTransitionTime(t *testing.T) {
	sn := &kubevisorv1.SupervisorNamespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}}
	setReadyCondition(sn, readiness{})
	then := metav1.NewTime(time.Unix(1000, 0))
	sn.Status.Conditions[0].LastTransitionTime = then
	before := sn.Status.DeepCopy()
	setReadyCondition(sn, readiness{})
	if !sn.Status.Conditions[0].LastTransitionTime.Equal(&then) || len(sn.Status.Conditions) != 1 {
		t.Errorf("an unchanged condition changed: %+v, was %+v", sn.Status.Conditions, before.Conditions)
	}
}

func TestUsage(t *testing.T) {
	classes := map[string]quota.Resources{
		"small": quota.NewResources(2, resource.MustParse("4Gi")),
		"large": quota.NewResources(4, resource.MustParse("16Gi")),
	}
	claim := func(size string) corev1.PersistentVolumeClaim {
		c := corev1.PersistentVolumeClaim{}
		if size != "" {
			c.Spec.Resources.Requests = corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}
		}
		return c
	}
	tests := []struct {
		name                 string
		vms                  []quota.VM
		claims               []corev1.PersistentVolumeClaim
		cpu, memory, storage string
	}{
		{name: "empty", cpu: "0", memory: "0", storage: "0"},
		{
			name:   "VMs and claims",
			vms:    []quota.VM{{Name: "a", ClassName: "small"}, {Name: "b", ClassName: "large"}, {Name: "c", ClassName: "gone"}},
			claims: []corev1.PersistentVolumeClaim{claim("1Gi"), claim("512Mi"), claim("")},
			cpu:    "6", memory: "20Gi", storage: "1536Mi",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := usage(tt.vms, classes, tt.claims)
			for _, c := range []struct {
				name string
				got  *resource.Quantity
				want string
			}{{"cpu", u.CPU, tt.cpu}, {"memory", u.Memory, tt.memory}, {"storage", u.Storage, tt.storage}} {
				if c.got == nil || c.got.Cmp(resource.MustParse(c.want)) != 0 {
					t.Errorf("%s = %v, want %s", c.name, c.got, c.want)
				}
			}
		})
	}
}
