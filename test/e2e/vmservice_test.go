package e2e

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/scheme"
)

// TestVirtualMachineService is the VM Service's networking through the
// API, as CAPV (control-plane endpoint) and the paravirtual cloud provider
// (guest LoadBalancer Services) use it: the Service and Endpoints a
// VirtualMachineService gets, and the load-balancer address of type
// LoadBalancer.
//
// No VM boots here: the test creates VirtualMachines paused (no VM
// controller acts on them) and writes their status (power state, primary
// IP, Ready) as a provider would. No traffic is sent: the load-balanced
// services have no ready backends, so the data plane has nothing to
// health-check.
func TestVirtualMachineService(t *testing.T) {
	e := &vmsEnv{c: quietAdminClient(t), ns: newNamespace(t, shared, "vmsvc")}
	t.Run("ClusterIP", e.checkClusterIP)
	t.Run("ExternalName", e.checkExternalName)
	t.Run("LoadBalancer", e.checkLoadBalancer)
}

// endpoints is core/v1 Endpoints, deprecated in favour of EndpointSlices
// but what a VirtualMachineService is specified to keep (the Supervisor
// mirrors it into EndpointSlices).
type endpoints = corev1.Endpoints //nolint:staticcheck // on purpose, see above

// quietAdminClient is an admin client that does not report the API
// server's deprecation warning on every read of an Endpoints object.
func quietAdminClient(t *testing.T) client.Client {
	t.Helper()
	cfg, err := shared.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	cfg.WarningHandlerWithContext = rest.NoWarnings{}
	sch, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: sch})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

type vmsEnv struct {
	c  client.Client
	ns string
}

// vmStatus is what a test VM reports.
type vmStatus struct {
	ip    string
	power vmopv1.VirtualMachinePowerState
	// probe gives the VM a readiness probe; ready is its Ready condition
	// ("" for none).
	probe bool
	ready metav1.ConditionStatus
}

// createVM creates a paused VM labelled app=app and writes its status.
func (e *vmsEnv) createVM(t *testing.T, name, app string, st vmStatus) {
	t.Helper()
	ctx := ctxFor(t, time.Minute)
	vm := &vmopv1.VirtualMachine{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   e.ns,
			Name:        name,
			Labels:      map[string]string{"app": app},
			Annotations: map[string]string{"vmoperator.vmware.com/paused": "true"},
		},
		Spec: vmopv1.VirtualMachineSpec{ImageName: "none", PowerState: vmopv1.VirtualMachinePowerStateOn},
	}
	if st.probe {
		vm.Spec.ReadinessProbe = &vmopv1.VirtualMachineReadinessProbeSpec{TCPSocket: &vmopv1.TCPSocketAction{Port: intstr.FromInt32(8080)}}
	}
	if err := e.c.Create(ctx, vm); err != nil {
		t.Fatal(err)
	}
	e.setStatus(t, name, st)
}

// setStatus writes a VM's status through the status subresource. The VM
// controller may be writing the same VM's conditions (the VM's image does
// not exist, so it only reports that), and a merge patch of conditions
// replaces the list: the status is written until it stays as written.
func (e *vmsEnv) setStatus(t *testing.T, name string, st vmStatus) {
	t.Helper()
	ctx := ctxFor(t, time.Minute)
	written := func(vm *vmopv1.VirtualMachine) bool {
		ip := ""
		if vm.Status.Network != nil {
			ip = vm.Status.Network.PrimaryIP4
		}
		c := meta.FindStatusCondition(vm.Status.Conditions, vmopv1.ReadyConditionType)
		return vm.Status.PowerState == st.power && ip == st.ip &&
			(st.ready == "" && c == nil || c != nil && c.Status == st.ready)
	}
	stable := 0
	eventually(t, 30*time.Second, "the status of VM "+name, func() error {
		vm := &vmopv1.VirtualMachine{}
		if err := e.c.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: name}, vm); err != nil {
			return err
		}
		if written(vm) {
			if stable++; stable >= 3 {
				return nil
			}
			return fmt.Errorf("checking that it stays")
		}
		stable = 0
		before := vm.DeepCopy()
		vm.Status.PowerState = st.power
		vm.Status.Network = nil
		if st.ip != "" {
			vm.Status.Network = &vmopv1.VirtualMachineNetworkStatus{PrimaryIP4: st.ip}
		}
		meta.RemoveStatusCondition(&vm.Status.Conditions, vmopv1.ReadyConditionType)
		if st.ready != "" {
			meta.SetStatusCondition(&vm.Status.Conditions, metav1.Condition{Type: vmopv1.ReadyConditionType, Status: st.ready, Reason: "Probe"})
		}
		if err := e.c.Status().Patch(ctx, vm, client.MergeFrom(before)); err != nil {
			return err
		}
		return fmt.Errorf("written; checking that it stays")
	})
}

