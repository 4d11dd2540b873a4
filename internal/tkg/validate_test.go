package tkg

import (
	"context"
	"errors"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/quota"
	"github.com/kubevisor/kubevisor/internal/scheme"
)

func strVar(name, value string) clusterv1.ClusterVariable {
	return clusterv1.ClusterVariable{Name: name, Value: apiextensionsv1.JSON{Raw: []byte(`"` + value + `"`)}}
}

func TestValidateCluster(t *testing.T) {
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	cpu := resource.MustParse("8")
	objs := []client.Object{
		&kubevisorv1.SupervisorNamespace{
			ObjectMeta: metav1.ObjectMeta{Name: "ns"},
			Spec: kubevisorv1.SupervisorNamespaceSpec{
				Limits:         kubevisorv1.ResourceLimits{CPU: &cpu},
				StorageClasses: []kubevisorv1.StorageClassAssignment{{Name: "local"}},
			},
		},
		&vmopv1.VirtualMachineClass{
			ObjectMeta: metav1.ObjectMeta{Name: "small", Namespace: "ns"},
			Spec:       vmopv1.VirtualMachineClassSpec{Hardware: vmopv1.VirtualMachineClassHardware{Cpus: 2, Memory: resource.MustParse("4Gi")}},
		},
	}
	objs = append(objs, release(t, "v1.36.3", "kubevisor.1", true)...)
	reader := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build()
	v := &Validator{Reader: reader, Quota: quota.NewChecker(reader)}

	cluster := func(workers int32, vars ...clusterv1.ClusterVariable) *clusterv1.Cluster {
		c := topologyCluster("v1.36.3")
		c.Spec.Topology.Variables = vars
		c.Spec.Topology.Workers.MachineDeployments = []clusterv1.MachineDeploymentTopology{{Class: WorkerClass, Name: "np", Replicas: &workers}}
		return c
	}
	ok := []clusterv1.ClusterVariable{strVar("vmClass", "small"), strVar("storageClass", "local")}
	cases := []struct {
		name    string
		c       *clusterv1.Cluster
		wantErr string
	}{
		{"fits", cluster(3, ok...), ""},
		{"over the CPU limit", cluster(4, ok...), "limit"},
		{"class not bound", cluster(1, strVar("vmClass", "large"), strVar("storageClass", "local")), `spec.topology.variables[vmClass]: VirtualMachineClass "large" is not bound to namespace ns (bound: small)`},
		{"storage not assigned", cluster(1, strVar("vmClass", "small"), strVar("storageClass", "gold")), `spec.topology.variables[storageClass]: storage class "gold" is not assigned to namespace ns (assigned: local)`},
		{"vmClass missing", cluster(1, strVar("storageClass", "local")), "spec.topology.variables[vmClass]: is required"},
		{"unknown release", func() *clusterv1.Cluster { c := cluster(1, ok...); c.Spec.Topology.Version = "v1.20.0"; return c }(), "no TanzuKubernetesRelease matches"},
	}
	for _, tc := range cases {
		_, err := v.ValidateCluster(context.Background(), tc.c)
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		var refused *RefusedError
		if !errors.As(err, &refused) || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%s: %v, want a refusal containing %q", tc.name, err, tc.wantErr)
		}
	}

	// A per-pool override is checked where it is written.
	c := cluster(1, ok...)
	c.Spec.Topology.Workers.MachineDeployments[0].Variables.Overrides = []clusterv1.ClusterVariable{strVar("vmClass", "huge")}
	if _, err := v.ValidateCluster(context.Background(), c); err == nil || !strings.Contains(err.Error(), "machineDeployments[0].variables.overrides[vmClass]") {
		t.Errorf("override: %v", err)
	}

	// Variables kubevisor does not act on are accepted with a warning.
	warnings, err := v.ValidateCluster(context.Background(), cluster(1, append(ok, strVar("ntp", "pool.ntp.org"))...))
	if err != nil || len(warnings) != 1 || !strings.Contains(warnings[0], "ntp") {
		t.Errorf("ntp: %v %v", warnings, err)
	}
}
