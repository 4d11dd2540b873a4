package vsphere

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/kubevisor/kubevisor/internal/provider"
)

// extraConfig keys.
const (
	// KeyID holds the VM's provider ID (the VirtualMachine's UID): the
	// stable key by which the provider finds, lists and adopts its VMs.
	KeyID = "guestinfo.kubevisor.id"
	// The keys of cloud-init's VMware (guestinfo) datasource.
	KeyUserData         = "guestinfo.userdata"
	KeyUserDataEncoding = "guestinfo.userdata.encoding"
	KeyMetaData         = "guestinfo.metadata"
	KeyMetaDataEncoding = "guestinfo.metadata.encoding"
	// KeyBootstrapCondition is set by the guest, as vm-operator reads it:
	// "True", or "False,<reason>,<message>".
	KeyBootstrapCondition = "guestinfo.vmservice.bootstrap.condition"
	// KeyDiskUUID makes disks report a UUID inside the guest, which CSI
	// needs (vm-operator sets it too).
	KeyDiskUUID = "disk.enableUUID"
)

// maxNameLen is vSphere's limit on an inventory object's name.
const maxNameLen = 80

// vmName is the VM's name in vSphere, unique inside its namespace's
// folder: the VirtualMachine's name, shortened with a digest when longer
// than vSphere allows.
func vmName(vm provider.VM) string {
	name := vm.Name
	if name == "" {
		name = vm.ID
	}
	return inventoryName(name)
}

// inventoryName bounds a name to vSphere's 80 characters, keeping it unique
// with a digest of the whole.
func inventoryName(name string) string {
	if len(name) <= maxNameLen {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:maxNameLen-9] + "-" + hex.EncodeToString(sum[:4])
}

// hardware is what a class asks of a VM, in vSphere's units.
type hardware struct {
	// CPUs and MemoryMB size the VM; zero keeps the image's.
	CPUs     int32
	MemoryMB int64
	// CPUReservationMHz and MemoryReservationMB reserve capacity for
	// guaranteed classes; zero reserves nothing.
	CPUReservationMHz   int64
	MemoryReservationMB int64
}

const mib = 1 << 20

