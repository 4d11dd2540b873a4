package local

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/kubevisor/kubevisor/internal/guest/status"
	"github.com/kubevisor/kubevisor/internal/ipam"
	"github.com/kubevisor/kubevisor/internal/mounts"
	"github.com/kubevisor/kubevisor/internal/netns"
	"github.com/kubevisor/kubevisor/internal/provider"
)

var (
	_ provider.VMs       = (*Provider)(nil)
	_ provider.Publisher = (*Provider)(nil)
)

// Defaults.
const (
	DefaultBridge       = "kv-br0"
	DefaultNetwork      = "198.18.0.0/16"
	DefaultCgroupParent = "kubevisor"
	DefaultStopTimeout  = 30 * time.Second
	DefaultBootTimeout  = 30 * time.Second
)

// DefaultScratchDirs are the guest paths kept on plain directories rather
// than on the overlay: containerd's overlay snapshotter cannot sit on
// overlayfs, and logs and databases are better off on a plain file system.
var DefaultScratchDirs = []string{"/var/lib/containerd", "/var/lib/kubelet", "/var/lib/etcd", "/var/log"}

// DefaultSharedScratch are the paths below the scratch directories whose
// files are never changed once written: containerd's content blobs (named
// by digest) and its unpacked overlayfs snapshots (read-only lower layers
// of every container). A scratch directory is filled with hard links to
// the image's files there instead of copies, so that a node image with its
// container images preloaded boots without copying them.
var DefaultSharedScratch = []string{
	"/var/lib/containerd/io.containerd.content.v1.content/blobs",
	"/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots",
}

// Config configures the local provider.
type Config struct {
	// StateDir holds everything the provider keeps: extracted images, VM
	// disks, IPAM allocations (e.g. <data-dir>/vms). Required.
	StateDir string
	// GuestAgentPath is the static kubevisor-guest binary. Required.
	GuestAgentPath string
	// Bridge is the host bridge VMs join (default kv-br0).
	Bridge string
	// Network is the VM network in CIDR form (default 198.18.0.0/16).
	Network string
	// Gateway is the bridge's address in Network (default: its first
	// address). VMs route through it.
	Gateway string
	// MTU sets the bridge's and veths' MTU (0: the kernel's default).
	MTU int
	// ScratchDirs are guest paths bound from plain per-VM directories
	// instead of living on the overlay (nil: DefaultScratchDirs). A VM
	// keeps the list it was created with.
	ScratchDirs []string
	// SharedScratch are guest paths below ScratchDirs whose files are
	// filled by hard link to the image's (nil: DefaultSharedScratch). A
	// guest can change such a file in place for every VM of its image, as
	// root in the guest can change the host in other ways: the local
	// provider isolates VMs for resource accounting and naming, not
	// against a hostile guest (docs/design/local-provider.md).
	SharedScratch []string
	// CgroupParent is the cgroup under which each VM gets its own
	// (default kubevisor: /sys/fs/cgroup/<hierarchy>/kubevisor/<id>).
	CgroupParent string
	// Nameservers are given to VMs in their network config, and so in
	// their /etc/resolv.conf. Default: the gateway, where no resolver
	// listens (lookups of outside names fail at once), so that the file
	// names a reachable server, as CoreDNS needs.
	Nameservers []string
	// StopTimeout bounds a clean power off before processes are killed.
	StopTimeout time.Duration
	// BootTimeout bounds the boot step (mounts, pivot_root).
	BootTimeout time.Duration
}

// Provider runs VMs as sandboxes on this host.
type Provider struct {
	cfg     Config
	dir     dirs
	ipam    *ipam.Allocator
	cg      *cgroups
	gateway netip.Prefix
	// agent is the provider's content-addressed copy of the guest agent.
	agent string
	host  string

	imageMu sync.Mutex
}

type dirs struct {
	root, images, agent, ipam, locks, instances string
}

