package vsphere

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/vmware/govmomi/vapi/vcenter"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/kubevisor/kubevisor/internal/provider"
)

const gib = 1 << 30

func TestClassHardware(t *testing.T) {
	for _, tc := range []struct {
		name    string
		class   provider.Class
		mhz     int64
		want    hardware
		invalid bool
		fails   bool
	}{
		{name: "best effort", class: provider.Class{CPUs: 2, MemoryBytes: 2 * gib}, mhz: 2000,
			want: hardware{CPUs: 2, MemoryMB: 2048}},
		{name: "guaranteed", class: provider.Class{CPUs: 2, MemoryBytes: 4 * gib, CPURequestMilli: 2000, MemoryRequestBytes: 4 * gib}, mhz: 2294,
			want: hardware{CPUs: 2, MemoryMB: 4096, CPUReservationMHz: 4588, MemoryReservationMB: 4096}},
		{name: "fractional CPU request rounds up", class: provider.Class{CPUs: 1, MemoryBytes: gib, CPURequestMilli: 333}, mhz: 1000,
			want: hardware{CPUs: 1, MemoryMB: 1024, CPUReservationMHz: 333}},
		{name: "memory rounds up to 4 MB", class: provider.Class{CPUs: 1, MemoryBytes: 1000*mib + 1}, mhz: 1000,
			want: hardware{CPUs: 1, MemoryMB: 1004}},
		{name: "reservations are capped at the size", class: provider.Class{CPUs: 1, MemoryBytes: gib, CPURequestMilli: 4000, MemoryRequestBytes: 2 * gib}, mhz: 1000,
			want: hardware{CPUs: 1, MemoryMB: 1024, CPUReservationMHz: 1000, MemoryReservationMB: 1024}},
		{name: "no size keeps the image's", class: provider.Class{}, mhz: 1000, want: hardware{}},
		{name: "negative", class: provider.Class{CPUs: -1}, invalid: true},
		{name: "too many CPUs", class: provider.Class{CPUs: 1000}, invalid: true},
		{name: "CPU request without a known clock", class: provider.Class{CPUs: 1, CPURequestMilli: 500}, fails: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := classHardware(tc.class, tc.mhz)
			switch {
			case tc.invalid:
				if !errors.Is(err, provider.ErrInvalid) {
					t.Errorf("err = %v, want ErrInvalid", err)
				}
			case tc.fails:
				if err == nil || errors.Is(err, provider.ErrInvalid) {
					t.Errorf("err = %v, want a plain error", err)
				}
			case err != nil:
				t.Errorf("err = %v", err)
			case got != tc.want:
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestDesiredExtraConfig(t *testing.T) {
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	cleared := map[string]string{KeyID: "id", KeyDiskUUID: "TRUE",
		KeyUserData: "", KeyUserDataEncoding: "", KeyMetaData: "", KeyMetaDataEncoding: ""}
	for _, tc := range []struct {
		name string
		ci   *provider.CloudInit
		want map[string]string
	}{
		{name: "none", ci: nil, want: cleared},
		{name: "empty", ci: &provider.CloudInit{}, want: cleared},
		{name: "user data and metadata", ci: &provider.CloudInit{UserData: []byte("#cloud-config\n"), MetaData: []byte("instance-id: i\n")},
			want: map[string]string{KeyID: "id", KeyDiskUUID: "TRUE",
				KeyUserData: b64("#cloud-config\n"), KeyUserDataEncoding: "base64",
				KeyMetaData: b64("instance-id: i\n"), KeyMetaDataEncoding: "base64"}},
		{name: "user data only", ci: &provider.CloudInit{UserData: []byte("#!/bin/sh\n")},
			want: map[string]string{KeyID: "id", KeyDiskUUID: "TRUE",
				KeyUserData: b64("#!/bin/sh\n"), KeyUserDataEncoding: "base64", KeyMetaData: "", KeyMetaDataEncoding: ""}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, desiredExtraConfig("id", tc.ci)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestConfigChange(t *testing.T) {
	dvpg := &types.VirtualEthernetCardDistributedVirtualPortBackingInfo{Port: types.DistributedVirtualSwitchPortConnection{SwitchUuid: "sw", PortgroupKey: "dvportgroup-1"}}
	other := &types.VirtualEthernetCardNetworkBackingInfo{VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: "VM Network"}}
	nic := func(b types.BaseVirtualDeviceBackingInfo) types.BaseVirtualDevice {
		return &types.VirtualE1000{VirtualEthernetCard: types.VirtualEthernetCard{VirtualDevice: types.VirtualDevice{Key: 4000, Backing: b}}}
	}
	want := map[string]string{KeyID: "id", KeyUserData: "dXNlcg==", KeyMetaData: ""}
	vm := func(state types.VirtualMachinePowerState, cpus int32, mem int32, ec map[string]string, devices ...types.BaseVirtualDevice) mo.VirtualMachine {
		var opts []types.BaseOptionValue
		for k, v := range ec {
			opts = append(opts, &types.OptionValue{Key: k, Value: v})
		}
		return mo.VirtualMachine{
			Runtime: types.VirtualMachineRuntimeInfo{PowerState: state},
			Config: &types.VirtualMachineConfigInfo{
				Hardware:    types.VirtualHardware{NumCPU: cpus, MemoryMB: mem, Device: devices},
				ExtraConfig: opts,
			},
		}
	}
	off, on := types.VirtualMachinePowerStatePoweredOff, types.VirtualMachinePowerStatePoweredOn
	for _, tc := range []struct {
		name    string
		vm      mo.VirtualMachine
		hw      hardware
		changed bool
		check   func(t *testing.T, spec types.VirtualMachineConfigSpec)
	}{
		{name: "in line", vm: vm(off, 2, 2048, want, nic(dvpg)), hw: hardware{CPUs: 2, MemoryMB: 2048}},
		{name: "resize while off", vm: vm(off, 1, 1024, want, nic(dvpg)), hw: hardware{CPUs: 2, MemoryMB: 2048}, changed: true,
			check: func(t *testing.T, spec types.VirtualMachineConfigSpec) {
				if spec.NumCPUs != 2 || spec.MemoryMB != 2048 || len(spec.ExtraConfig) != 0 || len(spec.DeviceChange) != 0 {
					t.Errorf("spec = %+v", spec)
				}
			}},
		{name: "no resize while on", vm: vm(on, 1, 1024, want, nic(dvpg)), hw: hardware{CPUs: 2, MemoryMB: 2048}},
		{name: "reservations change while on", vm: vm(on, 2, 2048, want, nic(dvpg)), hw: hardware{CPUs: 2, MemoryMB: 2048, CPUReservationMHz: 100, MemoryReservationMB: 2048}, changed: true,
			check: func(t *testing.T, spec types.VirtualMachineConfigSpec) {
				if *spec.CpuAllocation.Reservation != 100 || *spec.MemoryAllocation.Reservation != 2048 || spec.NumCPUs != 0 {
					t.Errorf("spec = %+v", spec)
				}
			}},
		{name: "cloud-init changes", vm: vm(on, 2, 2048, map[string]string{KeyID: "id", KeyUserData: "b2xk", KeyMetaData: "bWV0YQ=="}, nic(dvpg)), hw: hardware{CPUs: 2, MemoryMB: 2048}, changed: true,
			check: func(t *testing.T, spec types.VirtualMachineConfigSpec) {
				got := extraConfigMap(spec.ExtraConfig)
				if diff := cmp.Diff(map[string]string{KeyUserData: "dXNlcg==", KeyMetaData: ""}, got); diff != "" {
					t.Errorf("extraConfig (-want +got):\n%s", diff)
				}
			}},
		{name: "NIC on another network", vm: vm(off, 2, 2048, want, nic(other)), hw: hardware{CPUs: 2, MemoryMB: 2048}, changed: true,
			check: func(t *testing.T, spec types.VirtualMachineConfigSpec) {
				if len(spec.DeviceChange) != 1 {
					t.Fatalf("device changes = %d", len(spec.DeviceChange))
				}
				dc := spec.DeviceChange[0].GetVirtualDeviceConfigSpec()
				if dc.Operation != types.VirtualDeviceConfigSpecOperationEdit || dc.Device.GetVirtualDevice().Backing != dvpg {
					t.Errorf("device change = %+v", dc)
				}
			}},
		{name: "no NIC", vm: vm(off, 2, 2048, want), hw: hardware{CPUs: 2, MemoryMB: 2048}, changed: true,
			check: func(t *testing.T, spec types.VirtualMachineConfigSpec) {
				if len(spec.DeviceChange) != 1 || spec.DeviceChange[0].GetVirtualDeviceConfigSpec().Operation != types.VirtualDeviceConfigSpecOperationAdd {
					t.Fatalf("device changes = %+v", spec.DeviceChange)
				}
				if _, ok := spec.DeviceChange[0].GetVirtualDeviceConfigSpec().Device.(*types.VirtualVmxnet3); !ok {
					t.Errorf("added %T, want a vmxnet3", spec.DeviceChange[0].GetVirtualDeviceConfigSpec().Device)
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			spec, changed := configChange(tc.vm, tc.hw, want, dvpg)
			if changed != tc.changed {
				t.Fatalf("changed = %v, want %v (spec %+v)", changed, tc.changed, spec)
			}
			if tc.check != nil {
				tc.check(t, spec)
			}
		})
	}
}

func TestPowerTransition(t *testing.T) {
	on, off, susp := types.VirtualMachinePowerStatePoweredOn, types.VirtualMachinePowerStatePoweredOff, types.VirtualMachinePowerStateSuspended
	for _, tc := range []struct {
		have types.VirtualMachinePowerState
		want provider.PowerState
		op   powerOp
	}{
		{off, provider.PoweredOn, powerOn},
		{susp, provider.PoweredOn, powerOn},
		{on, provider.PoweredOn, powerNone},
		{on, provider.PoweredOff, powerOff},
		{susp, provider.PoweredOff, powerOff},
		{off, provider.PoweredOff, powerNone},
		{on, provider.Suspended, powerSuspend},
		{off, provider.Suspended, powerNone},
		{susp, provider.Suspended, powerNone},
		{on, "", powerNone},
	} {
		if got := powerTransition(tc.have, tc.want); got != tc.op {
			t.Errorf("powerTransition(%s, %q) = %s, want %s", tc.have, tc.want, got, tc.op)
		}
	}
}

func TestObserve(t *testing.T) {
	ref := types.ManagedObjectReference{Type: "VirtualMachine", Value: "vm-42"}
	base := func(state types.VirtualMachinePowerState, guest *types.GuestInfo, ec ...types.BaseOptionValue) mo.VirtualMachine {
		vm := mo.VirtualMachine{
			Runtime:              types.VirtualMachineRuntimeInfo{PowerState: state},
			Config:               &types.VirtualMachineConfigInfo{Uuid: "bios", InstanceUuid: "instance", ExtraConfig: ec},
			Guest:                guest,
			GuestHeartbeatStatus: types.ManagedEntityStatusGreen,
		}
		vm.Self = ref
		return vm
	}
	on := types.VirtualMachinePowerStatePoweredOn
	for _, tc := range []struct {
		name string
		vm   mo.VirtualMachine
		want provider.Status
	}{
		{name: "off", vm: base(types.VirtualMachinePowerStatePoweredOff, &types.GuestInfo{IpAddress: "10.0.0.1"}),
			want: provider.Status{PowerState: provider.PoweredOff, BIOSUUID: "bios", InstanceUUID: "instance", UniqueID: "vm-42"}},
		{name: "suspended", vm: base(types.VirtualMachinePowerStateSuspended, nil),
			want: provider.Status{PowerState: provider.Suspended, BIOSUUID: "bios", InstanceUUID: "instance", UniqueID: "vm-42"}},
		{name: "on, no address yet", vm: base(on, &types.GuestInfo{}),
			want: provider.Status{PowerState: provider.PoweredOn, BIOSUUID: "bios", InstanceUUID: "instance", UniqueID: "vm-42", GuestHeartbeat: true}},
		{name: "on with an address", vm: base(on, &types.GuestInfo{IpAddress: "198.18.0.9"}),
			want: provider.Status{PowerState: provider.PoweredOn, BIOSUUID: "bios", InstanceUUID: "instance", UniqueID: "vm-42",
				GuestHeartbeat: true, PrimaryIP4: "198.18.0.9", BootstrapDone: true}},
		{name: "IPv6 and link-local skipped for guest.net", vm: base(on, &types.GuestInfo{IpAddress: "fe80::1", Net: []types.GuestNicInfo{
			{IpConfig: &types.NetIpConfigInfo{IpAddress: []types.NetIpConfigInfoIpAddress{{IpAddress: "169.254.3.3"}, {IpAddress: "2001:db8::1"}, {IpAddress: "198.18.0.10"}}}},
		}}),
			want: provider.Status{PowerState: provider.PoweredOn, BIOSUUID: "bios", InstanceUUID: "instance", UniqueID: "vm-42",
				GuestHeartbeat: true, PrimaryIP4: "198.18.0.10", BootstrapDone: true}},
		{name: "bootstrap failed", vm: base(on, &types.GuestInfo{IpAddress: "198.18.0.9"}, &types.OptionValue{Key: KeyBootstrapCondition, Value: "False,CloudInitFailed,runcmd exited 1"}),
			want: provider.Status{PowerState: provider.PoweredOn, BIOSUUID: "bios", InstanceUUID: "instance", UniqueID: "vm-42",
				GuestHeartbeat: true, PrimaryIP4: "198.18.0.9", BootstrapError: "CloudInitFailed,runcmd exited 1"}},
		{name: "bootstrap done before an address", vm: base(on, &types.GuestInfo{}, &types.OptionValue{Key: KeyBootstrapCondition, Value: "True"}),
			want: provider.Status{PowerState: provider.PoweredOn, BIOSUUID: "bios", InstanceUUID: "instance", UniqueID: "vm-42",
				GuestHeartbeat: true, BootstrapDone: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, observe(tc.vm)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestVMName(t *testing.T) {
	long := strings.Repeat("a", 100)
	for _, tc := range []struct {
		vm   provider.VM
		want string
	}{
		{provider.VM{ID: "id", Name: "web-0"}, "web-0"},
		{provider.VM{ID: "id"}, "id"},
	} {
		if got := vmName(tc.vm); got != tc.want {
			t.Errorf("vmName(%+v) = %q, want %q", tc.vm, got, tc.want)
		}
	}
	a, b := vmName(provider.VM{Name: long}), vmName(provider.VM{Name: long + "b"})
	if len(a) != maxNameLen || len(b) != maxNameLen || a == b || !strings.HasPrefix(a, long[:70]) {
		t.Errorf("long names %q, %q", a, b)
	}
}

func TestConfigComplete(t *testing.T) {
	for _, tc := range []struct {
		name    string
		cfg     Config
		wantURL string
		check   func(Config) bool
		fails   bool
	}{
		{name: "bare host", cfg: Config{URL: "vc.example.com", Username: "u", Cluster: "c"}, wantURL: "https://vc.example.com/sdk",
			check: func(c Config) bool {
				return c.Folder == DefaultFolder && c.ResourcePool == DefaultResourcePool && c.ReconcileWait == DefaultReconcileWait
			}},
		{name: "user from the URL", cfg: Config{URL: "https://admin:secret@vc:8443/sdk", Cluster: "c"}, wantURL: "https://vc:8443/sdk",
			check: func(c Config) bool { return c.Username == "admin" && c.Password == "secret" }},
		{name: "cluster from the first zone", cfg: Config{URL: "vc", Username: "u", Zones: map[string]string{"b": "C1", "a": "C0"}}, wantURL: "https://vc/sdk",
			check: func(c Config) bool { return c.Cluster == "C0" }},
		{name: "no URL", cfg: Config{Username: "u", Cluster: "c"}, fails: true},
		{name: "no user", cfg: Config{URL: "vc", Cluster: "c"}, fails: true},
		{name: "no cluster", cfg: Config{URL: "vc", Username: "u"}, fails: true},
		{name: "empty zone", cfg: Config{URL: "vc", Username: "u", Zones: map[string]string{"a": ""}}, fails: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, u, err := tc.cfg.complete()
			if tc.fails {
				if err == nil {
					t.Errorf("complete succeeded")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.String() != tc.wantURL {
				t.Errorf("URL = %s, want %s", u, tc.wantURL)
			}
			if tc.check != nil && !tc.check(c) {
				t.Errorf("config = %+v", c)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	var nilDeploy *vcenter.DeploymentError
	if err := deployError(nilDeploy); err == nil || err.Error() == "" {
		t.Errorf("deployError(typed nil) = %v", err)
	}
	input := &vcenter.DeploymentError{Errors: []vcenter.OVFError{{Category: "INPUT"}}}
	if err := deployError(input); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("deployError(INPUT) = %v, want ErrInvalid", err)
	}
	server := &vcenter.DeploymentError{Errors: []vcenter.OVFError{{Category: "SERVER"}}}
	if err := deployError(server); errors.Is(err, provider.ErrInvalid) {
		t.Errorf("deployError(SERVER) = %v, want a plain error", err)
	}
	if err := classify(errors.New("boom")); errors.Is(err, provider.ErrInvalid) {
		t.Errorf("classify(plain) = %v", err)
	}
}

func TestPoolAllocation(t *testing.T) {
	for _, tc := range []struct {
		name           string
		rp             ResourcePolicy
		cpuRes, cpuLim int64
		memRes, memLim int64
		invalid        bool
	}{
		{name: "defaults", rp: ResourcePolicy{}, cpuRes: 0, cpuLim: -1, memRes: 0, memLim: -1},
		{name: "set", rp: ResourcePolicy{CPUReservationMilli: 500, CPULimitMilli: 4000, MemoryReservationBytes: gib, MemoryLimitBytes: 8 * gib},
			cpuRes: 1000, cpuLim: 8000, memRes: 1024, memLim: 8192},
		{name: "negative", rp: ResourcePolicy{CPULimitMilli: -1}, invalid: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cpu, mem, err := poolAllocation(tc.rp, 2000)
			if tc.invalid {
				if !errors.Is(err, provider.ErrInvalid) {
					t.Errorf("err = %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := [4]int64{*cpu.Reservation, *cpu.Limit, *mem.Reservation, *mem.Limit}
			if want := [4]int64{tc.cpuRes, tc.cpuLim, tc.memRes, tc.memLim}; got != want {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}
