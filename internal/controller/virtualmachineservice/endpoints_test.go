package virtualmachineservice

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/lb"
)

func vmService(typ vmopv1.VirtualMachineServiceType, selector map[string]string) *vmopv1.VirtualMachineService {
	return &vmopv1.VirtualMachineService{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "web", UID: "svc-uid", Labels: map[string]string{"app": "web"}},
		Spec: vmopv1.VirtualMachineServiceSpec{
			Type:     typ,
			Selector: selector,
			Ports: []vmopv1.VirtualMachineServicePort{
				{Name: "http", Protocol: "TCP", Port: 80, TargetPort: 8080},
				{Name: "dns", Protocol: "UDP", Port: 53, TargetPort: 5353},
			},
		},
	}
}

// vmOpt changes a test VM.
type vmOpt func(*vmopv1.VirtualMachine)

func vm(name string, opts ...vmOpt) vmopv1.VirtualMachine {
	v := vmopv1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, UID: types.UID("uid-" + name), Labels: map[string]string{"role": "web"}},
		Status:     vmopv1.VirtualMachineStatus{PowerState: vmopv1.VirtualMachinePowerStateOn},
	}
	for _, o := range opts {
		o(&v)
	}
	return v
}

func withIP(ip string) vmOpt {
	return func(v *vmopv1.VirtualMachine) { v.Status.Network = &vmopv1.VirtualMachineNetworkStatus{PrimaryIP4: ip} }
}

func withProbe(v *vmopv1.VirtualMachine) {
	v.Spec.ReadinessProbe = &vmopv1.VirtualMachineReadinessProbeSpec{TCPSocket: &vmopv1.TCPSocketAction{Port: intstr.FromInt32(8080)}}
}

func withReady(status metav1.ConditionStatus) vmOpt {
	return func(v *vmopv1.VirtualMachine) {
		v.Status.Conditions = append(v.Status.Conditions, metav1.Condition{Type: vmopv1.ReadyConditionType, Status: status, Reason: "x"})
	}
}

func poweredOff(v *vmopv1.VirtualMachine) { v.Status.PowerState = vmopv1.VirtualMachinePowerStateOff }

func deleting(v *vmopv1.VirtualMachine) {
	now := metav1.Now()
	v.DeletionTimestamp = &now
	v.Finalizers = []string{"x"}
}

func withLabels(l map[string]string) vmOpt { return func(v *vmopv1.VirtualMachine) { v.Labels = l } }

func inNamespace(ns string) vmOpt { return func(v *vmopv1.VirtualMachine) { v.Namespace = ns } }

// ips lists the addresses' IPs with their VM names, "ip=name".
func ips(addrs []corev1.EndpointAddress) []string {
	var out []string
	for _, a := range addrs {
		out = append(out, a.IP+"="+a.TargetRef.Name)
	}
	return out
}