// New sets up the host side (state directories, the bridge, IPv4
// forwarding) and adopts the VMs found in the state directory: those
// whose PID 1 still runs are left running, never started twice.
func New(cfg Config) (*Provider, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("the local provider needs root")
	}
	if cfg.StateDir == "" || cfg.GuestAgentPath == "" {
		return nil, errors.New("local provider: StateDir and GuestAgentPath are required")
	}
	if cfg.Bridge == "" {
		cfg.Bridge = DefaultBridge
	}
	if cfg.Network == "" {
		cfg.Network = DefaultNetwork
	}
	if cfg.CgroupParent == "" {
		cfg.CgroupParent = DefaultCgroupParent
	}
	if cfg.ScratchDirs == nil {
		cfg.ScratchDirs = DefaultScratchDirs
	}
	for _, d := range cfg.ScratchDirs {
		if !filepath.IsAbs(d) || filepath.Clean(d) == "/" {
			return nil, fmt.Errorf("scratch directory %q: want an absolute path below /", d)
		}
	}
	if cfg.SharedScratch == nil {
		cfg.SharedScratch = DefaultSharedScratch
	}
	for _, d := range cfg.SharedScratch {
		if !filepath.IsAbs(d) || filepath.Clean(d) == "/" {
			return nil, fmt.Errorf("shared scratch path %q: want an absolute path below /", d)
		}
	}
	if cfg.StopTimeout == 0 {
		cfg.StopTimeout = DefaultStopTimeout
	}
	if cfg.BootTimeout == 0 {
		cfg.BootTimeout = DefaultBootTimeout
	}
	prefix, err := netip.ParsePrefix(cfg.Network)
	if err != nil || !prefix.Addr().Is4() {
		return nil, fmt.Errorf("VM network %q: want an IPv4 CIDR", cfg.Network)
	}
	prefix = prefix.Masked()
	gw := prefix.Addr().Next()
	if cfg.Gateway != "" {
		if gw, err = netip.ParseAddr(cfg.Gateway); err != nil || !prefix.Contains(gw) {
			return nil, fmt.Errorf("gateway %q: want an address in %s", cfg.Gateway, prefix)
		}
	}
	root, err := filepath.Abs(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	p := &Provider{cfg: cfg, gateway: netip.PrefixFrom(gw, prefix.Bits())}
	p.dir = dirs{root: root, images: filepath.Join(root, "images"), agent: filepath.Join(root, "agent"),
		ipam: filepath.Join(root, "ipam"), locks: filepath.Join(root, "locks"), instances: filepath.Join(root, "instances")}
	for _, d := range []string{p.dir.images, p.dir.agent, p.dir.locks, p.dir.instances} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("creating state directory: %w", err)
		}
	}
	if p.agent, err = p.installAgent(cfg.GuestAgentPath); err != nil {
		return nil, err
	}
	if p.cg, err = detectCgroups(cfg.CgroupParent); err != nil {
		return nil, err
	}
	if p.ipam, err = ipam.New(p.dir.ipam, prefix, gw); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := netns.EnsureBridge(ctx, netns.Bridge{Name: cfg.Bridge, Gateway: p.gateway, MTU: cfg.MTU}); err != nil {
		return nil, err
	}
	p.host, _ = os.Hostname()
	ids, err := p.List(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		p.adopt(id)
	}
	return p, nil
}

// installAgent copies the guest agent into the state directory under a
// name derived from its content, so that replacing the Supervisor's copy
// never changes a running VM's binary.
func (p *Provider) installAgent(src string) (string, error) {
	if err := checkStatic(src); err != nil {
		return "", err
	}
	f, err := os.Open(src)
	if err != nil {
		return "", fmt.Errorf("guest agent: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("guest agent: %w", err)
	}
	dst := filepath.Join(p.dir.agent, "kubevisor-guest-"+hex.EncodeToString(h.Sum(nil))[:16])
	if _, err := os.Stat(dst); err == nil {
		return dst, nil
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return "", fmt.Errorf("guest agent: %w", err)
	}
	if err := writeFileAtomic(dst, b, 0o755); err != nil {
		return "", fmt.Errorf("installing the guest agent: %w", err)
	}
	return dst, nil
}

// checkStatic refuses a dynamically linked agent: VM images need not have
// its C library (build it with CGO_ENABLED=0).
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("guest agent %s: %w", path, err)
	}
	defer f.Close()
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			return fmt.Errorf("guest agent %s is dynamically linked: build it with CGO_ENABLED=0", path)
		}
	}
	return nil
}

// Name implements provider.VMs.
func (p *Provider) Name() string { return "local" }

func (p *Provider) vmDir(id string) vmDir { return vmDir(filepath.Join(p.dir.instances, id)) }

