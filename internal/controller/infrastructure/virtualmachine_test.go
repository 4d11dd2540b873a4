package infrastructure

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	vmwarev1 "github.com/kubevisor/kubevisor/api/vmware/v1beta1"
)

func testVSphereMachine(mutate ...func(*vmwarev1.VSphereMachine)) *vmwarev1.VSphereMachine {
	vsm := &vmwarev1.VSphereMachine{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns1", Name: "c1-md-0-abcde-xyz12", UID: "vsm-uid"},
		Spec: vmwarev1.VSphereMachineSpec{
			ImageName:    "ubuntu-2204-v1.36.3",
			ClassName:    "best-effort-small",
			StorageClass: "local",
		},
	}
	for _, m := range mutate {
		m(vsm)
	}
	return vsm
}

func testMachine(controlPlane bool, mutate ...func(*clusterv1.Machine)) *clusterv1.Machine {
	m := &clusterv1.Machine{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: "ns1",
			Name:      "c1-md-0-abcde-xyz12",
			Labels: map[string]string{
				clusterv1.ClusterNameLabel:    "c1",
				clusterv1.MachineSetNameLabel: "c1-md-0-abcde",
			},
		},
		Spec: clusterv1.MachineSpec{
			ClusterName: "c1",
			Bootstrap:   clusterv1.Bootstrap{DataSecretName: ptr.To("c1-md-0-abcde-xyz12-bootstrap")},
		},
	}
	if controlPlane {
		m.Labels[clusterv1.MachineControlPlaneLabel] = ""
		m.Labels[clusterv1.MachineControlPlaneNameLabel] = "c1-cp"
	} else {
		m.Labels[clusterv1.MachineDeploymentNameLabel] = "c1-md-0"
		m.Labels[clusterv1.ClusterTopologyOwnedLabel] = ""
		m.Labels[clusterv1.ClusterTopologyMachineDeploymentNameLabel] = "md-0"
	}
	for _, f := range mutate {
		f(m)
	}
	return m
}

