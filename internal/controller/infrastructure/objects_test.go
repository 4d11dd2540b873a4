package infrastructure

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	vmwarev1 "github.com/kubevisor/kubevisor/api/vmware/v1beta1"
)

func testVSphereCluster() *vmwarev1.VSphereCluster {
	return &vmwarev1.VSphereCluster{ObjectMeta: metav1.ObjectMeta{Namespace: "ns1", Name: "c1-abcde", UID: "vsc-uid", Generation: 1}}
}

func TestDesiredClusterObjects(t *testing.T) {
	vsc := testVSphereCluster()
	policy := desiredResourcePolicy(vsc, "c1")
	wantPolicy := vmopv1.VirtualMachineSetResourcePolicySpec{
		ResourcePool:        vmopv1.ResourcePoolSpec{Name: "c1"},
		Folder:              "c1",
		ClusterModuleGroups: []string{"control-plane-group", "c1-workers-0"},
	}
	if policy.Name != "c1" || policy.Namespace != "ns1" {
		t.Errorf("policy %s/%s, want ns1/c1", policy.Namespace, policy.Name)
	}
	if diff := cmp.Diff(wantPolicy, policy.Spec); diff != "" {
		t.Errorf("policy spec (-want +got):\n%s", diff)
	}

	svc := desiredControlPlaneService(vsc, "c1")
	wantSvc := vmopv1.VirtualMachineServiceSpec{
		Type:  vmopv1.VirtualMachineServiceTypeLoadBalancer,
		Ports: []vmopv1.VirtualMachineServicePort{{Name: "apiserver", Protocol: "TCP", Port: 6443, TargetPort: 6443}},
		Selector: map[string]string{
			"capv.vmware.com/cluster.name": "c1",
			"capv.vmware.com/cluster.role": "controlplane",
		},
	}
	if svc.Name != "c1" || svc.Namespace != "ns1" {
		t.Errorf("service %s/%s, want ns1/c1", svc.Namespace, svc.Name)
	}
	if diff := cmp.Diff(wantSvc, svc.Spec); diff != "" {
		t.Errorf("service spec (-want +got):\n%s", diff)
	}
	for _, l := range []map[string]string{policy.Labels, svc.Labels} {
		if l["cluster.x-k8s.io/cluster-name"] != "c1" {
			t.Errorf("labels = %v", l)
		}
	}
}

func TestControlPlaneEndpoint(t *testing.T) {
	svc := func(mutate func(*vmopv1.VirtualMachineService)) *vmopv1.VirtualMachineService {
		s := desiredControlPlaneService(testVSphereCluster(), "c1")
		if mutate != nil {
			mutate(s)
		}
		return s
	}
	ingress := func(ips ...string) func(*vmopv1.VirtualMachineService) {
		return func(s *vmopv1.VirtualMachineService) {
			for _, ip := range ips {
				s.Status.LoadBalancer.Ingress = append(s.Status.LoadBalancer.Ingress, vmopv1.LoadBalancerIngress{IP: ip})
			}
		}
	}
	tests := []struct {
		name    string
		svc     *vmopv1.VirtualMachineService
		want    vmwarev1.APIEndpoint
		wantErr string
	}{
		{name: "no address yet", svc: svc(nil)},
		{name: "IPv4", svc: svc(ingress("198.19.0.7")), want: vmwarev1.APIEndpoint{Host: "198.19.0.7", Port: 6443}},
		{name: "IPv4 preferred", svc: svc(ingress("fd00::7", "198.19.0.7")), want: vmwarev1.APIEndpoint{Host: "198.19.0.7", Port: 6443}},
		{name: "IPv6 only", svc: svc(ingress("fd00::7")), want: vmwarev1.APIEndpoint{Host: "fd00::7", Port: 6443}},
		{name: "hostname only", svc: svc(func(s *vmopv1.VirtualMachineService) {
			s.Status.LoadBalancer.Ingress = []vmopv1.LoadBalancerIngress{{Hostname: "lb.example"}}
		})},
		{name: "not a load balancer", svc: svc(func(s *vmopv1.VirtualMachineService) { s.Spec.Type = vmopv1.VirtualMachineServiceTypeClusterIP }), wantErr: "not LoadBalancer"},
		{name: "no apiserver port", svc: svc(func(s *vmopv1.VirtualMachineService) { s.Spec.Ports[0].Name = "https" }), wantErr: `no TCP port named "apiserver"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := controlPlaneEndpoint(tt.svc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("endpoint = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestFailureDomains(t *testing.T) {
	zone := func(name string, labels map[string]string) kubevisorv1.Zone {
		return kubevisorv1.Zone{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
	}
	gone := zone("zone-gone", nil)
	gone.DeletionTimestamp = ptr.To(metav1.Now())
	zones := []kubevisorv1.Zone{zone("zone-b", map[string]string{"cp": "no"}), zone("zone-a", map[string]string{"cp": "yes"}), gone}
	tests := []struct {
		name     string
		zones    []kubevisorv1.Zone
		selector *metav1.LabelSelector
		want     []vmwarev1.FailureDomain
		wantErr  bool
	}{
		{name: "no zones"},
		{
			name:  "every zone, sorted, all for the control plane",
			zones: zones,
			want:  []vmwarev1.FailureDomain{{Name: "zone-a", ControlPlane: ptr.To(true)}, {Name: "zone-b", ControlPlane: ptr.To(true)}},
		},
		{
			name:     "selector narrows the control plane's",
			zones:    zones,
			selector: &metav1.LabelSelector{MatchLabels: map[string]string{"cp": "yes"}},
			want:     []vmwarev1.FailureDomain{{Name: "zone-a", ControlPlane: ptr.To(true)}, {Name: "zone-b", ControlPlane: ptr.To(false)}},
		},
		{
			name:     "invalid selector",
			zones:    zones,
			selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "cp", Operator: "Near"}}},
			wantErr:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := failureDomains(tt.zones, tt.selector)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("failure domains (-want +got):\n%s", diff)
			}
		})
	}
}
