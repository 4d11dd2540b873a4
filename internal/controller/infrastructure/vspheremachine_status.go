package infrastructure

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	vmwarev1 "github.com/kubevisor/kubevisor/api/vmware/v1beta1"
)

// setMachineStatus sets a VSphereMachine's conditions, VM state, addresses
// and provisioning status from what the pass found. A paused pass only says
// so.
func setMachineStatus(vsm *vmwarev1.VSphereMachine, s *machineScope) {
	setPausedCondition(&vsm.Status.Conditions, vsm.Generation, s.cluster, vsm)
	if s.paused {
		return
	}
	st := &vsm.Status
	if s.invalid != nil {
		st.FailureReason = ptr.To(vmwarev1.InvalidConfigurationMachineError)
		st.FailureMessage = ptr.To(s.invalid.Error())
	} else {
		st.FailureReason, st.FailureMessage = nil, nil
	}

	var o vmObservation
	if s.vm != nil {
		o = observeVirtualMachine(s.vm)
		st.ID = o.biosUUID
		st.IPAddr = o.ip
		if o.ip != "" {
			st.Addresses = []vmwarev1.MachineAddress{{Type: vmwarev1.MachineInternalIP, Address: o.ip}}
		}
		if s.vm.Status.Zone != "" {
			st.FailureDomain = s.vm.Status.Zone
		}
	}
	status, reason, message, known := machineProvisioned(s, o)
	if known {
		setCondition(&st.Conditions, vsm.Generation, vmwarev1.VirtualMachineProvisionedCondition, status, reason, message)
	}
	switch {
	case s.deleting && s.vmsLeft == 0:
		st.VMStatus = vmwarev1.VirtualMachineStateNotFound
	case s.deleting:
		st.VMStatus = vmwarev1.VirtualMachineStateDeleting
	case s.vmErr != nil:
		st.VMStatus = vmwarev1.VirtualMachineStateError
	case s.vm != nil:
		st.VMStatus = o.state
	case s.waitingReason != "":
		st.VMStatus = vmwarev1.VirtualMachineStatePending
	}
	if known && !s.deleting && status == metav1.ConditionTrue && vsm.Spec.ProviderID != "" {
		st.Initialization.Provisioned = ptr.To(true)
	}
	st.Ready = ptr.Deref(st.Initialization.Provisioned, false)

	if s.deleting {
		setCondition(&st.Conditions, vsm.Generation, vmwarev1.ReadyCondition, metav1.ConditionFalse, vmwarev1.DeletingReason, "the VSphereMachine is being deleted")
		return
	}
	status, reason, message = readyCondition(st.Conditions, vmwarev1.VirtualMachineProvisionedCondition)
	setCondition(&st.Conditions, vsm.Generation, vmwarev1.ReadyCondition, status, reason, message)
}

// machineProvisioned is the VirtualMachineProvisioned condition: what the
// machine waits for, or what its VM says (o, when there is a VM). A pass
// that learnt nothing (it ended early on a conflict or a read error) leaves
// the condition as it was: known is false.
func machineProvisioned(s *machineScope, o vmObservation) (status metav1.ConditionStatus, reason, message string, known bool) {
	switch {
	case s.deleting && s.vmsLeft > 0:
		return metav1.ConditionFalse, vmwarev1.DeletingReason, fmt.Sprintf("waiting for %d VirtualMachine(s) to be deleted", s.vmsLeft), true
	case s.deleting:
		return metav1.ConditionFalse, vmwarev1.DeletingReason, "", true
	case s.invalid != nil:
		return metav1.ConditionFalse, vmwarev1.VirtualMachineInvalidConfigurationReason, s.invalid.Error(), true
	case s.waitingReason != "":
		return metav1.ConditionFalse, s.waitingReason, s.waitingMessage, true
	case s.vmErr != nil:
		return metav1.ConditionFalse, vmwarev1.VirtualMachineNotProvisionedReason, s.vmErr.Error(), true
	case s.vm == nil:
		return "", "", "", false
	}
	return o.status, o.reason, o.message, true
}