func TestEndpointSubsets(t *testing.T) {
	selector := map[string]string{"role": "web"}
	tests := []struct {
		name         string
		selector     map[string]string
		vms          []vmopv1.VirtualMachine
		wantReady    []string
		wantNotReady []string
	}{
		{
			name:      "no probe, powered on, with IP: ready",
			selector:  selector,
			vms:       []vmopv1.VirtualMachine{vm("a", withIP("198.18.0.10"))},
			wantReady: []string{"198.18.0.10=a"},
		},
		{
			name:         "no probe, powered off: not ready",
			selector:     selector,
			vms:          []vmopv1.VirtualMachine{vm("a", withIP("198.18.0.10"), poweredOff)},
			wantNotReady: []string{"198.18.0.10=a"},
		},
		{
			name:     "probe and Ready True: ready; False, Unknown or missing: not ready",
			selector: selector,
			vms: []vmopv1.VirtualMachine{
				vm("ok", withIP("198.18.0.10"), withProbe, withReady(metav1.ConditionTrue)),
				vm("failing", withIP("198.18.0.11"), withProbe, withReady(metav1.ConditionFalse)),
				vm("unknown", withIP("198.18.0.12"), withProbe, withReady(metav1.ConditionUnknown)),
				vm("unprobed", withIP("198.18.0.13"), withProbe),
			},
			wantReady:    []string{"198.18.0.10=ok"},
			wantNotReady: []string{"198.18.0.11=failing", "198.18.0.12=unknown", "198.18.0.13=unprobed"},
		},
		{
			name:         "probe passed but powered off: not ready",
			selector:     selector,
			vms:          []vmopv1.VirtualMachine{vm("a", withIP("198.18.0.10"), withProbe, withReady(metav1.ConditionTrue), poweredOff)},
			wantNotReady: []string{"198.18.0.10=a"},
		},
		{
			name:     "an empty probe is no probe",
			selector: selector,
			vms: []vmopv1.VirtualMachine{vm("a", withIP("198.18.0.10"), func(v *vmopv1.VirtualMachine) {
				v.Spec.ReadinessProbe = &vmopv1.VirtualMachineReadinessProbeSpec{PeriodSeconds: 5}
			})},
			wantReady: []string{"198.18.0.10=a"},
		},
		{
			name:     "no IP, or one Endpoints refuse: left out",
			selector: selector,
			vms: []vmopv1.VirtualMachine{
				vm("none"),
				vm("empty", withIP("")),
				vm("loopback", withIP("127.0.0.1")),
				vm("linklocal", withIP("169.254.1.1")),
				vm("v6", withIP("2001:db8::1")),
				vm("garbage", withIP("not-an-ip")),
			},
		},
		{
			name:     "selector: other labels, other namespace and deleting VMs are left out",
			selector: selector,
			vms: []vmopv1.VirtualMachine{
				vm("match", withIP("198.18.0.10"), withLabels(map[string]string{"role": "web", "extra": "x"})),
				vm("other", withIP("198.18.0.11"), withLabels(map[string]string{"role": "db"})),
				vm("unlabelled", withIP("198.18.0.12"), withLabels(nil)),
				vm("elsewhere", withIP("198.18.0.13"), inNamespace("other")),
				vm("going", withIP("198.18.0.14"), deleting),
			},
			wantReady: []string{"198.18.0.10=match"},
		},
		{
			name:     "no selector selects nothing",
			selector: nil,
			vms:      []vmopv1.VirtualMachine{vm("a", withIP("198.18.0.10"))},
		},
		{
			name:     "sorted by IP, numerically",
			selector: selector,
			vms: []vmopv1.VirtualMachine{
				vm("c", withIP("198.18.0.100")),
				vm("a", withIP("198.18.0.9")),
				vm("b", withIP("198.18.0.10")),
				vm("d", withIP("198.18.0.11"), poweredOff),
				vm("e", withIP("198.18.0.2"), poweredOff),
			},
			wantReady:    []string{"198.18.0.9=a", "198.18.0.10=b", "198.18.0.100=c"},
			wantNotReady: []string{"198.18.0.2=e", "198.18.0.11=d"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := vmService(vmopv1.VirtualMachineServiceTypeClusterIP, tt.selector)
			subsets := EndpointSubsets(svc, tt.vms, nil)
			if len(tt.wantReady) == 0 && len(tt.wantNotReady) == 0 {
				if subsets != nil {
					t.Fatalf("subsets = %+v, want none", subsets)
				}
				return
			}
			if len(subsets) != 1 {
				t.Fatalf("%d subsets, want 1", len(subsets))
			}
			ss := subsets[0]
			if got := ips(ss.Addresses); !slices.Equal(got, tt.wantReady) {
				t.Errorf("addresses = %v, want %v", got, tt.wantReady)
			}
			if got := ips(ss.NotReadyAddresses); !slices.Equal(got, tt.wantNotReady) {
				t.Errorf("notReadyAddresses = %v, want %v", got, tt.wantNotReady)
			}
			wantPorts := []corev1.EndpointPort{{Name: "http", Port: 8080, Protocol: corev1.ProtocolTCP}, {Name: "dns", Port: 5353, Protocol: corev1.ProtocolUDP}}
			if !slices.Equal(ss.Ports, wantPorts) {
				t.Errorf("ports = %+v, want %+v", ss.Ports, wantPorts)
			}
			for _, a := range append(ss.Addresses, ss.NotReadyAddresses...) {
				ref := a.TargetRef
				if ref == nil || ref.Kind != "VirtualMachine" || ref.APIVersion != "vmoperator.vmware.com/v1alpha3" || ref.Namespace != "ns" || ref.UID == "" {
					t.Errorf("targetRef = %+v", ref)
				}
			}
		})
	}
}

