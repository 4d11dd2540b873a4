package infrastructure

import (
	"errors"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	vmwarev1 "github.com/kubevisor/kubevisor/api/vmware/v1beta1"
)

// wantCondition is a condition's expected status and reason, and a part of
// its message.
type wantCondition struct {
	status  metav1.ConditionStatus
	reason  string
	message string
}

func checkConditions(t *testing.T, got []metav1.Condition, want map[string]wantCondition) {
	t.Helper()
	for typ, w := range want {
		c := meta.FindStatusCondition(got, typ)
		if c == nil {
			t.Errorf("no %s condition in %+v", typ, got)
			continue
		}
		if c.Status != w.status || c.Reason != w.reason || !strings.Contains(c.Message, w.message) {
			t.Errorf("%s = %s/%s %q, want %s/%s ~%q", typ, c.Status, c.Reason, c.Message, w.status, w.reason, w.message)
		}
		if c.Reason == "" {
			t.Errorf("%s has no reason", typ)
		}
	}
}

func TestSetClusterStatus(t *testing.T) {
	served := func() *vmopv1.VirtualMachineService {
		s := desiredControlPlaneService(testVSphereCluster(), "c1")
		s.Status.LoadBalancer.Ingress = []vmopv1.LoadBalancerIngress{{IP: "198.19.0.7"}}
		return s
	}
	policy := desiredResourcePolicy(testVSphereCluster(), "c1")
	tests := []struct {
		name            string
		scope           func(vsc *vmwarev1.VSphereCluster) *clusterScope
		wantProvisioned bool
		want            map[string]wantCondition
		wantAbsent      []string
	}{
		{
			name: "waiting for the load-balancer address",
			scope: func(vsc *vmwarev1.VSphereCluster) *clusterScope {
				return &clusterScope{vsc: vsc, clusterName: "c1", policy: policy, service: desiredControlPlaneService(vsc, "c1")}
			},
			want: map[string]wantCondition{
				"ResourcePolicyReady": {metav1.ConditionTrue, "Ready", ""},
				"LoadBalancerReady":   {metav1.ConditionFalse, "WaitingForIP", "no load-balancer address"},
				"Ready":               {metav1.ConditionFalse, "NotReady", "LoadBalancerReady"},
				"Paused":              {metav1.ConditionFalse, "NotPaused", ""},
			},
		},
		{
			name: "provisioned",
			scope: func(vsc *vmwarev1.VSphereCluster) *clusterScope {
				vsc.Spec.ControlPlaneEndpoint = vmwarev1.APIEndpoint{Host: "198.19.0.7", Port: 6443}
				return &clusterScope{vsc: vsc, clusterName: "c1", policy: policy, service: served(),
					endpoint: vmwarev1.APIEndpoint{Host: "198.19.0.7", Port: 6443}, domainsChecked: true}
			},
			wantProvisioned: true,
			want: map[string]wantCondition{
				"ResourcePolicyReady": {metav1.ConditionTrue, "Ready", ""},
				"LoadBalancerReady":   {metav1.ConditionTrue, "Ready", "198.19.0.7:6443"},
				"Ready":               {metav1.ConditionTrue, "Ready", ""},
			},
			wantAbsent: []string{"FailureDomainsReady"},
		},
		{
			name: "policy refused",
			scope: func(vsc *vmwarev1.VSphereCluster) *clusterScope {
				return &clusterScope{vsc: vsc, clusterName: "c1", policyErr: errors.New("VirtualMachineSetResourcePolicy c1 belongs to VSphereCluster other")}
			},
			want: map[string]wantCondition{
				"ResourcePolicyReady": {metav1.ConditionFalse, "NotReady", "belongs to"},
				"Ready":               {metav1.ConditionFalse, "NotReady", "ResourcePolicyReady: VirtualMachineSetResourcePolicy c1 belongs to"},
			},
		},
		{
			name: "nothing known yet",
			scope: func(vsc *vmwarev1.VSphereCluster) *clusterScope {
				return &clusterScope{vsc: vsc, clusterName: "c1"}
			},
			want:       map[string]wantCondition{"Ready": {metav1.ConditionUnknown, "ReadyUnknown", "ResourcePolicyReady, LoadBalancerReady"}},
			wantAbsent: []string{"ResourcePolicyReady", "LoadBalancerReady"},
		},
		{
			name: "invalid zone selector",
			scope: func(vsc *vmwarev1.VSphereCluster) *clusterScope {
				vsc.Spec.ControlPlaneEndpoint = vmwarev1.APIEndpoint{Host: "198.19.0.7", Port: 6443}
				return &clusterScope{vsc: vsc, clusterName: "c1", policy: policy, service: served(),
					endpoint: vmwarev1.APIEndpoint{Host: "198.19.0.7", Port: 6443}, domainsChecked: true, domainsErr: errors.New("bad selector")}
			},
			wantProvisioned: true,
			want: map[string]wantCondition{
				"FailureDomainsReady": {metav1.ConditionFalse, "NotReady", "bad selector"},
				"Ready":               {metav1.ConditionFalse, "NotReady", "FailureDomainsReady"},
			},
		},
		{
			name: "deleting",
			scope: func(vsc *vmwarev1.VSphereCluster) *clusterScope {
				return &clusterScope{vsc: vsc, clusterName: "c1", deleting: true}
			},
			want: map[string]wantCondition{
				"ResourcePolicyReady": {metav1.ConditionFalse, "Deleting", ""},
				"LoadBalancerReady":   {metav1.ConditionFalse, "Deleting", ""},
				"Ready":               {metav1.ConditionFalse, "Deleting", ""},
			},
		},
		{
			name: "paused Cluster: only Paused is reported",
			scope: func(vsc *vmwarev1.VSphereCluster) *clusterScope {
				c := &clusterv1.Cluster{ObjectMeta: metav1.ObjectMeta{Name: "c1"}, Spec: clusterv1.ClusterSpec{Paused: ptr.To(true)}}
				return &clusterScope{vsc: vsc, cluster: c, clusterName: "c1", paused: true}
			},
			want:       map[string]wantCondition{"Paused": {metav1.ConditionTrue, "Paused", "spec.paused"}},
			wantAbsent: []string{"Ready"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vsc := testVSphereCluster()
			setClusterStatus(vsc, tt.scope(vsc))
			checkConditions(t, vsc.Status.Conditions, tt.want)
			for _, typ := range tt.wantAbsent {
				if c := meta.FindStatusCondition(vsc.Status.Conditions, typ); c != nil {
					t.Errorf("unexpected %s condition: %+v", typ, c)
				}
			}
			if got := ptr.Deref(vsc.Status.Initialization.Provisioned, false); got != tt.wantProvisioned || vsc.Status.Ready != tt.wantProvisioned {
				t.Errorf("provisioned = %v, ready = %v, want %v", got, vsc.Status.Ready, tt.wantProvisioned)
			}
			// The same pass again changes nothing.
			before := vsc.Status.DeepCopy()
			setClusterStatus(vsc, tt.scope(vsc))
			if !equalConditions(before.Conditions, vsc.Status.Conditions) {
				t.Errorf("a second pass changed the conditions")
			}
		})
	}
}