// classHardware turns a class into vSphere sizing. cpuMHz is the clock of
// the slowest host of the VM's cluster: vSphere reserves CPU in MHz, so a
// request of 1000 millicores reserves one such core (vm-operator does the
// same). Memory is rounded up to the 4 MB vSphere requires.
func classHardware(c provider.Class, cpuMHz int64) (hardware, error) {
	switch {
	case c.CPUs < 0 || c.MemoryBytes < 0 || c.CPURequestMilli < 0 || c.MemoryRequestBytes < 0:
		return hardware{}, fmt.Errorf("class %q has a negative size: %w", c.Name, provider.ErrInvalid)
	case c.CPUs > 768:
		return hardware{}, fmt.Errorf("class %q asks for %d CPUs, more than vSphere's 768: %w", c.Name, c.CPUs, provider.ErrInvalid)
	case c.CPURequestMilli > 0 && cpuMHz <= 0:
		return hardware{}, fmt.Errorf("class %q reserves CPU, but the cluster's CPU clock is unknown", c.Name)
	}
	hw := hardware{CPUs: int32(c.CPUs), MemoryMB: roundUp(ceilDiv(c.MemoryBytes, mib), 4)}
	hw.CPUReservationMHz = ceilDiv(c.CPURequestMilli*cpuMHz, 1000)
	if hw.CPUs > 0 {
		hw.CPUReservationMHz = min(hw.CPUReservationMHz, int64(hw.CPUs)*cpuMHz)
	}
	hw.MemoryReservationMB = ceilDiv(c.MemoryRequestBytes, mib)
	if hw.MemoryMB > 0 {
		hw.MemoryReservationMB = min(hw.MemoryReservationMB, hw.MemoryMB)
	}
	return hw, nil
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

func roundUp(a, m int64) int64 { return ceilDiv(a, m) * m }

// desiredExtraConfig is the extraConfig a VM must carry: its ID and its
// cloud-init data as base64 guestinfo, which cloud-init's VMware datasource
// reads. An empty value means the key must be absent (vSphere removes a
// key set to "").
func desiredExtraConfig(id string, ci *provider.CloudInit) map[string]string {
	ec := map[string]string{
		KeyID:               id,
		KeyDiskUUID:         "TRUE",
		KeyUserData:         "",
		KeyUserDataEncoding: "",
		KeyMetaData:         "",
		KeyMetaDataEncoding: "",
	}
	if ci == nil {
		return ec
	}
	if len(ci.UserData) > 0 {
		ec[KeyUserData] = base64.StdEncoding.EncodeToString(ci.UserData)
		ec[KeyUserDataEncoding] = "base64"
	}
	if len(ci.MetaData) > 0 {
		ec[KeyMetaData] = base64.StdEncoding.EncodeToString(ci.MetaData)
		ec[KeyMetaDataEncoding] = "base64"
	}
	return ec
}

// extraConfigMap reads a VM's extraConfig.
func extraConfigMap(opts []types.BaseOptionValue) map[string]string {
	m := make(map[string]string, len(opts))
	for _, o := range opts {
		if o == nil {
			continue
		}
		v := o.GetOptionValue()
		if s, ok := v.Value.(string); ok {
			m[v.Key] = s
		} else if v.Value != nil {
			m[v.Key] = fmt.Sprint(v.Value)
		}
	}
	return m
}

// configChange is the reconfiguration that brings a VM to what is wanted,
// and whether there is any.
func configChange(vm mo.VirtualMachine, hw hardware, ec map[string]string, nic types.BaseVirtualDeviceBackingInfo) (types.VirtualMachineConfigSpec, bool) {
	var spec types.VirtualMachineConfigSpec
	changed := false
	if vm.Config == nil {
		return spec, false
	}
	cfg := vm.Config
	// CPUs and memory change only while the VM is off: a running guest
	// keeps its size until it is powered off (and on again).
	off := vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOff
	if off && hw.CPUs > 0 && cfg.Hardware.NumCPU != hw.CPUs {
		spec.NumCPUs, changed = hw.CPUs, true
	}
	if off && hw.MemoryMB > 0 && int64(cfg.Hardware.MemoryMB) != hw.MemoryMB {
		spec.MemoryMB, changed = hw.MemoryMB, true
	}
	if reservation(cfg.CpuAllocation) != hw.CPUReservationMHz {
		spec.CpuAllocation, changed = &types.ResourceAllocationInfo{Reservation: types.NewInt64(hw.CPUReservationMHz)}, true
	}
	if reservation(cfg.MemoryAllocation) != hw.MemoryReservationMB {
		spec.MemoryAllocation, changed = &types.ResourceAllocationInfo{Reservation: types.NewInt64(hw.MemoryReservationMB)}, true
	}

	have := extraConfigMap(cfg.ExtraConfig)
	keys := make([]string, 0, len(ec))
	for k := range ec {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if have[k] != ec[k] {
			spec.ExtraConfig = append(spec.ExtraConfig, &types.OptionValue{Key: k, Value: ec[k]})
			changed = true
		}
	}

	if nic != nil {
		if dc := nicChange(object.VirtualDeviceList(cfg.Hardware.Device), nic); len(dc) > 0 {
			spec.DeviceChange, changed = dc, true
		}
	}
	return spec, changed
}

func reservation(a *types.ResourceAllocationInfo) int64 {
	if a == nil || a.Reservation == nil {
		return 0
	}
	return *a.Reservation
}

// nicChange connects every NIC of a VM to the network of backing, and adds
// a vmxnet3 NIC there if the VM has none.
func nicChange(devices object.VirtualDeviceList, backing types.BaseVirtualDeviceBackingInfo) []types.BaseVirtualDeviceConfigSpec {
	var out []types.BaseVirtualDeviceConfigSpec
	nics := devices.SelectByType((*types.VirtualEthernetCard)(nil))
	for _, d := range nics {
		card, ok := d.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		c := card.GetVirtualEthernetCard()
		if sameNetwork(c.Backing, backing) {
			continue
		}
		c.Backing = backing
		out = append(out, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationEdit, Device: d})
	}
	if len(nics) == 0 {
		card, err := object.EthernetCardTypes().CreateEthernetCard("vmxnet3", backing)
		if err == nil {
			out = append(out, &types.VirtualDeviceConfigSpec{Operation: types.VirtualDeviceConfigSpecOperationAdd, Device: card})
		}
	}
	return out
}

