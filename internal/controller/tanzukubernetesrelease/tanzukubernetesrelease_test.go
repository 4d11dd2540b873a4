package tanzukubernetesrelease

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
)

func TestSetConditions(t *testing.T) {
	release := func(k8s, version string) *runv1.TanzuKubernetesRelease {
		return &runv1.TanzuKubernetesRelease{Spec: runv1.TanzuKubernetesReleaseSpec{
			Version: version, Kubernetes: runv1.KubernetesSpec{Version: k8s},
			OSImages: []corev1.LocalObjectReference{{Name: "os"}},
		}}
	}
	os := []*runv1.OSImage{{ObjectMeta: metav1.ObjectMeta{Name: "os"}}}
	tests := []struct {
		name       string
		rel        *runv1.TanzuKubernetesRelease
		osImages   []*runv1.OSImage
		imageReady bool
		wantReady  bool
		wantReason string
	}{
		{"ready", release("v1.36.3+vmware.1", "v1.36.3+vmware.1-kubevisor.1"), os, true, true, "Ready"},
		{"too new", release("v1.40.0+vmware.1", "v1.40.0+vmware.1-kubevisor.1"), os, true, false, "Incompatible"},
		{"too old", release("v1.20.1+vmware.1", "v1.20.1+vmware.1-tkg.1"), os, true, false, "Incompatible"},
		{"image not ready", release("v1.36.3+vmware.1", "v1.36.3+vmware.1-kubevisor.1"), os, false, false, runv1.ImageNotFoundReason},
		{"missing OS image", release("v1.36.3+vmware.1", "v1.36.3+vmware.1-kubevisor.1"), nil, true, false, runv1.MissingOSImageReason},
		{"version mismatch", release("v1.36.3+vmware.1", "v1.35.0+vmware.1-kubevisor.1"), os, true, false, runv1.TKRVersionMismatchReason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			SetConditions(tt.rel, tt.osImages, tt.imageReady)
			c := meta.FindStatusCondition(tt.rel.Status.Conditions, runv1.ReadyCondition)
			if c == nil || (c.Status == metav1.ConditionTrue) != tt.wantReady || c.Reason != tt.wantReason {
				t.Fatalf("Ready = %+v, want ready %v reason %s", c, tt.wantReady, tt.wantReason)
			}
		})
	}
}
