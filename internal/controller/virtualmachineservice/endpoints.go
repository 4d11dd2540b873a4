package virtualmachineservice

import (
	"cmp"
	"maps"
	"net/netip"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/lb"
)

// selects reports whether svc's selector picks vm. A service without a
// selector picks nothing: its Endpoints are not this controller's.
func selects(svc *vmopv1.VirtualMachineService, vm *vmopv1.VirtualMachine) bool {
	return len(svc.Spec.Selector) > 0 && svc.Namespace == vm.Namespace &&
		labels.SelectorFromSet(svc.Spec.Selector).Matches(labels.Set(vm.Labels))
}

// hasReadinessProbe reports whether vm has a probe with an action.
func hasReadinessProbe(vm *vmopv1.VirtualMachine) bool {
	p := vm.Spec.ReadinessProbe
	return p != nil && (p.TCPSocket != nil || p.GuestHeartbeat != nil || len(p.GuestInfo) > 0)
}

// endpointIP is vm's primary IPv4 address, if it has one an Endpoints
// object accepts (not loopback, link-local, multicast or unspecified).
func endpointIP(vm *vmopv1.VirtualMachine) (netip.Addr, bool) {
	if vm.Status.Network == nil {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(vm.Status.Network.PrimaryIP4)
	if err != nil || !ip.Is4() || ip.IsLoopback() || ip.IsLinkLocalUnicast() || ip.IsMulticast() || ip.IsUnspecified() {
		return netip.Addr{}, false
	}
	return ip, true
}

// isReady reports whether vm should receive traffic: powered on, and
// either its readiness probe passes (Ready condition True) or it has no
// probe. A probe that has not run yet (no Ready condition) keeps the
// readiness the VM had before (wasReady): a new VM stays out until its
// first probe passes, and a serving VM that is given a probe (as a
// control-plane VM is once its cluster is initialized) keeps serving,
// instead of having its connections cut for the moment between its spec
// changing and its first probe result.
func isReady(vm *vmopv1.VirtualMachine, wasReady bool) bool {
	if vm.Status.PowerState != vmopv1.VirtualMachinePowerStateOn {
		return false
	}
	if hasReadinessProbe(vm) {
		c := meta.FindStatusCondition(vm.Status.Conditions, vmopv1.ReadyConditionType)
		if c == nil {
			return wasReady
		}
		return c.Status == metav1.ConditionTrue
	}
	return true
}

// protocol is p's protocol, TCP when unset.
func protocol(p vmopv1.VirtualMachineServicePort) corev1.Protocol {
	if p.Protocol == "" {
		return corev1.ProtocolTCP
	}
	return corev1.Protocol(p.Protocol)
}

// EndpointSubsets are the Endpoints subsets of svc given the VMs of its
// namespace: one subset with every port (at its targetPort), the ready VMs
// as addresses and the others as notReadyAddresses, each sorted by IP.
// VMs the selector does not pick, VMs being deleted and VMs without a
// usable IPv4 address are left out. It is nil when no VM is left. current
// are the subsets the Endpoints have now: which VMs they list as ready.
func EndpointSubsets(svc *vmopv1.VirtualMachineService, vms []vmopv1.VirtualMachine, current []EndpointSubset) []EndpointSubset {
	wasReady := map[types.UID]bool{}
	for _, ss := range current {
		for _, a := range ss.Addresses {
			if a.TargetRef != nil {
				wasReady[a.TargetRef.UID] = true
			}
		}
	}
	var ready, notReady []corev1.EndpointAddress
	for i := range vms {
		vm := &vms[i]
		if !selects(svc, vm) || !vm.DeletionTimestamp.IsZero() {
			continue
		}
		ip, ok := endpointIP(vm)
		if !ok {
			continue
		}
		addr := corev1.EndpointAddress{
			IP: ip.String(),
			TargetRef: &corev1.ObjectReference{
				APIVersion: vmopv1.GroupVersion.String(),
				Kind:       "VirtualMachine",
				Namespace:  vm.Namespace,
				Name:       vm.Name,
				UID:        vm.UID,
			},
		}
		if isReady(vm, wasReady[vm.UID]) {
			ready = append(ready, addr)
		} else {
			notReady = append(notReady, addr)
		}
	}
	if len(ready) == 0 && len(notReady) == 0 {
		return nil
	}
	byIP := func(a, b corev1.EndpointAddress) int {
		return cmp.Or(netip.MustParseAddr(a.IP).Compare(netip.MustParseAddr(b.IP)), cmp.Compare(a.TargetRef.Name, b.TargetRef.Name))
	}
	slices.SortFunc(ready, byIP)
	slices.SortFunc(notReady, byIP)
	ports := make([]corev1.EndpointPort, 0, len(svc.Spec.Ports))
	for _, p := range svc.Spec.Ports {
		ports = append(ports, corev1.EndpointPort{Name: p.Name, Port: p.TargetPort, Protocol: protocol(p)})
	}
	return []EndpointSubset{{Addresses: ready, NotReadyAddresses: notReady, Ports: ports}}
}

// LoadBalancerService is what the data plane serves for svc on ip: every
// TCP and UDP port, forwarding to the ready addresses of subsets at the
// endpoint port of the same name and protocol. SCTP ports are not served.
func LoadBalancerService(svc *vmopv1.VirtualMachineService, ip netip.Addr, subsets []EndpointSubset) *lb.Service {
	out := &lb.Service{IP: ip}
	for _, r := range svc.Spec.LoadBalancerSourceRanges {
		if p, err := netip.ParsePrefix(r); err == nil {
			out.SourceRanges = append(out.SourceRanges, p.Masked())
		}
	}
	for _, sp := range svc.Spec.Ports {
		proto := protocol(sp)
		if proto != corev1.ProtocolTCP && proto != corev1.ProtocolUDP {
			continue
		}
		port := lb.Port{Protocol: lb.Protocol(proto), Port: uint16(sp.Port)} //nolint:gosec // 1-65535 by schema
		for _, ss := range subsets {
			for _, ep := range ss.Ports {
				if ep.Name != sp.Name || ep.Protocol != proto {
					continue
				}
				for _, a := range ss.Addresses {
					if ip, err := netip.ParseAddr(a.IP); err == nil {
						port.Backends = append(port.Backends, netip.AddrPortFrom(ip, uint16(ep.Port))) //nolint:gosec // a port number
					}
				}
			}
		}
		slices.SortFunc(port.Backends, netip.AddrPort.Compare)
		port.Backends = slices.Compact(port.Backends)
		out.Ports = append(out.Ports, port)
	}
	return out
}

// vmEndpointsChanged reports whether a change from old to new VM can
// change the Endpoints of a service that selects either.
func vmEndpointsChanged(old, new *vmopv1.VirtualMachine) bool {
	oldIP, _ := endpointIP(old)
	newIP, _ := endpointIP(new)
	return !maps.Equal(old.Labels, new.Labels) ||
		oldIP != newIP ||
		old.DeletionTimestamp.IsZero() != new.DeletionTimestamp.IsZero() ||
		isReady(old, false) != isReady(new, false) ||
		isReady(old, true) != isReady(new, true) ||
		old.UID != new.UID
}
