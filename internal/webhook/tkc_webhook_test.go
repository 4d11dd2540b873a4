package webhook

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/scheme"
	"github.com/kubevisor/kubevisor/internal/tkg"
)

func TestTanzuKubernetesClusterValidator(t *testing.T) {
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	tkc := func(edit ...func(*runv1.TanzuKubernetesCluster)) *runv1.TanzuKubernetesCluster {
		o := &runv1.TanzuKubernetesCluster{
			TypeMeta:   metav1.TypeMeta{APIVersion: runv1.GroupVersion.String(), Kind: "TanzuKubernetesCluster"},
			ObjectMeta: metav1.ObjectMeta{Name: "tkc-1"},
			Spec: runv1.TanzuKubernetesClusterSpec{Topology: runv1.Topology{
				ControlPlane: runv1.ControlPlane{TopologySettings: runv1.TopologySettings{
					VMClass: "best-effort-small", StorageClass: "gold",
					TKR: runv1.TKRReference{Reference: &corev1.ObjectReference{Name: "v1.36.3---vmware.1-kubevisor.1"}},
				}},
				NodePools: []runv1.NodePool{{Name: "workers", TopologySettings: runv1.TopologySettings{VMClass: "best-effort-large"}}},
			}},
		}
		for _, e := range edit {
			e(o)
		}
		return o
	}
	bigger := func(o *runv1.TanzuKubernetesCluster) { o.Spec.Topology.NodePools[0].VMClass = "best-effort-xlarge" }
	labelled := func(o *runv1.TanzuKubernetesCluster) { o.Labels = map[string]string{"team": "a"} }
	deleting := func(o *runv1.TanzuKubernetesCluster) {
		now := metav1.NewTime(time.Now())
		o.DeletionTimestamp, o.Finalizers = &now, []string{"f"}
	}
	noTKR := func(o *runv1.TanzuKubernetesCluster) { o.Spec.Topology.ControlPlane.TKR = runv1.TKRReference{} }

	refuseXLarge := func(_ context.Context, c *clusterv1.Cluster) ([]string, error) {
		for _, md := range c.Spec.Topology.Workers.MachineDeployments {
			for _, o := range md.Variables.Overrides {
				if o.Name == "vmClass" && string(o.Value.Raw) == `"best-effort-xlarge"` {
					return nil, &tkg.RefusedError{Field: "spec.topology.workers.machineDeployments[0].variables.overrides[vmClass]", Message: "VirtualMachineClass best-effort-xlarge is not bound to namespace team-a"}
				}
			}
		}
		return []string{"variable ntp is accepted but not applied"}, nil
	}
	broken := func(context.Context, *clusterv1.Cluster) ([]string, error) {
		return nil, errors.New("listing TanzuKubernetesReleases: connection refused")
	}

	tests := []struct {
		name        string
		op          admissionv1.Operation
		obj, old    *runv1.TanzuKubernetesCluster
		validate    ClusterValidator
		wantAllowed bool
		wantCode    int32
		wantMessage string
		wantCalled  bool
	}{
		{name: "create", op: admissionv1.Create, obj: tkc(), validate: refuseXLarge, wantAllowed: true, wantCalled: true},
		{
			name: "create refused by the validator", op: admissionv1.Create, obj: tkc(bigger), validate: refuseXLarge, wantCalled: true,
			wantCode: http.StatusForbidden, wantMessage: "spec.topology.nodePools[0].vmClass: VirtualMachineClass best-effort-xlarge is not bound",
		},
		{
			name: "create that cannot be converted", op: admissionv1.Create, obj: tkc(noTKR), validate: refuseXLarge,
			wantCode: http.StatusForbidden, wantMessage: "spec.topology.controlPlane.tkr.reference.name is required: name a TanzuKubernetesRelease (kubectl get tkr)",
		},
		{
			name: "validator failure", op: admissionv1.Create, obj: tkc(), validate: broken, wantCalled: true,
			wantCode: http.StatusInternalServerError, wantMessage: "connection refused",
		},
		{name: "update of metadata only", op: admissionv1.Update, old: tkc(bigger), obj: tkc(bigger, labelled), validate: refuseXLarge, wantAllowed: true},
		{
			name: "update of the spec", op: admissionv1.Update, old: tkc(), obj: tkc(bigger), validate: refuseXLarge, wantCalled: true,
			wantCode: http.StatusForbidden, wantMessage: "best-effort-xlarge is not bound",
		},
		{name: "deleting", op: admissionv1.Update, old: tkc(), obj: tkc(bigger, deleting), validate: refuseXLarge, wantAllowed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var called *clusterv1.Cluster
			v := &TanzuKubernetesClusterValidator{
				Validate: func(ctx context.Context, c *clusterv1.Cluster) ([]string, error) {
					called = c
					return tt.validate(ctx, c)
				},
				decoder: admission.NewDecoder(s),
			}
			req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
				Operation: tt.op, Namespace: "team-a", Name: tt.obj.Name, Object: raw(t, tt.obj),
			}}
			if tt.old != nil {
				req.OldObject = raw(t, tt.old)
			}
			resp := v.Handle(context.Background(), req)
			if resp.Allowed != tt.wantAllowed {
				t.Fatalf("allowed = %t (%v), want %t", resp.Allowed, resp.Result, tt.wantAllowed)
			}
			if tt.wantCode != 0 && (resp.Result == nil || resp.Result.Code != tt.wantCode) {
				t.Errorf("result = %v, want code %d", resp.Result, tt.wantCode)
			}
			if tt.wantMessage != "" && (resp.Result == nil || !strings.Contains(resp.Result.Message, tt.wantMessage)) {
				t.Errorf("message = %v, want it to contain %q", resp.Result, tt.wantMessage)
			}
			if (called != nil) != tt.wantCalled {
				t.Fatalf("validator called = %t, want %t", called != nil, tt.wantCalled)
			}
			if called == nil {
				return
			}
			if called.Namespace != "team-a" || called.Name != "tkc-1" || called.Spec.Topology.ClassRef.Name != tkg.ClassName {
				t.Errorf("validator got Cluster %s/%s of class %s", called.Namespace, called.Name, called.Spec.Topology.ClassRef.Name)
			}
			if tt.wantAllowed && (len(resp.Warnings) != 1 || !strings.Contains(resp.Warnings[0], "ntp")) {
				t.Errorf("warnings = %v, want the validator's", resp.Warnings)
			}
		})
	}
}

func TestTKCField(t *testing.T) {
	tests := map[string]string{
		"spec.topology.version":                                                                                       "spec.topology.controlPlane.tkr.reference.name",
		"spec.topology.variables[vmClass]":                                                                            "spec.topology.controlPlane.vmClass",
		"spec.topology.variables[storageClass]":                                                                       "spec.topology.controlPlane.storageClass",
		`spec.topology.variables[controlPlaneVolumes] volume "etcd" storageClass`:                                     `spec.topology.controlPlane.volumes volume "etcd" storageClass`,
		"spec.topology.workers.machineDeployments[2].variables.overrides[vmClass]":                                    "spec.topology.nodePools[2].vmClass",
		`spec.topology.workers.machineDeployments[0].variables.overrides[nodePoolVolumes] volume "data" storageClass`: `spec.topology.nodePools[0].volumes volume "data" storageClass`,
		"spec.topology.variables[proxy]":                                                                              "spec.topology.variables[proxy]",
		"metadata.annotations[x]":                                                                                     "metadata.annotations[x]",
	}
	for in, want := range tests {
		if got := tkcField(in); got != want {
			t.Errorf("tkcField(%q) = %q, want %q", in, got, want)
		}
	}
}