func TestVirtualMachineName(t *testing.T) {
	tests := []struct {
		name     string
		template *string
		want     string
		wantErr  string
	}{
		{name: "default is the VSphereMachine's name", want: "c1-md-0-abcde-xyz12"},
		{name: "machine name", template: ptr.To("{{ .machine.name }}"), want: "machine-1"},
		{name: "trimSuffix", template: ptr.To(`{{ trimSuffix "-1" .machine.name }}-vm`), want: "machine-vm"},
		{name: "trunc", template: ptr.To(`{{ trunc 3 .machine.name }}`), want: "mac"},
		{name: "trunc from the end", template: ptr.To(`{{ trunc -3 .machine.name }}`), want: "e-1"},
		{name: "cut to 63", template: ptr.To(strings.Repeat("a", 70)), want: strings.Repeat("a", 63)},
		{name: "unparsable", template: ptr.To("{{ .machine.name"), wantErr: "spec.namingStrategy.template"},
		{name: "missing key", template: ptr.To("{{ .cluster.name }}"), wantErr: "spec.namingStrategy.template"},
		{name: "invalid name", template: ptr.To("Machine_{{ .machine.name }}"), wantErr: "not a valid name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vsm := testVSphereMachine(func(m *vmwarev1.VSphereMachine) {
				if tt.template != nil {
					m.Spec.NamingStrategy = &vmwarev1.VirtualMachineNamingStrategy{Template: tt.template}
				}
			})
			got, err := virtualMachineName(vsm, "machine-1")
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
				t.Errorf("name = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDesiredVirtualMachine(t *testing.T) {
	probe := &vmopv1.VirtualMachineReadinessProbeSpec{TCPSocket: &vmopv1.TCPSocketAction{Port: intstr.FromInt32(6443)}}
	tests := []struct {
		name        string
		in          machineInputs
		wantErr     string
		check       func(t *testing.T, vm *vmopv1.VirtualMachine)
		labels      map[string]string
		annotations map[string]string
	}{
		{
			name: "worker",
			in:   machineInputs{vsm: testVSphereMachine(), machine: testMachine(false), clusterName: "c1", controlPlaneInitialized: true},
			labels: map[string]string{
				"capv.vmware.com/cluster.name":              "c1",
				"capv.vmware.com/cluster.role":              "node",
				"cluster.x-k8s.io/cluster-name":             "c1",
				"cluster.x-k8s.io/deployment-name":          "c1-md-0",
				"topology.cluster.x-k8s.io/owned":           "",
				"topology.cluster.x-k8s.io/deployment-name": "md-0",
			},
			annotations: map[string]string{
				"vsphere-cluster-module-group": "c1-workers-0",
				"vsphere-tag":                  "WorkerVmVmAATag",
			},
			check: func(t *testing.T, vm *vmopv1.VirtualMachine) {
				want := vmopv1.VirtualMachineSpec{
					ImageName:    "ubuntu-2204-v1.36.3",
					ClassName:    "best-effort-small",
					StorageClass: "local",
					PowerState:   vmopv1.VirtualMachinePowerStateOn,
					PowerOffMode: vmopv1.VirtualMachinePowerOpModeHard,
					Reserved:     &vmopv1.VirtualMachineReservedSpec{ResourcePolicyName: "c1"},
					Bootstrap: &vmopv1.VirtualMachineBootstrapSpec{CloudInit: &vmopv1.VirtualMachineBootstrapCloudInitSpec{
						RawCloudConfig: &vmopv1.SecretKeySelector{Name: "c1-md-0-abcde-xyz12-bootstrap", Key: "value"},
					}},
				}
				if diff := cmp.Diff(want, vm.Spec); diff != "" {
					t.Errorf("spec (-want +got):\n%s", diff)
				}
				if vm.Name != "c1-md-0-abcde-xyz12" || vm.Namespace != "ns1" {
					t.Errorf("name = %s/%s", vm.Namespace, vm.Name)
				}
			},
		},
		{
			name: "first control-plane machine: no readiness probe",
			in:   machineInputs{vsm: testVSphereMachine(), machine: testMachine(true), clusterName: "c1"},
			labels: map[string]string{
				"capv.vmware.com/cluster.name":        "c1",
				"capv.vmware.com/cluster.role":        "controlplane",
				"cluster.x-k8s.io/cluster-name":       "c1",
				"cluster.x-k8s.io/control-plane":      "",
				"cluster.x-k8s.io/control-plane-name": "c1-cp",
			},
			annotations: map[string]string{
				"vsphere-cluster-module-group": "control-plane-group",
				"vsphere-tag":                  "CtrlVmVmAATag",
			},
			check: func(t *testing.T, vm *vmopv1.VirtualMachine) {
				if vm.Spec.ReadinessProbe != nil {
					t.Errorf("readinessProbe = %+v, want none before the control plane is initialized", vm.Spec.ReadinessProbe)
				}
			},
		},
		{
			name: "control-plane machine of an initialized cluster: TCP probe on 6443",
			in:   machineInputs{vsm: testVSphereMachine(), machine: testMachine(true), clusterName: "c1", controlPlaneInitialized: true},
			check: func(t *testing.T, vm *vmopv1.VirtualMachine) {
				if diff := cmp.Diff(probe, vm.Spec.ReadinessProbe); diff != "" {
					t.Errorf("readinessProbe (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "worker of an initialized cluster: no probe",
			in:   machineInputs{vsm: testVSphereMachine(), machine: testMachine(false), clusterName: "c1", controlPlaneInitialized: true},
			check: func(t *testing.T, vm *vmopv1.VirtualMachine) {
				if vm.Spec.ReadinessProbe != nil {
					t.Errorf("readinessProbe = %+v, want none on workers", vm.Spec.ReadinessProbe)
				}
			},
		},
		{
			name: "zone from the Machine's failure domain",
			in: machineInputs{
				vsm:         testVSphereMachine(func(m *vmwarev1.VSphereMachine) { m.Spec.FailureDomain = "zone-b" }),
				machine:     testMachine(true, func(m *clusterv1.Machine) { m.Spec.FailureDomain = "zone-a" }),
				clusterName: "c1",
			},
			check: func(t *testing.T, vm *vmopv1.VirtualMachine) {
				if got := vm.Labels["topology.kubernetes.io/zone"]; got != "zone-a" {
					t.Errorf("zone label = %q, want zone-a", got)
				}
			},
		},
		{
			name: "zone from the VSphereMachine when the Machine has none",
			in: machineInputs{
				vsm:         testVSphereMachine(func(m *vmwarev1.VSphereMachine) { m.Spec.FailureDomain = "zone-b" }),
				machine:     testMachine(false),
				clusterName: "c1",
			},
			check: func(t *testing.T, vm *vmopv1.VirtualMachine) {
				if got := vm.Labels["topology.kubernetes.io/zone"]; got != "zone-b" {
					t.Errorf("zone label = %q, want zone-b", got)
				}
			},
		},
		{
			name: "no failure domain, no zone label",
			in:   machineInputs{vsm: testVSphereMachine(), machine: testMachine(false), clusterName: "c1"},
			check: func(t *testing.T, vm *vmopv1.VirtualMachine) {
				if _, ok := vm.Labels["topology.kubernetes.io/zone"]; ok {
					t.Errorf("zone label set: %v", vm.Labels)
				}
			},
		},
		{
			name: "volumes, power-off mode and hardware version",
			in: machineInputs{
				vsm: testVSphereMachine(func(m *vmwarev1.VSphereMachine) {
					m.Spec.PowerOffMode = vmwarev1.VirtualMachinePowerOpModeTrySoft
					m.Spec.MinHardwareVersion = "vmx-17"
					m.Spec.Volumes = []vmwarev1.VSphereMachineVolume{
						{Name: "containerd", Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("20Gi")}},
						{Name: "etcd", Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("4Gi")}, StorageClass: "fast"},
					}
				}),
				machine:     testMachine(true),
				clusterName: "c1",
			},
			check: func(t *testing.T, vm *vmopv1.VirtualMachine) {
				if vm.Spec.PowerOffMode != vmopv1.VirtualMachinePowerOpModeTrySoft {
					t.Errorf("powerOffMode = %q", vm.Spec.PowerOffMode)
				}
				if vm.Spec.MinHardwareVersion != 17 {
					t.Errorf("minHardwareVersion = %d", vm.Spec.MinHardwareVersion)
				}
				want := []vmopv1.VirtualMachineVolume{
					{Name: "c1-md-0-abcde-xyz12-containerd", PersistentVolumeClaim: &vmopv1.PersistentVolumeClaimVolumeSource{ClaimName: "c1-md-0-abcde-xyz12-containerd"}},
					{Name: "c1-md-0-abcde-xyz12-etcd", PersistentVolumeClaim: &vmopv1.PersistentVolumeClaimVolumeSource{ClaimName: "c1-md-0-abcde-xyz12-etcd"}},
				}
				if diff := cmp.Diff(want, vm.Spec.Volumes); diff != "" {
					t.Errorf("volumes (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "soft power-off, plain hardware version number",
			in: machineInputs{
				vsm: testVSphereMachine(func(m *vmwarev1.VSphereMachine) {
					m.Spec.PowerOffMode = vmwarev1.VirtualMachinePowerOpModeSoft
					m.Spec.MinHardwareVersion = "15"
				}),
				machine: testMachine(false), clusterName: "c1",
			},
			check: func(t *testing.T, vm *vmopv1.VirtualMachine) {
				if vm.Spec.PowerOffMode != vmopv1.VirtualMachinePowerOpModeSoft || vm.Spec.MinHardwareVersion != 15 {
					t.Errorf("powerOffMode = %q, minHardwareVersion = %d", vm.Spec.PowerOffMode, vm.Spec.MinHardwareVersion)
				}
			},
		},
		{
			name:    "no bootstrap data",
			in:      machineInputs{vsm: testVSphereMachine(), machine: testMachine(false, func(m *clusterv1.Machine) { m.Spec.Bootstrap.DataSecretName = nil }), clusterName: "c1"},
			wantErr: "no bootstrap data",
		},
		{
			name:    "bad hardware version",
			in:      machineInputs{vsm: testVSphereMachine(func(m *vmwarev1.VSphereMachine) { m.Spec.MinHardwareVersion = "vmx-x" }), machine: testMachine(false), clusterName: "c1"},
			wantErr: "spec.minHardwareVersion",
		},
		{
			name:    "bad power-off mode",
			in:      machineInputs{vsm: testVSphereMachine(func(m *vmwarev1.VSphereMachine) { m.Spec.PowerOffMode = "Hard" }), machine: testMachine(false), clusterName: "c1"},
			wantErr: "spec.powerOffMode",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name, err := virtualMachineName(tt.in.vsm, tt.in.machine.Name)
			if err != nil {
				t.Fatal(err)
			}
			vm, err := desiredVirtualMachine(tt.in, name)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.labels != nil {
				if diff := cmp.Diff(tt.labels, vm.Labels); diff != "" {
					t.Errorf("labels (-want +got):\n%s", diff)
				}
			}
			if tt.annotations != nil {
				if diff := cmp.Diff(tt.annotations, vm.Annotations); diff != "" {
					t.Errorf("annotations (-want +got):\n%s", diff)
				}
			}
			if tt.check != nil {
				tt.check(t, vm)
			}
		})
	}
}

func TestApplyVirtualMachine(t *testing.T) {
	want := func(t *testing.T, initialized bool, mutate ...func(*vmwarev1.VSphereMachine)) *vmopv1.VirtualMachine {
		t.Helper()
		vm, err := desiredVirtualMachine(machineInputs{
			vsm:                     testVSphereMachine(mutate...),
			machine:                 testMachine(true, func(m *clusterv1.Machine) { m.Spec.FailureDomain = "zone-a" }),
			clusterName:             "c1",
			controlPlaneInitialized: initialized,
		}, "vm1")
		if err != nil {
			t.Fatal(err)
		}
		return vm
	}
	withVolume := func(m *vmwarev1.VSphereMachine) {
		m.Spec.Volumes = []vmwarev1.VSphereMachineVolume{{Name: "etcd", Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("4Gi")}}}
	}
	tests := []struct {
		name        string
		have        func(t *testing.T) *vmopv1.VirtualMachine
		want        func(t *testing.T) *vmopv1.VirtualMachine
		wantChanged bool
		check       func(t *testing.T, have *vmopv1.VirtualMachine)
	}{
		{
			name:        "converged: no change",
			have:        func(t *testing.T) *vmopv1.VirtualMachine { return want(t, true, withVolume) },
			want:        func(t *testing.T) *vmopv1.VirtualMachine { return want(t, true, withVolume) },
			wantChanged: false,
		},
		{
			name:        "empty VM gets everything",
			have:        func(*testing.T) *vmopv1.VirtualMachine { return &vmopv1.VirtualMachine{} },
			want:        func(t *testing.T) *vmopv1.VirtualMachine { return want(t, true, withVolume) },
			wantChanged: true,
			check: func(t *testing.T, have *vmopv1.VirtualMachine) {
				w := want(t, true, withVolume)
				if diff := cmp.Diff(w.Spec, have.Spec); diff != "" {
					t.Errorf("spec (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(w.Labels, have.Labels); diff != "" {
					t.Errorf("labels (-want +got):\n%s", diff)
				}
			},
		},
		{
			name: "others' volumes, class, labels and probe settings are kept",
			have: func(t *testing.T) *vmopv1.VirtualMachine {
				vm := want(t, true, withVolume)
				vm.Spec.ClassName = "resized"
				vm.Spec.Volumes = append(vm.Spec.Volumes, vmopv1.VirtualMachineVolume{Name: "pvc-guest", PersistentVolumeClaim: &vmopv1.PersistentVolumeClaimVolumeSource{ClaimName: "uid-pvc-guest"}})
				vm.Spec.ReadinessProbe.PeriodSeconds = 10
				vm.Labels["extra"] = "yes"
				vm.Labels["topology.kubernetes.io/zone"] = "zone-z"
				return vm
			},
			want:        func(t *testing.T) *vmopv1.VirtualMachine { return want(t, true, withVolume) },
			wantChanged: false,
			check: func(t *testing.T, have *vmopv1.VirtualMachine) {
				if have.Spec.ClassName != "resized" || len(have.Spec.Volumes) != 2 || have.Spec.ReadinessProbe.PeriodSeconds != 10 ||
					have.Labels["extra"] != "yes" || have.Labels["topology.kubernetes.io/zone"] != "zone-z" {
					t.Errorf("lost something: %+v %v", have.Spec, have.Labels)
				}
			},
		},
		{
			name:        "probe added once the control plane is initialized",
			have:        func(t *testing.T) *vmopv1.VirtualMachine { return want(t, false) },
			want:        func(t *testing.T) *vmopv1.VirtualMachine { return want(t, true) },
			wantChanged: true,
			check: func(t *testing.T, have *vmopv1.VirtualMachine) {
				if have.Spec.ReadinessProbe == nil || have.Spec.ReadinessProbe.TCPSocket.Port.IntValue() != 6443 {
					t.Errorf("readinessProbe = %+v", have.Spec.ReadinessProbe)
				}
			},
		},
		{
			name: "powered off by hand: powered on again",
			have: func(t *testing.T) *vmopv1.VirtualMachine {
				vm := want(t, true)
				vm.Spec.PowerState = vmopv1.VirtualMachinePowerStateOff
				return vm
			},
			want:        func(t *testing.T) *vmopv1.VirtualMachine { return want(t, true) },
			wantChanged: true,
			check: func(t *testing.T, have *vmopv1.VirtualMachine) {
				if have.Spec.PowerState != vmopv1.VirtualMachinePowerStateOn {
					t.Errorf("powerState = %q", have.Spec.PowerState)
				}
			},
		},
		{
			name:        "new volume appended",
			have:        func(t *testing.T) *vmopv1.VirtualMachine { return want(t, true) },
			want:        func(t *testing.T) *vmopv1.VirtualMachine { return want(t, true, withVolume) },
			wantChanged: true,
			check: func(t *testing.T, have *vmopv1.VirtualMachine) {
				if !hasClaimVolume(have, "c1-md-0-abcde-xyz12-etcd") {
					t.Errorf("volumes = %+v", have.Spec.Volumes)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			have, w := tt.have(t), tt.want(t)
			if got := applyVirtualMachine(have, w); got != tt.wantChanged {
				t.Errorf("changed = %v, want %v", got, tt.wantChanged)
			}
			if tt.check != nil {
				tt.check(t, have)
			}
			if applyVirtualMachine(have, w) {
				t.Errorf("a second apply changed the VM again")
			}
		})
	}
}

func TestDesiredClaims(t *testing.T) {
	vsm := testVSphereMachine(func(m *vmwarev1.VSphereMachine) {
		m.Spec.Volumes = []vmwarev1.VSphereMachineVolume{
			{Name: "containerd", Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("20Gi")}},
			{Name: "etcd", Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("4Gi")}, StorageClass: "fast"},
		}
	})
	got := desiredClaims(vsm, "c1")
	if len(got) != 2 {
		t.Fatalf("%d claims", len(got))
	}
	tests := []struct {
		name, class, size string
	}{
		{"c1-md-0-abcde-xyz12-containerd", "local", "20Gi"},
		{"c1-md-0-abcde-xyz12-etcd", "fast", "4Gi"},
	}
	for i, tt := range tests {
		c := got[i]
		if c.Name != tt.name || c.Namespace != "ns1" || ptr.Deref(c.Spec.StorageClassName, "") != tt.class ||
			c.Spec.Resources.Requests.Storage().String() != tt.size ||
			len(c.Spec.AccessModes) != 1 || c.Spec.AccessModes[0] != corev1.ReadWriteOnce ||
			c.Labels[clusterv1.ClusterNameLabel] != "c1" {
			t.Errorf("claim %d = %s %v %v %v %v", i, c.Name, ptr.Deref(c.Spec.StorageClassName, ""), c.Spec.Resources.Requests, c.Spec.AccessModes, c.Labels)
		}
	}
}

func TestObserveVirtualMachine(t *testing.T) {
	created := metav1.Condition{Type: vmopv1.VirtualMachineConditionCreated, Status: metav1.ConditionTrue, Reason: "True"}
	vm := func(mutate func(*vmopv1.VirtualMachine)) *vmopv1.VirtualMachine {
		v := &vmopv1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Name: "vm1"}}
		v.Status.Conditions = []metav1.Condition{created}
		v.Status.PowerState = vmopv1.VirtualMachinePowerStateOn
		v.Status.Network = &vmopv1.VirtualMachineNetworkStatus{PrimaryIP4: "198.18.0.5"}
		v.Status.BiosUUID = "4207e2a3-1111-2222-3333-444455556666"
		if mutate != nil {
			mutate(v)
		}
		return v
	}
	tests := []struct {
		name       string
		vm         *vmopv1.VirtualMachine
		wantState  vmwarev1.VirtualMachineState
		wantStatus metav1.ConditionStatus
		wantReason string
		wantMsg    string
	}{
		{
			name: "not created yet",
			vm: vm(func(v *vmopv1.VirtualMachine) {
				v.Status = vmopv1.VirtualMachineStatus{}
			}),
			wantState: vmwarev1.VirtualMachineStatePending, wantStatus: metav1.ConditionFalse, wantReason: "Provisioning",
		},
		{
			name: "class not bound: the VM's reason and message",
			vm: vm(func(v *vmopv1.VirtualMachine) {
				v.Status = vmopv1.VirtualMachineStatus{Conditions: []metav1.Condition{
					{Type: vmopv1.VirtualMachineConditionClassReady, Status: metav1.ConditionFalse, Reason: "NotFound", Message: "VirtualMachineClass \"x\" is not bound"},
				}}
			}),
			wantState: vmwarev1.VirtualMachineStatePending, wantStatus: metav1.ConditionFalse, wantReason: "NotFound", wantMsg: "is not bound",
		},
		{
			name: "provider at work: the Created condition's message",
			vm: vm(func(v *vmopv1.VirtualMachine) {
				v.Status = vmopv1.VirtualMachineStatus{Conditions: []metav1.Condition{
					{Type: vmopv1.VirtualMachineConditionCreated, Status: metav1.ConditionFalse, Reason: "NotReady", Message: "unpacking the image"},
				}}
			}),
			wantState: vmwarev1.VirtualMachineStatePending, wantStatus: metav1.ConditionFalse, wantReason: "Provisioning", wantMsg: "unpacking the image",
		},
		{
			name:      "powered off",
			vm:        vm(func(v *vmopv1.VirtualMachine) { v.Status.PowerState = vmopv1.VirtualMachinePowerStateOff }),
			wantState: vmwarev1.VirtualMachineStateCreated, wantStatus: metav1.ConditionFalse, wantReason: "PoweringOn",
		},
		{
			name:      "no address",
			vm:        vm(func(v *vmopv1.VirtualMachine) { v.Status.Network = nil }),
			wantState: vmwarev1.VirtualMachineStatePoweredOn, wantStatus: metav1.ConditionFalse, wantReason: "WaitingForNetworkAddress",
		},
		{
			name:      "no BIOS UUID",
			vm:        vm(func(v *vmopv1.VirtualMachine) { v.Status.BiosUUID = "" }),
			wantState: vmwarev1.VirtualMachineStatePoweredOn, wantStatus: metav1.ConditionFalse, wantReason: "WaitingForBIOSUUID",
		},
		{
			name:      "ready",
			vm:        vm(nil),
			wantState: vmwarev1.VirtualMachineStateReady, wantStatus: metav1.ConditionTrue, wantReason: "Provisioned",
		},
		{
			name: "IPv6 only",
			vm: vm(func(v *vmopv1.VirtualMachine) {
				v.Status.Network = &vmopv1.VirtualMachineNetworkStatus{PrimaryIP6: "fd00::5"}
			}),
			wantState: vmwarev1.VirtualMachineStateReady, wantStatus: metav1.ConditionTrue, wantReason: "Provisioned",
		},
		{
			name: "being deleted",
			vm: vm(func(v *vmopv1.VirtualMachine) {
				now := metav1.Now()
				v.DeletionTimestamp = &now
			}),
			wantState: vmwarev1.VirtualMachineStateDeleting, wantStatus: metav1.ConditionFalse, wantReason: "NotProvisioned", wantMsg: "being deleted",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := observeVirtualMachine(tt.vm)
			if o.state != tt.wantState || o.status != tt.wantStatus || o.reason != tt.wantReason || !strings.Contains(o.message, tt.wantMsg) {
				t.Errorf("observed %+v, want state %s status %s reason %s message ~%q", o, tt.wantState, tt.wantStatus, tt.wantReason, tt.wantMsg)
			}
			if o.reason == "" {
				t.Errorf("no reason")
			}
		})
	}
}