// sameNetwork reports whether two NIC backings attach to one network.
func sameNetwork(a, b types.BaseVirtualDeviceBackingInfo) bool {
	switch a := a.(type) {
	case *types.VirtualEthernetCardNetworkBackingInfo:
		b, ok := b.(*types.VirtualEthernetCardNetworkBackingInfo)
		if !ok {
			return false
		}
		if a.Network != nil && b.Network != nil {
			return *a.Network == *b.Network
		}
		return a.DeviceName == b.DeviceName
	case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
		b, ok := b.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo)
		return ok && a.Port.PortgroupKey == b.Port.PortgroupKey && a.Port.SwitchUuid == b.Port.SwitchUuid
	case *types.VirtualEthernetCardOpaqueNetworkBackingInfo:
		b, ok := b.(*types.VirtualEthernetCardOpaqueNetworkBackingInfo)
		return ok && a.OpaqueNetworkId == b.OpaqueNetworkId && a.OpaqueNetworkType == b.OpaqueNetworkType
	}
	return false
}

// powerOp is a power operation.
type powerOp int

const (
	powerNone powerOp = iota
	powerOn
	powerOff
	powerSuspend
)

func (o powerOp) String() string {
	return [...]string{"none", "power on", "power off", "suspend"}[o]
}

// powerTransition is the operation that takes a VM from its power state to
// the wanted one. An empty want leaves the VM as it is; suspending a VM
// that is off leaves it off (vSphere cannot suspend it).
func powerTransition(have types.VirtualMachinePowerState, want provider.PowerState) powerOp {
	switch want {
	case provider.PoweredOn:
		if have != types.VirtualMachinePowerStatePoweredOn {
			return powerOn
		}
	case provider.PoweredOff:
		if have != types.VirtualMachinePowerStatePoweredOff {
			return powerOff
		}
	case provider.Suspended:
		if have == types.VirtualMachinePowerStatePoweredOn {
			return powerSuspend
		}
	}
	return powerNone
}

// vmProperties are the properties a VM's reconcile and status read.
var vmProperties = []string{
	"name", "config.uuid", "config.instanceUuid", "config.hardware", "config.cpuAllocation",
	"config.memoryAllocation", "config.extraConfig", "runtime.powerState", "runtime.host",
	"guest.ipAddress", "guest.net", "guestHeartbeatStatus", "guest.toolsRunningStatus",
}

// observe maps what vSphere says of a VM to the provider's status. Host
// and Zone are filled in by the caller.
func observe(vm mo.VirtualMachine) provider.Status {
	st := provider.Status{UniqueID: vm.Self.Value}
	switch vm.Runtime.PowerState {
	case types.VirtualMachinePowerStatePoweredOn:
		st.PowerState = provider.PoweredOn
	case types.VirtualMachinePowerStateSuspended:
		st.PowerState = provider.Suspended
	default:
		st.PowerState = provider.PoweredOff
	}
	var ec map[string]string
	if vm.Config != nil {
		st.BIOSUUID, st.InstanceUUID = vm.Config.Uuid, vm.Config.InstanceUuid
		ec = extraConfigMap(vm.Config.ExtraConfig)
	}
	on := st.PowerState == provider.PoweredOn
	if on {
		st.PrimaryIP4 = primaryIP4(vm.Guest)
		st.GuestHeartbeat = vm.GuestHeartbeatStatus == types.ManagedEntityStatusGreen ||
			vm.GuestHeartbeatStatus == types.ManagedEntityStatusYellow
	}
	// The guest reports bootstrap the way vm-operator reads it; a guest
	// that does not is taken as bootstrapped once it reports an address
	// (cloud-init's network stage is done by then).
	switch cond := ec[KeyBootstrapCondition]; {
	case strings.EqualFold(cond, "true"):
		st.BootstrapDone = true
	case cond != "":
		st.BootstrapError = cond
		if _, rest, ok := strings.Cut(cond, ","); ok {
			st.BootstrapError = rest
		}
	default:
		st.BootstrapDone = st.PrimaryIP4 != ""
	}
	return st
}

// primaryIP4 is the guest's first IPv4 address: the one it reports as its
// address, or the first of its NICs' addresses.
func primaryIP4(g *types.GuestInfo) string {
	if g == nil {
		return ""
	}
	if ip4(g.IpAddress) {
		return g.IpAddress
	}
	for _, n := range g.Net {
		if n.IpConfig != nil {
			for _, a := range n.IpConfig.IpAddress {
				if ip4(a.IpAddress) {
					return a.IpAddress
				}
			}
		}
		for _, a := range n.IpAddress {
			if ip4(a) {
				return a
			}
		}
	}
	return ""
}

// ip4 reports whether s is a usable IPv4 address (not link-local, which a
// guest reports before DHCP answers).
func ip4(s string) bool {
	a, err := netip.ParseAddr(s)
	return err == nil && a.Is4() && !a.IsLinkLocalUnicast() && !a.IsUnspecified()
}