func TestSetMachineStatus(t *testing.T) {
	readyVM := func() *vmopv1.VirtualMachine {
		vm := &vmopv1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Name: "vm1"}}
		vm.Status.Conditions = []metav1.Condition{{Type: vmopv1.VirtualMachineConditionCreated, Status: metav1.ConditionTrue, Reason: "True"}}
		vm.Status.PowerState = vmopv1.VirtualMachinePowerStateOn
		vm.Status.Network = &vmopv1.VirtualMachineNetworkStatus{PrimaryIP4: "198.18.0.5"}
		vm.Status.BiosUUID = "4207e2a3-1111-2222-3333-444455556666"
		vm.Status.Zone = "zone-a"
		return vm
	}
	tests := []struct {
		name            string
		scope           func(vsm *vmwarev1.VSphereMachine) *machineScope
		want            map[string]wantCondition
		wantState       vmwarev1.VirtualMachineState
		wantProvisioned bool
		check           func(t *testing.T, vsm *vmwarev1.VSphereMachine)
	}{
		{
			name: "no owner Machine",
			scope: func(vsm *vmwarev1.VSphereMachine) *machineScope {
				return &machineScope{vsm: vsm, waitingReason: vmwarev1.WaitingForOwnerMachineReason, waitingMessage: "waiting for a Machine"}
			},
			want: map[string]wantCondition{
				"VirtualMachineProvisioned": {metav1.ConditionFalse, "WaitingForOwnerMachine", "waiting for a Machine"},
				"Ready":                     {metav1.ConditionFalse, "NotReady", "VirtualMachineProvisioned"},
			},
			wantState: vmwarev1.VirtualMachineStatePending,
		},
		{
			name: "waiting for bootstrap data",
			scope: func(vsm *vmwarev1.VSphereMachine) *machineScope {
				return &machineScope{vsm: vsm, machine: testMachine(true), waitingReason: vmwarev1.WaitingForBootstrapDataReason, waitingMessage: "bootstrap data"}
			},
			want:      map[string]wantCondition{"VirtualMachineProvisioned": {metav1.ConditionFalse, "WaitingForBootstrapData", "bootstrap data"}},
			wantState: vmwarev1.VirtualMachineStatePending,
		},
		{
			name: "VM refused by admission",
			scope: func(vsm *vmwarev1.VSphereMachine) *machineScope {
				return &machineScope{vsm: vsm, machine: testMachine(true), vmErr: errors.New(`creating VirtualMachine vm1: admission webhook denied: VirtualMachineClass "x" is not bound`)}
			},
			want:      map[string]wantCondition{"VirtualMachineProvisioned": {metav1.ConditionFalse, "NotProvisioned", "is not bound"}},
			wantState: vmwarev1.VirtualMachineStateError,
		},
		{
			name: "bad naming template: terminal",
			scope: func(vsm *vmwarev1.VSphereMachine) *machineScope {
				return &machineScope{vsm: vsm, machine: testMachine(true), invalid: errors.New("spec.namingStrategy.template: bad")}
			},
			want: map[string]wantCondition{"VirtualMachineProvisioned": {metav1.ConditionFalse, "InvalidConfiguration", "bad"}},
			check: func(t *testing.T, vsm *vmwarev1.VSphereMachine) {
				if ptr.Deref(vsm.Status.FailureReason, "") != vmwarev1.InvalidConfigurationMachineError || !strings.Contains(ptr.Deref(vsm.Status.FailureMessage, ""), "bad") {
					t.Errorf("failureReason = %v, failureMessage = %v", vsm.Status.FailureReason, vsm.Status.FailureMessage)
				}
			},
		},
		{
			name: "VM without an address",
			scope: func(vsm *vmwarev1.VSphereMachine) *machineScope {
				vm := readyVM()
				vm.Status.Network = nil
				return &machineScope{vsm: vsm, machine: testMachine(true), vm: vm}
			},
			want:      map[string]wantCondition{"VirtualMachineProvisioned": {metav1.ConditionFalse, "WaitingForNetworkAddress", "no IP address"}},
			wantState: vmwarev1.VirtualMachineStatePoweredOn,
		},
		{
			name: "provisioned",
			scope: func(vsm *vmwarev1.VSphereMachine) *machineScope {
				vsm.Spec.ProviderID = "vsphere://4207e2a3-1111-2222-3333-444455556666"
				return &machineScope{vsm: vsm, machine: testMachine(true), vm: readyVM()}
			},
			want: map[string]wantCondition{
				"VirtualMachineProvisioned": {metav1.ConditionTrue, "Provisioned", ""},
				"Ready":                     {metav1.ConditionTrue, "Ready", ""},
			},
			wantState:       vmwarev1.VirtualMachineStateReady,
			wantProvisioned: true,
			check: func(t *testing.T, vsm *vmwarev1.VSphereMachine) {
				st := vsm.Status
				if st.IPAddr != "198.18.0.5" || st.ID != "4207e2a3-1111-2222-3333-444455556666" || st.FailureDomain != "zone-a" ||
					len(st.Addresses) != 1 || st.Addresses[0] != (vmwarev1.MachineAddress{Type: vmwarev1.MachineInternalIP, Address: "198.18.0.5"}) {
					t.Errorf("status = %+v", st)
				}
				if st.FailureReason != nil {
					t.Errorf("failureReason = %v", *st.FailureReason)
				}
			},
		},
		{
			name: "deleting, VM still there",
			scope: func(vsm *vmwarev1.VSphereMachine) *machineScope {
				return &machineScope{vsm: vsm, machine: testMachine(true), deleting: true, vmsLeft: 1, vm: readyVM()}
			},
			want: map[string]wantCondition{
				"VirtualMachineProvisioned": {metav1.ConditionFalse, "Deleting", "1 VirtualMachine"},
				"Ready":                     {metav1.ConditionFalse, "Deleting", ""},
			},
			wantState: vmwarev1.VirtualMachineStateDeleting,
		},
		{
			name: "paused by annotation: only Paused is reported",
			scope: func(vsm *vmwarev1.VSphereMachine) *machineScope {
				vsm.Annotations = map[string]string{clusterv1.PausedAnnotation: ""}
				return &machineScope{vsm: vsm, paused: true}
			},
			want: map[string]wantCondition{"Paused": {metav1.ConditionTrue, "Paused", "annotation"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vsm := testVSphereMachine()
			setMachineStatus(vsm, tt.scope(vsm))
			checkConditions(t, vsm.Status.Conditions, tt.want)
			if vsm.Status.VMStatus != tt.wantState {
				t.Errorf("vmstatus = %q, want %q", vsm.Status.VMStatus, tt.wantState)
			}
			if got := ptr.Deref(vsm.Status.Initialization.Provisioned, false); got != tt.wantProvisioned || vsm.Status.Ready != tt.wantProvisioned {
				t.Errorf("provisioned = %v, ready = %v, want %v", got, vsm.Status.Ready, tt.wantProvisioned)
			}
			if tt.check != nil {
				tt.check(t, vsm)
			}
			before := vsm.Status.DeepCopy()
			setMachineStatus(vsm, tt.scope(vsm))
			if !equalConditions(before.Conditions, vsm.Status.Conditions) {
				t.Errorf("a second pass changed the conditions")
			}
		})
	}
}

