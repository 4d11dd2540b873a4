package virtualmachine

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/provider"
)

// setCondition sets one condition; its reason is always set, and an
// unchanged condition keeps its transition time.
func setCondition(vm *vmopv1.VirtualMachine, t string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&vm.Status.Conditions, metav1.Condition{
		Type: t, Status: status, Reason: reason, Message: message, ObservedGeneration: vm.Generation,
	})
}

// setCreatingCondition reports a provider operation that is under way.
func setCreatingCondition(vm *vmopv1.VirtualMachine, err error) {
	if meta.IsStatusConditionTrue(vm.Status.Conditions, vmopv1.VirtualMachineConditionCreated) {
		return
	}
	setCondition(vm, vmopv1.VirtualMachineConditionCreated, metav1.ConditionFalse, vmopv1.NotReadyReason, err.Error())
}

// setProviderInvalidCondition reports a request the provider refuses.
func setProviderInvalidCondition(vm *vmopv1.VirtualMachine, err error) {
	setCondition(vm, vmopv1.VirtualMachineConditionCreated, metav1.ConditionFalse, vmopv1.InvalidReason, err.Error())
}

// applyProviderStatus copies what the provider observed into vm's status.
func applyProviderStatus(vm *vmopv1.VirtualMachine, st provider.Status) {
	setCondition(vm, vmopv1.VirtualMachineConditionCreated, metav1.ConditionTrue, vmopv1.TrueReason, "")
	vm.Status.PowerState = vmopv1.VirtualMachinePowerState(st.PowerState)
	vm.Status.UniqueID = st.UniqueID
	vm.Status.BiosUUID = st.BIOSUUID
	vm.Status.InstanceUUID = st.InstanceUUID
	vm.Status.Host = st.Host
	vm.Status.Zone = st.Zone
	if st.PrimaryIP4 != "" || vm.Status.Network != nil {
		if vm.Status.Network == nil {
			vm.Status.Network = &vmopv1.VirtualMachineNetworkStatus{}
		}
		vm.Status.Network.PrimaryIP4 = st.PrimaryIP4
		vm.Status.Network.HostName = hostname(vm)
	}
	vm.Status.Volumes = nil
	for _, v := range st.Volumes {
		vm.Status.Volumes = append(vm.Status.Volumes, vmopv1.VirtualMachineVolumeStatus{
			Name: v.Name, Type: vmopv1.VirtualMachineStorageDiskTypeManaged, Attached: v.Attached, DiskUUID: v.DiskUUID, Error: v.Error,
		})
	}

	switch {
	case vm.Spec.Bootstrap == nil || vm.Spec.Bootstrap.CloudInit == nil || vm.Spec.Bootstrap.Disabled:
		meta.RemoveStatusCondition(&vm.Status.Conditions, vmopv1.GuestBootstrapCondition)
	case st.BootstrapError != "":
		setCondition(vm, vmopv1.GuestBootstrapCondition, metav1.ConditionFalse, "BootstrapFailed", st.BootstrapError)
	case st.BootstrapDone:
		setCondition(vm, vmopv1.GuestBootstrapCondition, metav1.ConditionTrue, vmopv1.TrueReason, "")
	case st.PowerState == provider.PoweredOn:
		setCondition(vm, vmopv1.GuestBootstrapCondition, metav1.ConditionFalse, "Running", "cloud-init is running in the guest")
	}
	if st.PowerState == provider.PoweredOn {
		if st.GuestHeartbeat {
			setCondition(vm, vmopv1.VirtualMachineToolsCondition, metav1.ConditionTrue, vmopv1.VirtualMachineToolsRunningReason, "")
		} else {
			setCondition(vm, vmopv1.VirtualMachineToolsCondition, metav1.ConditionFalse, vmopv1.VirtualMachineToolsNotRunningReason, "the guest agent does not report in")
		}
	} else {
		meta.RemoveStatusCondition(&vm.Status.Conditions, vmopv1.VirtualMachineToolsCondition)
	}
}

// readiness is a probe's verdict; nil means the VM has no probe.
type readiness struct {
	ready   bool
	reason  string
	message string
}

func probePeriod(p *vmopv1.VirtualMachineReadinessProbeSpec) time.Duration {
	if p.PeriodSeconds > 0 {
		return time.Duration(p.PeriodSeconds) * time.Second
	}
	return 10 * time.Second
}

// probeReadiness runs vm's readiness probe against what the provider
// observed.
func probeReadiness(ctx context.Context, vm *vmopv1.VirtualMachine, st provider.Status) *readiness {
	p := vm.Spec.ReadinessProbe
	if p == nil {
		return nil
	}
	if st.PowerState != provider.PoweredOn {
		return &readiness{reason: vmopv1.NotReadyReason, message: "the VM is not powered on"}
	}
	switch {
	case p.TCPSocket != nil:
		host := p.TCPSocket.Host
		if host == "" {
			host = st.PrimaryIP4
		}
		if host == "" {
			return &readiness{reason: vmopv1.NotReadyReason, message: "the VM has no IP address yet"}
		}
		port := p.TCPSocket.Port.IntValue()
		if port <= 0 {
			return &readiness{reason: vmopv1.UnknownReason, message: fmt.Sprintf("readinessProbe.tcpSocket.port %q is not a port number", p.TCPSocket.Port.String())}
		}
		timeout := time.Second
		if p.TimeoutSeconds > 0 {
			timeout = time.Duration(p.TimeoutSeconds) * time.Second
		}
		d := net.Dialer{Timeout: timeout}
		conn, err := d.DialContext(ctx, "tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return &readiness{reason: vmopv1.NotReadyReason, message: fmt.Sprintf("TCP %s:%d: %v", host, port, err)}
		}
		conn.Close()
		return &readiness{ready: true, reason: vmopv1.ReadyReason}
	case p.GuestHeartbeat != nil:
		if st.GuestHeartbeat {
			return &readiness{ready: true, reason: vmopv1.ReadyReason}
		}
		return &readiness{reason: vmopv1.NotReadyReason, message: "no guest heartbeat"}
	}
	return &readiness{reason: vmopv1.UnknownReason, message: "this provider supports tcpSocket and guestHeartbeat readiness probes"}
}

func setReadyCondition(vm *vmopv1.VirtualMachine, r *readiness) {
	if r == nil {
		meta.RemoveStatusCondition(&vm.Status.Conditions, vmopv1.ReadyConditionType)
		return
	}
	status := metav1.ConditionFalse
	if r.ready {
		status = metav1.ConditionTrue
	}
	setCondition(vm, vmopv1.ReadyConditionType, status, r.reason, r.message)
}