func (e *vmsEnv) createService(t *testing.T, svc *vmopv1.VirtualMachineService) {
	t.Helper()
	svc.Namespace = e.ns
	if err := e.c.Create(ctxFor(t, time.Minute), svc); err != nil {
		t.Fatal(err)
	}
}

func (e *vmsEnv) get(t *testing.T, name string, obj client.Object) error {
	t.Helper()
	return e.c.Get(ctxFor(t, time.Minute), client.ObjectKey{Namespace: e.ns, Name: name}, obj)
}

// eventually polls check until it returns nil or timeout passes.
func eventually(t *testing.T, timeout time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting %s for %s: %v", timeout, what, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// endpointIPs lists the ready and not-ready IPs of an Endpoints object,
// each with the name of the VM its targetRef names.
func endpointIPs(ep *endpoints) (ready, notReady []string) {
	for _, ss := range ep.Subsets {
		for _, a := range ss.Addresses {
			ready = append(ready, a.IP+"="+refName(a.TargetRef))
		}
		for _, a := range ss.NotReadyAddresses {
			notReady = append(notReady, a.IP+"="+refName(a.TargetRef))
		}
	}
	slices.Sort(ready)
	slices.Sort(notReady)
	return ready, notReady
}

func refName(r *corev1.ObjectReference) string {
	if r == nil || r.Kind != "VirtualMachine" {
		return "?"
	}
	return r.Name
}

// waitEndpoints waits until the Endpoints named name list exactly ready
// and notReady.
func (e *vmsEnv) waitEndpoints(t *testing.T, timeout time.Duration, name string, ready, notReady []string) *endpoints {
	t.Helper()
	ep := &endpoints{}
	eventually(t, timeout, "Endpoints "+name, func() error {
		if err := e.get(t, name, ep); err != nil {
			return err
		}
		r, n := endpointIPs(ep)
		if !slices.Equal(r, ready) || !slices.Equal(n, notReady) {
			return fmt.Errorf("addresses %v, notReadyAddresses %v; want %v and %v", r, n, ready, notReady)
		}
		return nil
	})
	return ep
}

func ownedBy(obj metav1.Object, svc *vmopv1.VirtualMachineService) bool {
	ref := metav1.GetControllerOf(obj)
	return ref != nil && ref.UID == svc.UID && ref.Kind == "VirtualMachineService"
}

// checkClusterIP: a selector-less ClusterIP Service, and Endpoints that
// follow the VMs' readiness, mirrored into EndpointSlices.
func (e *vmsEnv) checkClusterIP(t *testing.T) {
	e.createVM(t, "web-plain", "web", vmStatus{ip: "198.18.200.1", power: vmopv1.VirtualMachinePowerStateOn})
	e.createVM(t, "web-probed", "web", vmStatus{ip: "198.18.200.2", power: vmopv1.VirtualMachinePowerStateOn, probe: true, ready: metav1.ConditionTrue})
	e.createVM(t, "web-failing", "web", vmStatus{ip: "198.18.200.3", power: vmopv1.VirtualMachinePowerStateOn, probe: true, ready: metav1.ConditionFalse})
	e.createVM(t, "web-off", "web", vmStatus{ip: "198.18.200.4", power: vmopv1.VirtualMachinePowerStateOff})
	e.createVM(t, "web-no-ip", "web", vmStatus{power: vmopv1.VirtualMachinePowerStateOn})
	e.createVM(t, "db", "db", vmStatus{ip: "198.18.200.6", power: vmopv1.VirtualMachinePowerStateOn})

	svc := &vmopv1.VirtualMachineService{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Labels: map[string]string{"tier": "front"}},
		Spec: vmopv1.VirtualMachineServiceSpec{
			Type:     vmopv1.VirtualMachineServiceTypeClusterIP,
			Selector: map[string]string{"app": "web"},
			Ports:    []vmopv1.VirtualMachineServicePort{{Name: "http", Protocol: "TCP", Port: 80, TargetPort: 8080}},
		},
	}
	e.createService(t, svc)

	s := &corev1.Service{}
	eventually(t, time.Minute, "Service web", func() error { return e.get(t, "web", s) })
	if s.Spec.Type != corev1.ServiceTypeClusterIP || len(s.Spec.Selector) != 0 || s.Spec.ClusterIP == "" ||
		len(s.Spec.Ports) != 1 || s.Spec.Ports[0].Port != 80 || s.Spec.Ports[0].TargetPort.IntValue() != 8080 || s.Labels["tier"] != "front" {
		t.Errorf("Service = %+v", s.Spec)
	}
	if err := e.get(t, "web", svc); err != nil {
		t.Fatal(err)
	}
	if !ownedBy(s, svc) {
		t.Errorf("Service owners = %+v", s.OwnerReferences)
	}

	ep := e.waitEndpoints(t, 30*time.Second, "web",
		[]string{"198.18.200.1=web-plain", "198.18.200.2=web-probed"},
		[]string{"198.18.200.3=web-failing", "198.18.200.4=web-off"})
	if !ownedBy(ep, svc) || len(ep.Subsets) != 1 || len(ep.Subsets[0].Ports) != 1 || ep.Subsets[0].Ports[0].Port != 8080 || ep.Subsets[0].Ports[0].Name != "http" {
		t.Errorf("Endpoints = %+v, owners %+v", ep.Subsets, ep.OwnerReferences)
	}

	// The Supervisor's endpointslice-mirroring controller mirrors them.
	eventually(t, time.Minute, "mirrored EndpointSlice", func() error {
		var list discoveryv1.EndpointSliceList
		if err := e.c.List(ctxFor(t, time.Minute), &list, client.InNamespace(e.ns), client.MatchingLabels{discoveryv1.LabelServiceName: "web"}); err != nil {
			return err
		}
		var got []string
		for _, sl := range list.Items {
			for _, ep := range sl.Endpoints {
				got = append(got, fmt.Sprintf("%s=%t", ep.Addresses[0], ep.Conditions.Ready != nil && *ep.Conditions.Ready))
			}
		}
		slices.Sort(got)
		want := []string{"198.18.200.1=true", "198.18.200.2=true", "198.18.200.3=false", "198.18.200.4=false"}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			return fmt.Errorf("EndpointSlice endpoints %v, want %v", got, want)
		}
		return nil
	})

	t.Run("FollowsReadiness", func(t *testing.T) {
		e.setStatus(t, "web-failing", vmStatus{ip: "198.18.200.3", power: vmopv1.VirtualMachinePowerStateOn, probe: true, ready: metav1.ConditionTrue})
		e.setStatus(t, "web-probed", vmStatus{ip: "198.18.200.2", power: vmopv1.VirtualMachinePowerStateOn, probe: true, ready: metav1.ConditionFalse})
		e.waitEndpoints(t, 5*time.Second, "web",
			[]string{"198.18.200.1=web-plain", "198.18.200.3=web-failing"},
			[]string{"198.18.200.2=web-probed", "198.18.200.4=web-off"})

		// A new IP, and a VM that loses the label.
		e.setStatus(t, "web-no-ip", vmStatus{ip: "198.18.200.5", power: vmopv1.VirtualMachinePowerStateOn})
		vm := &vmopv1.VirtualMachine{}
		if err := e.get(t, "web-plain", vm); err != nil {
			t.Fatal(err)
		}
		before := vm.DeepCopy()
		vm.Labels["app"] = "retired"
		if err := e.c.Patch(ctxFor(t, time.Minute), vm, client.MergeFrom(before)); err != nil {
			t.Fatal(err)
		}
		e.waitEndpoints(t, 5*time.Second, "web",
			[]string{"198.18.200.3=web-failing", "198.18.200.5=web-no-ip"},
			[]string{"198.18.200.2=web-probed", "198.18.200.4=web-off"})
	})

	t.Run("Converges", func(t *testing.T) {
		versions := func() string {
			var out []string
			for _, obj := range []client.Object{&vmopv1.VirtualMachineService{}, &corev1.Service{}, &endpoints{}} {
				if err := e.get(t, "web", obj); err != nil {
					t.Fatal(err)
				}
				out = append(out, obj.GetResourceVersion())
			}
			return strings.Join(out, " ")
		}
		first := versions()
		time.Sleep(5 * time.Second) // nothing changes: nothing may be written
		if again := versions(); again != first {
			t.Errorf("resource versions moved from %s to %s with nothing changing", first, again)
		}
	})

	t.Run("Deletion", func(t *testing.T) {
		if err := e.c.Delete(ctxFor(t, time.Minute), svc); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Minute, "Service and Endpoints to go with the VirtualMachineService", func() error {
			for _, obj := range []client.Object{&vmopv1.VirtualMachineService{}, &corev1.Service{}, &endpoints{}} {
				if err := e.get(t, "web", obj); !apierrors.IsNotFound(err) {
					return fmt.Errorf("%T still there (%v)", obj, err)
				}
			}
			return nil
		})
	})
}