// List implements provider.VMs: every VM with a directory, including one
// whose creation was interrupted, so that it can be deleted.
func (p *Provider) List(_ context.Context) ([]string, error) {
	entries, err := os.ReadDir(p.dir.instances)
	if err != nil {
		return nil, fmt.Errorf("listing VMs: %w", err)
	}
	var ids []string
	for _, e := range entries {
		if e.IsDir() && validID(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	sort.Strings(ids)
	return ids, nil
}

func (p *Provider) load(id string) (*record, error) {
	if !validID(id) {
		return nil, fmt.Errorf("VM ID %q: %w", id, provider.ErrNotFound)
	}
	var rec record
	if err := readJSON(p.vmDir(id).record(), &rec); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("VM %s: %w", id, provider.ErrNotFound)
		}
		return nil, err
	}
	return &rec, nil
}

// running returns the VM's PID 1 if it runs. When run.json is missing or
// stale but the VM's cgroup holds a PID namespace's init (a crash between
// starting the VM and recording it), that process is adopted.
func (p *Provider) running(id string) (runRecord, bool) {
	var run runRecord
	if err := readJSON(p.vmDir(id).run(), &run); err == nil && run.alive() {
		return run, true
	}
	if pid, ok := nsInit(p.cg.procs(id)); ok {
		if start, zombie, err := procStartTime(pid); err == nil && !zombie {
			run = runRecord{PID: pid, StartTime: start, BootID: bootID(), Started: time.Now()}
			_ = writeJSON(p.vmDir(id).run(), run)
			return run, true
		}
	}
	return runRecord{}, false
}

// adopt brings a VM found at start-up under management: a running one is
// recorded (and left alone), a stale run record is dropped.
func (p *Provider) adopt(id string) {
	if _, ok := p.running(id); !ok {
		_ = os.Remove(p.vmDir(id).run())
	}
}

// Reconcile implements provider.VMs.
func (p *Provider) Reconcile(ctx context.Context, vm provider.VM) (provider.Status, error) {
	if !validID(vm.ID) {
		return provider.Status{}, fmt.Errorf("VM ID %q (letters, digits, '.', '_', '-'): %w", vm.ID, provider.ErrInvalid)
	}
	if vm.Class.CPUs < 0 || vm.Class.MemoryBytes < 0 {
		return provider.Status{}, fmt.Errorf("class %s has negative resources: %w", vm.Class.Name, provider.ErrInvalid)
	}
	switch vm.PowerState {
	case "", provider.PoweredOn, provider.PoweredOff, provider.Suspended:
	default:
		return provider.Status{}, fmt.Errorf("power state %q: %w", vm.PowerState, provider.ErrInvalid)
	}
	unlock, err := p.lockVM(ctx, vm.ID)
	if err != nil {
		return provider.Status{}, err
	}
	defer unlock()

	rec, err := p.ensureRecord(vm)
	if err != nil {
		return provider.Status{}, err
	}
	switch vm.PowerState {
	case provider.PoweredOff:
		if run, ok := p.running(vm.ID); ok {
			if err := p.stop(ctx, rec, run); err != nil {
				return provider.Status{}, err
			}
		}
		if err := p.teardown(ctx, rec); err != nil {
			return provider.Status{}, err
		}
		if err := p.detachVolumes(ctx, rec); err != nil {
			return provider.Status{}, err
		}
		if err := writeJSON(p.vmDir(vm.ID).record(), rec); err != nil {
			return provider.Status{}, err
		}
	default:
		if err := p.ensureRunning(ctx, rec, vm); err != nil {
			return provider.Status{}, err
		}
		if err := p.cg.freeze(vm.ID, vm.PowerState == provider.Suspended); err != nil {
			return provider.Status{}, err
		}
	}
	return p.status(rec), nil
}