// A probe that has not run yet keeps the readiness the VM had: a serving
// VM given a probe keeps serving, a new VM waits for its first result.
func TestEndpointSubsetsUnprobedKeepsReadiness(t *testing.T) {
	svc := vmService(vmopv1.VirtualMachineServiceTypeLoadBalancer, map[string]string{"role": "web"})
	serving := vm("serving", withIP("198.18.0.10"))
	current := EndpointSubsets(svc, []vmopv1.VirtualMachine{serving}, nil)
	if got := ips(current[0].Addresses); !slices.Equal(got, []string{"198.18.0.10=serving"}) {
		t.Fatalf("before the probe: addresses = %v", got)
	}
	withProbe(&serving)
	fresh := vm("fresh", withIP("198.18.0.11"), withProbe)
	next := EndpointSubsets(svc, []vmopv1.VirtualMachine{serving, fresh}, current)
	if got := ips(next[0].Addresses); !slices.Equal(got, []string{"198.18.0.10=serving"}) {
		t.Errorf("probe added, not run yet: addresses = %v, want the serving VM kept", got)
	}
	if got := ips(next[0].NotReadyAddresses); !slices.Equal(got, []string{"198.18.0.11=fresh"}) {
		t.Errorf("new VM, probe not run yet: notReadyAddresses = %v, want it", got)
	}
	withReady(metav1.ConditionFalse)(&serving)
	last := EndpointSubsets(svc, []vmopv1.VirtualMachine{serving}, next)
	if len(last[0].Addresses) != 0 {
		t.Errorf("probe failed: addresses = %v, want none", ips(last[0].Addresses))
	}
}

func TestLoadBalancerService(t *testing.T) {
	svc := vmService(vmopv1.VirtualMachineServiceTypeLoadBalancer, map[string]string{"role": "web"})
	svc.Spec.Ports = append(svc.Spec.Ports, vmopv1.VirtualMachineServicePort{Name: "sctp", Protocol: "SCTP", Port: 9, TargetPort: 9})
	svc.Spec.LoadBalancerSourceRanges = []string{"10.0.0.0/8", "192.168.1.7/24", "junk"}
	subsets := EndpointSubsets(svc, []vmopv1.VirtualMachine{
		vm("b", withIP("198.18.0.11")),
		vm("a", withIP("198.18.0.10")),
		vm("down", withIP("198.18.0.12"), poweredOff),
	}, nil)
	got := LoadBalancerService(svc, netip.MustParseAddr("198.19.0.5"), subsets)

	want := &lb.Service{
		IP:           netip.MustParseAddr("198.19.0.5"),
		SourceRanges: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.0/24")},
		Ports: []lb.Port{
			{Protocol: lb.TCP, Port: 80, Backends: []netip.AddrPort{netip.MustParseAddrPort("198.18.0.10:8080"), netip.MustParseAddrPort("198.18.0.11:8080")}},
			{Protocol: lb.UDP, Port: 53, Backends: []netip.AddrPort{netip.MustParseAddrPort("198.18.0.10:5353"), netip.MustParseAddrPort("198.18.0.11:5353")}},
		},
	}
	if got.IP != want.IP || !slices.Equal(got.SourceRanges, want.SourceRanges) || len(got.Ports) != len(want.Ports) {
		t.Fatalf("LoadBalancerService = %+v, want %+v", got, want)
	}
	for i := range want.Ports {
		g, w := got.Ports[i], want.Ports[i]
		if g.Protocol != w.Protocol || g.Port != w.Port || !slices.Equal(g.Backends, w.Backends) {
			t.Errorf("port %d = %+v, want %+v", i, g, w)
		}
	}

	// User-made Endpoints (a selector-less service) are matched by port
	// name too.
	subsets = []EndpointSubset{{
		Addresses: []corev1.EndpointAddress{{IP: "198.18.0.20"}},
		Ports:     []corev1.EndpointPort{{Name: "http", Port: 9090, Protocol: corev1.ProtocolTCP}, {Name: "other", Port: 1, Protocol: corev1.ProtocolTCP}},
	}}
	got = LoadBalancerService(svc, netip.MustParseAddr("198.19.0.5"), subsets)
	if !slices.Equal(got.Ports[0].Backends, []netip.AddrPort{netip.MustParseAddrPort("198.18.0.20:9090")}) || len(got.Ports[1].Backends) != 0 {
		t.Errorf("from user Endpoints: %+v", got.Ports)
	}
}

func TestVMEndpointsChanged(t *testing.T) {
	base := vm("a", withIP("198.18.0.10"), withProbe, withReady(metav1.ConditionTrue))
	tests := []struct {
		name   string
		change vmOpt
		want   bool
	}{
		{"nothing", func(*vmopv1.VirtualMachine) {}, false},
		{"unrelated status", func(v *vmopv1.VirtualMachine) { v.Status.BiosUUID = "x"; v.Status.Host = "h" }, false},
		{"IP", withIP("198.18.0.11"), true},
		{"readiness", func(v *vmopv1.VirtualMachine) { v.Status.Conditions[0].Status = metav1.ConditionFalse }, true},
		{"power", poweredOff, true},
		{"labels", withLabels(map[string]string{"role": "db"}), true},
		{"deletion", deleting, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed := base.DeepCopy()
			tt.change(changed)
			if got := vmEndpointsChanged(&base, changed); got != tt.want {
				t.Errorf("vmEndpointsChanged = %t, want %t", got, tt.want)
			}
		})
	}
}