// checkExternalName: the Service passes the name through and there are no
// Endpoints.
func (e *vmsEnv) checkExternalName(t *testing.T) {
	e.createService(t, &vmopv1.VirtualMachineService{
		ObjectMeta: metav1.ObjectMeta{Name: "ext"},
		Spec: vmopv1.VirtualMachineServiceSpec{
			Type:         vmopv1.VirtualMachineServiceTypeExternalName,
			ExternalName: "db.example.com",
			Selector:     map[string]string{"app": "web"},
		},
	})
	s := &corev1.Service{}
	eventually(t, time.Minute, "Service ext", func() error { return e.get(t, "ext", s) })
	if s.Spec.Type != corev1.ServiceTypeExternalName || s.Spec.ExternalName != "db.example.com" {
		t.Errorf("Service = %+v", s.Spec)
	}
	time.Sleep(time.Second)
	if err := e.get(t, "ext", &endpoints{}); !apierrors.IsNotFound(err) {
		t.Errorf("an ExternalName service has Endpoints (%v)", err)
	}
}

// lbAddress waits for a LoadBalancer service's address and checks how it
// is recorded.
func (e *vmsEnv) lbAddress(t *testing.T, name string) netip.Addr {
	t.Helper()
	svc := &vmopv1.VirtualMachineService{}
	var ip netip.Addr
	eventually(t, time.Minute, "the load-balancer address of "+name, func() error {
		if err := e.get(t, name, svc); err != nil {
			return err
		}
		c := meta.FindStatusCondition(svc.Status.Conditions, "LoadBalancerReady")
		if len(svc.Status.LoadBalancer.Ingress) == 0 || c == nil || c.Status != metav1.ConditionTrue {
			return fmt.Errorf("ingress %+v, LoadBalancerReady %+v", svc.Status.LoadBalancer.Ingress, c)
		}
		var err error
		ip, err = netip.ParseAddr(svc.Status.LoadBalancer.Ingress[0].IP)
		return err
	})
	if got := svc.Annotations["kubevisor.io/load-balancer-ip"]; got != ip.String() {
		t.Errorf("annotation records %q, status reports %s", got, ip)
	}
	return ip
}

