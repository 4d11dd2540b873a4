package virtualmachineservice

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
)

// LoadBalancerReadyCondition is set on VirtualMachineServices of type
// LoadBalancer (and removed from others): True when the service has its
// address and the data plane serves every port on it. It is kubevisor's
// own; vm-operator leaves this to the load-balancer provider.
const (
	// LoadBalancerReadyCondition is the LoadBalancerReady condition.
	LoadBalancerReadyCondition = "LoadBalancerReady"

	// LoadBalancerServingReason: the address is served.
	LoadBalancerServingReason = "Serving"
	// AddressUnavailableReason: no address could be allocated, or not the
	// one spec.loadBalancerIP asks for (not in a pool, or in use); the
	// message says which. A service that had an address keeps it.
	AddressUnavailableReason = "AddressUnavailable"
	// DataPlaneFailedReason: the address or a port cannot be served (the
	// address cannot be put on the host, or a port cannot be opened).
	DataPlaneFailedReason = "DataPlaneFailed"
	// ReconcileFailedReason: the Service, Endpoints or address record
	// could not be written; the message has the error.
	ReconcileFailedReason = "ReconcileFailed"
)

// setServiceReadyCondition sets VirtualMachineServiceServiceReady: the
// Ready condition of the core Service when it has one (core Services
// usually do not: then Unknown, as vm-operator reports it), False when the
// Service could not be made.
func setServiceReadyCondition(svc *vmopv1.VirtualMachineService, s *scope) {
	c := metav1.Condition{
		Type:               vmopv1.ServiceReadyConditionType,
		Status:             metav1.ConditionUnknown,
		ObservedGeneration: svc.Generation,
		Reason:             vmopv1.ServiceReadyNotPresentReason,
		Message:            "the Service has no Ready condition",
	}
	switch {
	case s.serviceErr != nil:
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, ReconcileFailedReason, s.serviceErr.Error()
	case s.service != nil:
		if ready := meta.FindStatusCondition(s.service.Status.Conditions, "Ready"); ready != nil {
			c.Status, c.Reason, c.Message = ready.Status, ready.Reason, ready.Message
			if c.Reason == "" {
				c.Reason = vmopv1.TrueReason
			}
		}
	}
	meta.SetStatusCondition(&svc.Status.Conditions, c)
}

// setLoadBalancerReadyCondition sets LoadBalancerReady on a LoadBalancer
// service from what the pass found, and removes it from other types.
func setLoadBalancerReadyCondition(svc *vmopv1.VirtualMachineService, s *scope) {
	if svc.Spec.Type != vmopv1.VirtualMachineServiceTypeLoadBalancer {
		meta.RemoveStatusCondition(&svc.Status.Conditions, LoadBalancerReadyCondition)
		return
	}
	c := metav1.Condition{
		Type:               LoadBalancerReadyCondition,
		Status:             metav1.ConditionFalse,
		ObservedGeneration: svc.Generation,
	}
	switch {
	case s.addressErr != nil:
		c.Reason, c.Message = AddressUnavailableReason, s.addressErr.Error()
		if s.address.IsValid() {
			c.Message += fmt.Sprintf("; still serving on %s", s.address)
		}
	case s.dataPlaneErr != nil:
		c.Reason, c.Message = DataPlaneFailedReason, s.dataPlaneErr.Error()
	case s.err != nil:
		c.Reason, c.Message = ReconcileFailedReason, s.err.Error()
	case !s.address.IsValid():
		c.Status, c.Reason, c.Message = metav1.ConditionUnknown, ReconcileFailedReason, "the address is not settled yet"
	default:
		c.Status, c.Reason = metav1.ConditionTrue, LoadBalancerServingReason
		c.Message = fmt.Sprintf("serving on %s", s.address)
	}
	meta.SetStatusCondition(&svc.Status.Conditions, c)
}