func TestDesiredService(t *testing.T) {
	tests := []struct {
		name      string
		typ       vmopv1.VirtualMachineServiceType
		clusterIP string
		wantType  corev1.ServiceType
	}{
		{"ClusterIP", vmopv1.VirtualMachineServiceTypeClusterIP, "", corev1.ServiceTypeClusterIP},
		{"headless", vmopv1.VirtualMachineServiceTypeClusterIP, "None", corev1.ServiceTypeClusterIP},
		{"LoadBalancer is a ClusterIP Service", vmopv1.VirtualMachineServiceTypeLoadBalancer, "", corev1.ServiceTypeClusterIP},
		{"ExternalName", vmopv1.VirtualMachineServiceTypeExternalName, "", corev1.ServiceTypeExternalName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := vmService(tt.typ, map[string]string{"role": "web"})
			svc.Spec.ClusterIP = tt.clusterIP
			if tt.typ == vmopv1.VirtualMachineServiceTypeExternalName {
				svc.Spec.ExternalName = "example.com"
			}
			s := DesiredService(svc)
			if s.Name != "web" || s.Namespace != "ns" || s.Spec.Type != tt.wantType || s.Spec.Selector != nil || s.Labels["app"] != "web" {
				t.Fatalf("Service = %+v", s)
			}
			if s.Spec.ClusterIP != tt.clusterIP {
				t.Errorf("clusterIP = %q, want %q", s.Spec.ClusterIP, tt.clusterIP)
			}
			if tt.typ == vmopv1.VirtualMachineServiceTypeExternalName && s.Spec.ExternalName != "example.com" {
				t.Errorf("externalName = %q", s.Spec.ExternalName)
			}
			if len(s.Spec.Ports) != 2 || s.Spec.Ports[0].TargetPort != intstr.FromInt32(8080) || s.Spec.Ports[1].Protocol != corev1.ProtocolUDP {
				t.Errorf("ports = %+v", s.Spec.Ports)
			}
		})
	}
}

func TestServiceUpdates(t *testing.T) {
	svc := vmService(vmopv1.VirtualMachineServiceTypeClusterIP, nil)
	stored := func() *corev1.Service {
		s := DesiredService(svc)
		// What the API server adds.
		s.Spec.ClusterIP = "10.96.0.10"
		s.Spec.ClusterIPs = []string{"10.96.0.10"}
		s.Spec.SessionAffinity = corev1.ServiceAffinityNone
		s.Labels["someone-else"] = "x"
		return s
	}
	tests := []struct {
		name        string
		change      func(*vmopv1.VirtualMachineService)
		wantChanged bool
		wantReplace bool
	}{
		{"nothing", func(*vmopv1.VirtualMachineService) {}, false, false},
		{"port", func(s *vmopv1.VirtualMachineService) { s.Spec.Ports[0].TargetPort = 9090 }, true, false},
		{"label", func(s *vmopv1.VirtualMachineService) { s.Labels["tier"] = "front" }, true, false},
		{"to LoadBalancer", func(s *vmopv1.VirtualMachineService) { s.Spec.Type = vmopv1.VirtualMachineServiceTypeLoadBalancer }, false, false},
		{"same cluster IP", func(s *vmopv1.VirtualMachineService) { s.Spec.ClusterIP = "10.96.0.10" }, false, false},
		{"other cluster IP", func(s *vmopv1.VirtualMachineService) { s.Spec.ClusterIP = "10.96.0.11" }, false, true},
		{"headless", func(s *vmopv1.VirtualMachineService) { s.Spec.ClusterIP = "None" }, false, true},
		{"to ExternalName", func(s *vmopv1.VirtualMachineService) {
			s.Spec.Type = vmopv1.VirtualMachineServiceTypeExternalName
			s.Spec.ExternalName = "example.com"
		}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			changed := svc.DeepCopy()
			tt.change(changed)
			want, have := DesiredService(changed), stored()
			if got := mustReplaceService(have, want); got != tt.wantReplace {
				t.Errorf("mustReplaceService = %t, want %t", got, tt.wantReplace)
			}
			if got := updateService(have, want); got != tt.wantChanged {
				t.Errorf("updateService = %t, want %t", got, tt.wantChanged)
			}
			if have.Labels["someone-else"] != "x" || have.Spec.SessionAffinity != corev1.ServiceAffinityNone {
				t.Errorf("updateService dropped what others set: %+v", have)
			}
			if updateService(have, want) {
				t.Error("a second updateService still changes something")
			}
		})
	}
	// Headless to assigned needs a new Service too.
	headless := stored()
	headless.Spec.ClusterIP = corev1.ClusterIPNone
	if !mustReplaceService(headless, DesiredService(svc)) {
		t.Error("a headless Service is not replaced for one with a cluster IP")
	}
}