// poolOf returns the pool whose ranges hold ip, with its status.
func (e *vmsEnv) poolOf(t *testing.T, ip netip.Addr) *kubevisorv1.LoadBalancerPool {
	t.Helper()
	var pools kubevisorv1.LoadBalancerPoolList
	if err := e.c.List(ctxFor(t, time.Minute), &pools); err != nil {
		t.Fatal(err)
	}
	for i := range pools.Items {
		for _, a := range pools.Items[i].Spec.Addresses {
			if inRange(a, ip) {
				return &pools.Items[i]
			}
		}
	}
	t.Fatalf("%s is in no LoadBalancerPool", ip)
	return nil
}

func inRange(spec string, ip netip.Addr) bool {
	if first, last, ok := strings.Cut(spec, "-"); ok {
		a, errA := netip.ParseAddr(first)
		b, errB := netip.ParseAddr(last)
		return errA == nil && errB == nil && a.Compare(ip) <= 0 && ip.Compare(b) <= 0
	}
	p, err := netip.ParsePrefix(spec)
	return err == nil && p.Contains(ip)
}

// checkLoadBalancer: an address from a pool, recorded and reported, pool
// counts, an explicit address that is taken and then freed, release on
// deletion.
func (e *vmsEnv) checkLoadBalancer(t *testing.T) {
	// A backend that is powered off: listed as not ready, never probed.
	e.createVM(t, "cp-0", "cp", vmStatus{ip: "198.18.201.1", power: vmopv1.VirtualMachinePowerStateOff})
	lb := &vmopv1.VirtualMachineService{
		ObjectMeta: metav1.ObjectMeta{Name: "cluster-a"},
		Spec: vmopv1.VirtualMachineServiceSpec{
			Type:     vmopv1.VirtualMachineServiceTypeLoadBalancer,
			Selector: map[string]string{"app": "cp"},
			Ports:    []vmopv1.VirtualMachineServicePort{{Name: "apiserver", Protocol: "TCP", Port: 6443, TargetPort: 6443}},
		},
	}
	e.createService(t, lb)
	ip := e.lbAddress(t, "cluster-a")
	t.Logf("cluster-a got %s", ip)

	s := &corev1.Service{}
	if err := e.get(t, "cluster-a", s); err != nil || s.Spec.Type != corev1.ServiceTypeClusterIP {
		t.Errorf("Service of a LoadBalancer VirtualMachineService: %+v, %v", s.Spec, err)
	}
	e.waitEndpoints(t, 30*time.Second, "cluster-a", nil, []string{"198.18.201.1=cp-0"})

	pool := e.poolOf(t, ip)
	eventually(t, 30*time.Second, "pool "+pool.Name+" to count the address", func() error {
		p := &kubevisorv1.LoadBalancerPool{}
		if err := e.c.Get(ctxFor(t, time.Minute), client.ObjectKeyFromObject(pool), p); err != nil {
			return err
		}
		if p.Status.Allocated < 1 || p.Status.Available < 1 {
			return fmt.Errorf("allocated %d, available %d", p.Status.Allocated, p.Status.Available)
		}
		return nil
	})

	t.Run("ExplicitAddressTaken", func(t *testing.T) {
		e.createService(t, &vmopv1.VirtualMachineService{
			ObjectMeta: metav1.ObjectMeta{Name: "wants-a"},
			Spec: vmopv1.VirtualMachineServiceSpec{
				Type:           vmopv1.VirtualMachineServiceTypeLoadBalancer,
				LoadBalancerIP: ip.String(),
				Selector:       map[string]string{"app": "cp"},
				Ports:          []vmopv1.VirtualMachineServicePort{{Name: "https", Protocol: "TCP", Port: 443, TargetPort: 443}},
			},
		})
		eventually(t, time.Minute, "wants-a to report the address taken", func() error {
			svc := &vmopv1.VirtualMachineService{}
			if err := e.get(t, "wants-a", svc); err != nil {
				return err
			}
			c := meta.FindStatusCondition(svc.Status.Conditions, "LoadBalancerReady")
			if c == nil || c.Status != metav1.ConditionFalse || c.Reason != "AddressUnavailable" || len(svc.Status.LoadBalancer.Ingress) != 0 {
				return fmt.Errorf("LoadBalancerReady %+v, ingress %+v", c, svc.Status.LoadBalancer.Ingress)
			}
			return nil
		})
	})

	t.Run("ExplicitAddressOutsidePools", func(t *testing.T) {
		e.createService(t, &vmopv1.VirtualMachineService{
			ObjectMeta: metav1.ObjectMeta{Name: "outside"},
			Spec: vmopv1.VirtualMachineServiceSpec{
				Type:           vmopv1.VirtualMachineServiceTypeLoadBalancer,
				LoadBalancerIP: "192.0.2.77",
				Ports:          []vmopv1.VirtualMachineServicePort{{Name: "https", Protocol: "TCP", Port: 443, TargetPort: 443}},
			},
		})
		eventually(t, time.Minute, "outside to be refused its address", func() error {
			svc := &vmopv1.VirtualMachineService{}
			if err := e.get(t, "outside", svc); err != nil {
				return err
			}
			c := meta.FindStatusCondition(svc.Status.Conditions, "LoadBalancerReady")
			if c == nil || c.Reason != "AddressUnavailable" || !strings.Contains(c.Message, "no usable load-balancer pool") {
				return fmt.Errorf("LoadBalancerReady %+v", c)
			}
			return nil
		})
	})

	t.Run("ReleasedOnDeletion", func(t *testing.T) {
		if err := e.c.Delete(ctxFor(t, time.Minute), lb); err != nil {
			t.Fatal(err)
		}
		eventually(t, time.Minute, "cluster-a and its Service and Endpoints to go", func() error {
			for _, obj := range []client.Object{&vmopv1.VirtualMachineService{}, &corev1.Service{}, &endpoints{}} {
				if err := e.get(t, "cluster-a", obj); !apierrors.IsNotFound(err) {
					return fmt.Errorf("%T still there (%v)", obj, err)
				}
			}
			return nil
		})
		// The service that asked for the address gets it now.
		if got := e.lbAddress(t, "wants-a"); got != ip {
			t.Errorf("wants-a got %s, want the released %s", got, ip)
		}
	})
}
