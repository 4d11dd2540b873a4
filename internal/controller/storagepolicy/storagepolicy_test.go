package storagepolicy

import (
	"errors"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/scheme"
)

func policy(provider kubevisorv1.StorageProvider, params map[string]string) *kubevisorv1.StoragePolicy {
	return &kubevisorv1.StoragePolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "gold", UID: "uid-1", Generation: 2},
		Spec:       kubevisorv1.StoragePolicySpec{Provider: provider, Parameters: params},
	}
}

func TestStorageClass(t *testing.T) {
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name            string
		policy          *kubevisorv1.StoragePolicy
		wantProvisioner string
	}{
		{"local directory", policy(kubevisorv1.StorageProviderLocalDirectory, map[string]string{"path": "/srv/volumes"}), "kubevisor.io/local-directory"},
		{"image file", policy(kubevisorv1.StorageProviderImageFile, nil), "kubevisor.io/image-file"},
		{"vsphere", policy(kubevisorv1.StorageProviderVSphere, map[string]string{"storagePolicyID": "abc"}), "kubevisor.io/vsphere"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := StorageClass(tt.policy, s)
			if err != nil {
				t.Fatal(err)
			}
			if sc.Name != "gold" || sc.Provisioner != tt.wantProvisioner || sc.Labels[ManagedByLabel] != ManagedBy {
				t.Errorf("StorageClass %s: provisioner %q labels %v", sc.Name, sc.Provisioner, sc.Labels)
			}
			if len(sc.Parameters) != len(tt.policy.Spec.Parameters) {
				t.Errorf("parameters = %v, want %v", sc.Parameters, tt.policy.Spec.Parameters)
			}
			for k, v := range tt.policy.Spec.Parameters {
				if sc.Parameters[k] != v {
					t.Errorf("parameter %s = %q, want %q", k, sc.Parameters[k], v)
				}
			}
			if *sc.ReclaimPolicy != corev1.PersistentVolumeReclaimDelete || *sc.VolumeBindingMode != storagev1.VolumeBindingImmediate || !*sc.AllowVolumeExpansion {
				t.Errorf("reclaim %s, binding %s, expansion %t", *sc.ReclaimPolicy, *sc.VolumeBindingMode, *sc.AllowVolumeExpansion)
			}
			ref := metav1.GetControllerOf(sc)
			if ref == nil || ref.UID != "uid-1" || ref.Kind != "StoragePolicy" {
				t.Errorf("controller reference = %+v, want the StoragePolicy", ref)
			}
			if !sameImmutable(sc, sc.DeepCopy()) {
				t.Errorf("a StorageClass differs from its copy")
			}
		})
	}
}

func TestSameImmutable(t *testing.T) {
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	base, err := StorageClass(policy(kubevisorv1.StorageProviderLocalDirectory, nil), s)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		change func(*storagev1.StorageClass)
		want   bool
	}{
		{"same", func(*storagev1.StorageClass) {}, true},
		{"empty and nil parameters are the same", func(sc *storagev1.StorageClass) { sc.Parameters = map[string]string{} }, true},
		{"expansion may change", func(sc *storagev1.StorageClass) { f := false; sc.AllowVolumeExpansion = &f }, true},
		{"provisioner", func(sc *storagev1.StorageClass) { sc.Provisioner = "kubevisor.io/vsphere" }, false},
		{"parameters", func(sc *storagev1.StorageClass) { sc.Parameters = map[string]string{"a": "b"} }, false},
		{"reclaim policy", func(sc *storagev1.StorageClass) { r := corev1.PersistentVolumeReclaimRetain; sc.ReclaimPolicy = &r }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have := base.DeepCopy()
			tt.change(have)
			if got := sameImmutable(have, base); got != tt.want {
				t.Errorf("sameImmutable = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestSetReadyCondition(t *testing.T) {
	tests := []struct {
		name       string
		o          outcome
		wantStatus metav1.ConditionStatus
		wantReason string
	}{
		{"ready", outcome{}, metav1.ConditionTrue, kubevisorv1.StorageClassCreatedReason},
		{"conflict", outcome{conflict: true, err: errors.New("x")}, metav1.ConditionFalse, kubevisorv1.StorageClassConflictReason},
		{"error", outcome{err: errors.New("creating StorageClass gold: forbidden")}, metav1.ConditionFalse, kubevisorv1.ReconcileFailedReason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := policy(kubevisorv1.StorageProviderLocalDirectory, nil)
			setReadyCondition(p, tt.o)
			c := meta.FindStatusCondition(p.Status.Conditions, kubevisorv1.ReadyCondition)
			if c == nil || c.Status != tt.wantStatus || c.Reason != tt.wantReason || c.ObservedGeneration != 2 || c.Message == "" {
				t.Errorf("Ready = %+v, want %s/%s", c, tt.wantStatus, tt.wantReason)
			}
		})
	}
}
