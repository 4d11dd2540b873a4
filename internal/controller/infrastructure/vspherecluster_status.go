package infrastructure

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	vmwarev1 "github.com/kubevisor/kubevisor/api/vmware/v1beta1"
)

// setClusterStatus sets a VSphereCluster's conditions and provisioning
// status from what the pass found. A paused pass only says so.
func setClusterStatus(vsc *vmwarev1.VSphereCluster, s *clusterScope) {
	gen := vsc.Generation
	setPausedCondition(&vsc.Status.Conditions, gen, s.cluster, vsc)
	if s.paused {
		return
	}
	setResourcePolicyReadyCondition(vsc, s)
	setLoadBalancerReadyCondition(vsc, s)
	setFailureDomainsReadyCondition(vsc, s)
	if !s.deleting && s.policy != nil && s.policyErr == nil && s.serviceErr == nil &&
		!s.endpoint.IsZero() && vsc.Spec.ControlPlaneEndpoint.Host != "" {
		vsc.Status.Initialization.Provisioned = ptr.To(true)
	}
	vsc.Status.Ready = ptr.Deref(vsc.Status.Initialization.Provisioned, false)
	setClusterReadyCondition(vsc, s)
}

// setResourcePolicyReadyCondition reports the resource policy; a pass that
// did not get to it leaves the condition as it was.
func setResourcePolicyReadyCondition(vsc *vmwarev1.VSphereCluster, s *clusterScope) {
	c := &vsc.Status.Conditions
	switch {
	case s.deleting:
		setCondition(c, vsc.Generation, vmwarev1.ResourcePolicyReadyCondition, metav1.ConditionFalse, vmwarev1.DeletingReason, "")
	case s.policyErr != nil:
		setCondition(c, vsc.Generation, vmwarev1.ResourcePolicyReadyCondition, metav1.ConditionFalse, vmwarev1.ResourcePolicyNotReadyReason, s.policyErr.Error())
	case s.policy != nil:
		setCondition(c, vsc.Generation, vmwarev1.ResourcePolicyReadyCondition, metav1.ConditionTrue, vmwarev1.ResourcePolicyReadyReason, "")
	}
}

// setLoadBalancerReadyCondition reports the control-plane load balancer; a
// pass that did not get to it leaves the condition as it was.
func setLoadBalancerReadyCondition(vsc *vmwarev1.VSphereCluster, s *clusterScope) {
	c := &vsc.Status.Conditions
	switch {
	case s.deleting:
		setCondition(c, vsc.Generation, vmwarev1.LoadBalancerReadyCondition, metav1.ConditionFalse, vmwarev1.DeletingReason, "")
	case s.serviceErr != nil:
		setCondition(c, vsc.Generation, vmwarev1.LoadBalancerReadyCondition, metav1.ConditionFalse, vmwarev1.LoadBalancerNotReadyReason, s.serviceErr.Error())
	case s.service != nil && s.endpoint.IsZero():
		setCondition(c, vsc.Generation, vmwarev1.LoadBalancerReadyCondition, metav1.ConditionFalse, vmwarev1.LoadBalancerWaitingForIPReason,
			fmt.Sprintf("VirtualMachineService %s has no load-balancer address yet", s.service.Name))
	case s.service != nil:
		setCondition(c, vsc.Generation, vmwarev1.LoadBalancerReadyCondition, metav1.ConditionTrue, vmwarev1.LoadBalancerReadyReason,
			fmt.Sprintf("VirtualMachineService %s serves %s:%d", s.service.Name, s.endpoint.Host, s.endpoint.Port))
	}
}

// setFailureDomainsReadyCondition reports an invalid control-plane zone
// selector, and removes the report once the failure domains compute.
func setFailureDomainsReadyCondition(vsc *vmwarev1.VSphereCluster, s *clusterScope) {
	switch {
	case s.deleting || !s.domainsChecked:
	case s.domainsErr != nil:
		setCondition(&vsc.Status.Conditions, vsc.Generation, vmwarev1.FailureDomainsReadyCondition, metav1.ConditionFalse, vmwarev1.NotReadyReason, s.domainsErr.Error())
	default:
		removeCondition(&vsc.Status.Conditions, vmwarev1.FailureDomainsReadyCondition)
	}
}

// setClusterReadyCondition summarises ResourcePolicyReady and
// LoadBalancerReady (and FailureDomainsReady when present); False with
// DeletingReason during deletion.
func setClusterReadyCondition(vsc *vmwarev1.VSphereCluster, s *clusterScope) {
	if s.deleting {
		setCondition(&vsc.Status.Conditions, vsc.Generation, vmwarev1.ReadyCondition, metav1.ConditionFalse, vmwarev1.DeletingReason, "the VSphereCluster is being deleted")
		return
	}
	types := []string{vmwarev1.ResourcePolicyReadyCondition, vmwarev1.LoadBalancerReadyCondition}
	if hasCondition(vsc.Status.Conditions, vmwarev1.FailureDomainsReadyCondition) {
		types = append(types, vmwarev1.FailureDomainsReadyCondition)
	}
	status, reason, message := readyCondition(vsc.Status.Conditions, types...)
	setCondition(&vsc.Status.Conditions, vsc.Generation, vmwarev1.ReadyCondition, status, reason, message)
}