func TestMachineStatusKeepsWhatAPassDidNotLearn(t *testing.T) {
	vsm := testVSphereMachine()
	vsm.Spec.ProviderID = "vsphere://x"
	vm := &vmopv1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Name: "vm1"}}
	vm.Status.Conditions = []metav1.Condition{{Type: vmopv1.VirtualMachineConditionCreated, Status: metav1.ConditionTrue, Reason: "True"}}
	vm.Status.PowerState = vmopv1.VirtualMachinePowerStateOn
	vm.Status.Network = &vmopv1.VirtualMachineNetworkStatus{PrimaryIP4: "198.18.0.5"}
	vm.Status.BiosUUID = "x"
	setMachineStatus(vsm, &machineScope{vsm: vsm, machine: testMachine(false), vm: vm})
	before := vsm.Status.DeepCopy()
	// A pass that ended on a write conflict before it read the VM.
	setMachineStatus(vsm, &machineScope{vsm: vsm, machine: testMachine(false)})
	if !equalConditions(before.Conditions, vsm.Status.Conditions) || vsm.Status.VMStatus != before.VMStatus || !vsm.Status.Ready {
		t.Errorf("status changed: %+v -> %+v", before, vsm.Status)
	}
}

func TestReadyCondition(t *testing.T) {
	cond := func(t string, s metav1.ConditionStatus, msg string) metav1.Condition {
		return metav1.Condition{Type: t, Status: s, Reason: "R", Message: msg}
	}
	tests := []struct {
		name       string
		conditions []metav1.Condition
		want       wantCondition
	}{
		{"all true", []metav1.Condition{cond("A", "True", ""), cond("B", "True", "")}, wantCondition{metav1.ConditionTrue, "Ready", ""}},
		{"one false", []metav1.Condition{cond("A", "True", ""), cond("B", "False", "b is down")}, wantCondition{metav1.ConditionFalse, "NotReady", "B: b is down"}},
		{"false wins over unknown", []metav1.Condition{cond("A", "Unknown", ""), cond("B", "False", "")}, wantCondition{metav1.ConditionFalse, "NotReady", "B is False (R)"}},
		{"missing is unknown", []metav1.Condition{cond("A", "True", "")}, wantCondition{metav1.ConditionUnknown, "ReadyUnknown", "B not known yet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, r, m := readyCondition(tt.conditions, "A", "B")
			if s != tt.want.status || r != tt.want.reason || !strings.Contains(m, tt.want.message) {
				t.Errorf("got %s/%s %q, want %s/%s ~%q", s, r, m, tt.want.status, tt.want.reason, tt.want.message)
			}
		})
	}
}

func equalConditions(a, b []metav1.Condition) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