// ensureRecord creates or updates the VM's record and disk directories.
func (p *Provider) ensureRecord(vm provider.VM) (*record, error) {
	d := p.vmDir(vm.ID)
	rec, err := p.load(vm.ID)
	if errors.Is(err, provider.ErrNotFound) {
		rec = &record{ID: vm.ID, Created: time.Now().UTC(), Scratch: slices.Clone(p.cfg.ScratchDirs)}
		if rec.Scratch == nil {
			rec.Scratch = []string{}
		}
		err = nil
	}
	if err != nil {
		return nil, err
	}
	if rec.ImageKey == "" {
		if rec.ImageKey, err = p.ensureImage(vm.Image); err != nil {
			return nil, err
		}
		rec.ImageName = vm.Image.Name
	} else if _, err := os.Stat(p.imageRoot(rec.ImageKey)); err != nil {
		// The shared image directory was lost: extract it again.
		if key, err := p.ensureImage(vm.Image); err != nil || key != rec.ImageKey {
			return nil, fmt.Errorf("the image of VM %s's disk (%s) is gone: %w", vm.ID, rec.ImageName, provider.ErrInvalid)
		}
	}
	rec.Namespace, rec.Name, rec.Class, rec.Zone = vm.Namespace, vm.Name, vm.Class, vm.Zone
	rec.Hostname = vm.Hostname
	if rec.Hostname == "" {
		rec.Hostname = vm.Name
	}
	if rec.Hostname == "" {
		rec.Hostname = vm.ID
	}
	rec.InstanceID = instanceID(vm)
	if rec.Volumes, err = p.volumeRecords(vm, rec.Volumes); err != nil {
		return nil, err
	}
	addr, err := p.ipam.Allocate(vm.ID)
	if err != nil {
		return nil, err
	}
	rec.IP = netip.PrefixFrom(addr, p.gateway.Bits()).String()
	for _, dir := range []string{d.upper(), d.work(), d.seed(), d.root()} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("creating VM directory: %w", err)
		}
	}
	if err := p.ensureScratch(rec); err != nil {
		return nil, err
	}
	if err := p.writeSeed(rec, vm); err != nil {
		return nil, err
	}
	if err := writeJSON(d.record(), rec); err != nil {
		return nil, fmt.Errorf("recording VM %s: %w", vm.ID, err)
	}
	return rec, nil
}

// Status implements provider.VMs.
func (p *Provider) Status(_ context.Context, id string) (provider.Status, error) {
	rec, err := p.load(id)
	if err != nil {
		return provider.Status{}, err
	}
	return p.status(rec), nil
}

func (p *Provider) status(rec *record) provider.Status {
	st := provider.Status{
		PowerState:   provider.PoweredOff,
		BIOSUUID:     biosUUID(rec.ID),
		InstanceUUID: instanceUUID(rec.ID),
		UniqueID:     namesFor(rec.ID).UniqueID,
		Host:         p.host,
		Zone:         rec.Zone,
	}
	var gs status.Status
	var gerr error
	run, ok := p.running(rec.ID)
	if ok {
		st.PowerState = provider.PoweredOn
		if p.cg.frozen(rec.ID) {
			st.PowerState = provider.Suspended
		}
		if prefix, err := netip.ParsePrefix(rec.IP); err == nil {
			st.PrimaryIP4 = prefix.Addr().String()
		}
		gs, gerr = status.Read(filepath.Join("/proc", fmt.Sprint(run.PID), "root", status.RuntimePath))
		st.GuestHeartbeat = gerr == nil && gs.Alive(time.Now())
	} else {
		gs, gerr = status.Read(filepath.Join(p.vmDir(rec.ID).upper(), status.PersistentPath))
	}
	if gerr == nil && (gs.InstanceID == rec.InstanceID || gs.Bootstrap.State == status.BootstrapNone) {
		st.BootstrapDone = gs.Done()
		st.BootstrapError = gs.Bootstrap.Error
	}
	st.Volumes = volumeStatuses(rec.Volumes)
	return st
}

// Delete implements provider.VMs.
func (p *Provider) Delete(ctx context.Context, id string) error {
	if !validID(id) {
		return nil // nothing of it can exist
	}
	unlock, err := p.lockVM(ctx, id)
	if err != nil {
		return err
	}
	defer unlock()
	rec, err := p.load(id)
	if errors.Is(err, provider.ErrNotFound) || err != nil {
		// An interrupted creation or an unreadable record: names derive
		// from the ID, so everything can still be found.
		rec = &record{ID: id}
	}
	if run, ok := p.running(id); ok {
		// Delete does not wait for a clean shutdown.
		if err := p.kill(run, id); err != nil {
			return err
		}
	}
	if err := p.teardown(ctx, rec); err != nil {
		return err
	}
	if err := p.detachVolumes(ctx, rec); err != nil {
		return err
	}
	if err := p.ipam.Release(id); err != nil {
		return err
	}
	d := p.vmDir(id)
	if err := mounts.UnmountBelow(string(d)); err != nil {
		return err
	}
	if err := os.RemoveAll(string(d)); err != nil {
		return fmt.Errorf("removing VM %s's directory: %w", id, err)
	}
	_ = os.Remove(filepath.Join(p.dir.locks, id+".lock"))
	return nil
}

// instanceID is the cloud-init instance of vm's seed.
func instanceID(vm provider.VM) string {
	if vm.CloudInit != nil && vm.CloudInit.InstanceID != "" {
		return vm.CloudInit.InstanceID
	}
	return "iid-" + vm.ID
}