func TestLoadBalancerReadyCondition(t *testing.T) {
	ip := netip.MustParseAddr("198.19.0.5")
	tests := []struct {
		name       string
		typ        vmopv1.VirtualMachineServiceType
		s          scope
		wantStatus metav1.ConditionStatus
		wantReason string
		wantInMsg  string
	}{
		{"serving", vmopv1.VirtualMachineServiceTypeLoadBalancer, scope{address: ip}, metav1.ConditionTrue, LoadBalancerServingReason, "198.19.0.5"},
		{"no address", vmopv1.VirtualMachineServiceTypeLoadBalancer, scope{addressErr: errString("every load-balancer address is in use")}, metav1.ConditionFalse, AddressUnavailableReason, "in use"},
		{"asked address taken, old one kept", vmopv1.VirtualMachineServiceTypeLoadBalancer, scope{address: ip, addressErr: errString("198.19.0.9: address is in use")}, metav1.ConditionFalse, AddressUnavailableReason, "still serving on 198.19.0.5"},
		{"data plane", vmopv1.VirtualMachineServiceTypeLoadBalancer, scope{address: ip, dataPlaneErr: errString("opening TCP/198.19.0.5:80: address in use")}, metav1.ConditionFalse, DataPlaneFailedReason, "opening"},
		{"other error", vmopv1.VirtualMachineServiceTypeLoadBalancer, scope{err: errString("creating Endpoints web: forbidden")}, metav1.ConditionFalse, ReconcileFailedReason, "forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := vmService(tt.typ, nil)
			svc.Generation = 3
			tt.s.svc = svc
			setLoadBalancerReadyCondition(svc, &tt.s)
			c := findCondition(svc.Status.Conditions, LoadBalancerReadyCondition)
			if c == nil || c.Status != tt.wantStatus || c.Reason != tt.wantReason || c.ObservedGeneration != 3 || !strings.Contains(c.Message, tt.wantInMsg) {
				t.Errorf("LoadBalancerReady = %+v, want %s/%s with %q", c, tt.wantStatus, tt.wantReason, tt.wantInMsg)
			}
		})
	}
	t.Run("removed from other types", func(t *testing.T) {
		svc := vmService(vmopv1.VirtualMachineServiceTypeClusterIP, nil)
		svc.Status.Conditions = []metav1.Condition{{Type: LoadBalancerReadyCondition, Status: metav1.ConditionTrue, Reason: "x"}}
		setLoadBalancerReadyCondition(svc, &scope{svc: svc})
		if c := findCondition(svc.Status.Conditions, LoadBalancerReadyCondition); c != nil {
			t.Errorf("LoadBalancerReady = %+v on a ClusterIP service", c)
		}
	})
}

func TestServiceReadyCondition(t *testing.T) {
	withReadyCond := &corev1.Service{Status: corev1.ServiceStatus{Conditions: []metav1.Condition{{Type: "Ready", Status: metav1.ConditionFalse, Reason: "Waiting", Message: "m"}}}}
	tests := []struct {
		name       string
		s          scope
		wantStatus metav1.ConditionStatus
		wantReason string
	}{
		{"no Ready on the Service", scope{service: &corev1.Service{}}, metav1.ConditionUnknown, vmopv1.ServiceReadyNotPresentReason},
		{"mirrors the Service", scope{service: withReadyCond}, metav1.ConditionFalse, "Waiting"},
		{"Service not made", scope{serviceErr: errString("creating Service web: forbidden")}, metav1.ConditionFalse, ReconcileFailedReason},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := vmService(vmopv1.VirtualMachineServiceTypeClusterIP, nil)
			setServiceReadyCondition(svc, &tt.s)
			c := findCondition(svc.Status.Conditions, vmopv1.ServiceReadyConditionType)
			if c == nil || c.Status != tt.wantStatus || c.Reason != tt.wantReason || c.Message == "" {
				t.Errorf("ServiceReady = %+v, want %s/%s", c, tt.wantStatus, tt.wantReason)
			}
		})
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func findCondition(cs []metav1.Condition, typ string) *metav1.Condition {
	for i := range cs {
		if cs[i].Type == typ {
			return &cs[i]
		}
	}
	return nil
}
