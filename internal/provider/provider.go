package provider

import (
	"context"
	"errors"
)

// Sentinel errors. Implementations wrap them (fmt.Errorf("...: %w", ErrX)).
var (
	// ErrNotFound: the VM (or image) does not exist in the provider.
	ErrNotFound = errors.New("not found")
	// ErrInProgress: the operation was started and is not finished; call
	// again later to observe progress. Not a failure.
	ErrInProgress = errors.New("in progress")
	// ErrInvalid: the request cannot succeed as given (bad image, bad
	// cloud-init, unsupported class...). Retrying the same spec is
	// pointless; the controller reports it on a condition.
	ErrInvalid = errors.New("invalid request")
)

// PowerState is a VM's power state, with vm-operator's values.
type PowerState string

const (
	PoweredOn  PowerState = "PoweredOn"
	PoweredOff PowerState = "PoweredOff"
	Suspended  PowerState = "Suspended"
)

// VM is the desired state of one VM, resolved by the controller from the
// VirtualMachine, its class, image, bootstrap data and volumes.
type VM struct {
	// ID identifies the VM in the provider for its whole life: the
	// VirtualMachine's UID. Providers key everything on it.
	ID string
	// Namespace and Name are the VirtualMachine's, for naming and display.
	Namespace, Name string
	// Hostname is the guest's host name.
	Hostname string
	// Class sizes the VM.
	Class Class
	// Image is what the VM boots.
	Image Image
	// PowerState is the desired power state.
	PowerState PowerState
	// CloudInit is the bootstrap data, or nil for none.
	CloudInit *CloudInit
	// Volumes are the extra disks to attach, in order.
	Volumes []Volume
	// Zone is the availability zone to place the VM in ("" for any).
	Zone string
	// ResourcePolicy names the VirtualMachineSetResourcePolicy (resource
	// pool and folder) the VM belongs to, if any.
	ResourcePolicy string
}

// Class is the hardware of a VM class.
type Class struct {
	// Name is the class's name.
	Name string
	// CPUs is the number of virtual CPUs.
	CPUs int64
	// MemoryBytes is the memory size.
	MemoryBytes int64
	// CPURequestMilli and MemoryRequestBytes are the reservations
	// (guaranteed classes); zero for best effort.
	CPURequestMilli, MemoryRequestBytes int64
}

// Image locates a VM image.
type Image struct {
	// Name is the VirtualMachineImage's name, for messages.
	Name string
	// LibraryItem is the content library item's ID (its UUID).
	LibraryItem string
	// DiskPath is, for providers on this host, the verified disk payload of
	// the item on local disk.
	DiskPath string
	// OVFPath is the item's OVF descriptor on local disk.
	OVFPath string
}

// CloudInit is cloud-init bootstrap data.
type CloudInit struct {
	// InstanceID changes when cloud-init must run again.
	InstanceID string
	// UserData is the user data (#cloud-config YAML, a script, ...).
	UserData []byte
	// MetaData is the instance metadata (hostname, network), as guestinfo
	// would carry it, in cloud-init's NoCloud/guestinfo YAML form.
	MetaData []byte
}

// Volume is a disk to attach.
type Volume struct {
	// Name is the volume's name in the VirtualMachine.
	Name string
	// ClaimName is the PersistentVolumeClaim backing it.
	ClaimName string
	// Path is, for providers on this host, where the backing store is (a
	// directory or an image file).
	Path string
	// ReadOnly attaches it read-only.
	ReadOnly bool
}

// Status is what a provider observes of a VM.
type Status struct {
	// PowerState is the observed power state.
	PowerState PowerState
	// PrimaryIP4 is the guest's primary IPv4 address, once known.
	PrimaryIP4 string
	// BIOSUUID and InstanceUUID identify the VM's hardware.
	BIOSUUID, InstanceUUID string
	// UniqueID is the provider's own ID (a vSphere managed object ID, a
	// sandbox ID).
	UniqueID string
	// Host is where the VM runs.
	Host string
	// Zone is the availability zone it was placed in.
	Zone string
	// GuestHeartbeat is true while the guest agent reports in.
	GuestHeartbeat bool
	// BootstrapDone is true once cloud-init has finished; BootstrapError
	// says why it failed, if it did.
	BootstrapDone  bool
	BootstrapError string
	// Volumes report each attached volume.
	Volumes []VolumeStatus
}

// VolumeStatus is one attached volume.
type VolumeStatus struct {
	Name     string
	Attached bool
	// DiskUUID identifies the disk inside the guest.
	DiskUUID string
	Error    string
}

// VMs is what the VirtualMachine controller needs from a provider.
type VMs interface {
	// Name names the provider ("local", "vsphere", "simulated").
	Name() string
	// Reconcile makes the VM match vm (create it, change its power state,
	// attach volumes) and returns what it observes. It is idempotent and
	// level-based: a call with an unchanged vm after success changes
	// nothing. It returns ErrInProgress while work is still under way.
	Reconcile(ctx context.Context, vm VM) (Status, error)
	// Status observes a VM without changing it; ErrNotFound if absent.
	Status(ctx context.Context, id string) (Status, error)
	// Delete removes the VM and everything the provider made for it
	// (processes, network, disk, directories). It returns nil when the VM
	// is already gone, so it can be called again after a crash.
	Delete(ctx context.Context, id string) error
	// List returns the IDs of every VM the provider holds, so that VMs whose
	// VirtualMachine is gone can be found and removed.
	List(ctx context.Context) ([]string, error)
}

// Publisher captures a VM's disk as a new image (VirtualMachinePublishRequest).
type Publisher interface {
	// Publish writes the VM's current disk as an image payload into dir and
	// returns the payload's path.
	Publish(ctx context.Context, id, dir string) (string, error)
}
