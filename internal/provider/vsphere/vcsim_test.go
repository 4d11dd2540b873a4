package vsphere

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vapi/library"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"

	// The vAPI simulator: content libraries and OVF deploys.
	_ "github.com/vmware/govmomi/vapi/simulator"

	"github.com/kubevisor/kubevisor/internal/provider"
)

const libraryName = "kubevisor"

// sim is an in-process vCenter (vcsim's VPX model: datacenter DC0, clusters
// DC0_C0 and DC0_C1, datastore LocalDS_0, port group DC0_DVPG0) with a
// content library holding one small OVF template.
type sim struct {
	model  *simulator.Model
	url    *url.URL
	admin  *vim25.Client
	rest   *rest.Client
	itemID string
}

func newSim(t *testing.T, configure func(*simulator.Model)) *sim {
	t.Helper()
	m := simulator.VPX()
	m.Cluster = 2
	if configure != nil {
		configure(m)
	}
	if err := m.Create(); err != nil {
		t.Fatal(err)
	}
	m.Service.RegisterEndpoints = true
	m.Service.TLS = new(tls.Config)
	srv := m.Service.NewServer()
	t.Cleanup(func() {
		srv.Close()
		m.Remove()
	})
	ctx := context.Background()
	c, err := govmomi.NewClient(ctx, srv.URL, true)
	if err != nil {
		t.Fatal(err)
	}
	rc := rest.NewClient(c.Client)
	if err := rc.Login(ctx, simulator.DefaultLogin); err != nil {
		t.Fatal(err)
	}
	s := &sim{model: m, url: srv.URL, admin: c.Client, rest: rc}
	s.itemID = s.uploadOVF(t, "tiny", "testdata/tiny.ovf")
	return s
}

// uploadOVF creates the content library (once) and an OVF item in it.
func (s *sim) uploadOVF(t *testing.T, name, path string) string {
	t.Helper()
	ctx := context.Background()
	m := library.NewManager(s.rest)
	lib, err := m.GetLibraryByName(ctx, libraryName)
	if err != nil {
		ds, err := find.NewFinder(s.admin).DefaultDatastore(ctx)
		if err != nil {
			t.Fatal(err)
		}
		id, err := m.CreateLibrary(ctx, library.Library{Name: libraryName, Type: "LOCAL",
			Storage: []library.StorageBacking{{DatastoreID: ds.Reference().Value, Type: "DATASTORE"}}})
		if err != nil {
			t.Fatal(err)
		}
		if lib, err = m.GetLibraryByID(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	itemID, err := m.CreateLibraryItem(ctx, library.Item{Name: name, Type: library.ItemTypeOVF, LibraryID: lib.ID})
	if err != nil {
		t.Fatal(err)
	}
	sessionID, err := m.CreateLibraryItemUpdateSession(ctx, library.Session{LibraryItemID: itemID})
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := m.AddLibraryItemFile(ctx, sessionID, library.UpdateFile{Name: name + ".ovf", SourceType: "PUSH", Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(f.UploadEndpoint.URI)
	if err != nil {
		t.Fatal(err)
	}
	p := soap.DefaultUpload
	p.ContentLength = int64(len(data))
	if err := m.Upload(ctx, bytes.NewReader(data), u, &p); err != nil {
		t.Fatal(err)
	}
	if err := m.CompleteLibraryItemUpdateSession(ctx, sessionID); err != nil {
		t.Fatal(err)
	}
	return itemID
}

func (s *sim) config() Config {
	return Config{
		URL:            s.url.String(), // carries vcsim's user and password
		Insecure:       true,
		Cluster:        "DC0_C0",
		Zones:          map[string]string{"zone-a": "DC0_C0", "zone-b": "DC0_C1"},
		Datastore:      "LocalDS_0",
		Network:        "DC0_DVPG0",
		ContentLibrary: libraryName,
		ReconcileWait:  10 * time.Second,
	}
}

func (s *sim) provider(t *testing.T, mutate func(*Config)) *Provider {
	t.Helper()
	cfg := s.config()
	if mutate != nil {
		mutate(&cfg)
	}
	p, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = p.Close(context.Background()) })
	return p
}

// vms lists, through the vSphere API, the VMs under the Supervisor's
// folder by inventory path.
func (s *sim) vms(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	finder := find.NewFinder(s.admin)
	list, err := finder.VirtualMachineList(ctx, "/DC0/vm/kubevisor/...")
	var nf *find.NotFoundError
	if errors.As(err, &nf) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, vm := range list {
		out = append(out, vm.InventoryPath)
	}
	slices.Sort(out)
	return out
}

// inspect reads a VM, its folder and its resource pool through the API.
func (s *sim) inspect(t *testing.T, path string) (mo.VirtualMachine, string, string) {
	t.Helper()
	ctx := context.Background()
	finder := find.NewFinder(s.admin)
	obj, err := finder.VirtualMachine(ctx, path)
	if err != nil {
		t.Fatalf("VM %s: %v", path, err)
	}
	var vm mo.VirtualMachine
	if err := obj.Properties(ctx, obj.Reference(), []string{"name", "parent", "resourcePool", "config", "runtime"}, &vm); err != nil {
		t.Fatal(err)
	}
	folder, err := finder.Element(ctx, *vm.Parent)
	if err != nil {
		t.Fatal(err)
	}
	pool, err := finder.Element(ctx, *vm.ResourcePool)
	if err != nil {
		t.Fatal(err)
	}
	return vm, folder.Path, pool.Path
}

// reconcile calls Reconcile until it is no longer in progress.
func reconcile(t *testing.T, p *Provider, vm provider.VM) (provider.Status, error) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st, err := p.Reconcile(context.Background(), vm)
		if !errors.Is(err, provider.ErrInProgress) || time.Now().After(deadline) {
			return st, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func mustReconcile(t *testing.T, p *Provider, vm provider.VM) provider.Status {
	t.Helper()
	st, err := reconcile(t, p, vm)
	if err != nil {
		t.Fatalf("Reconcile(%s): %v", vm.Name, err)
	}
	return st
}

func testVM(s *sim) provider.VM {
	return provider.VM{
		ID: "0b7f0c1e-uid-1", Namespace: "team-a", Name: "web-0", Hostname: "web-0",
		Class:      provider.Class{Name: "best-effort-small", CPUs: 2, MemoryBytes: 2 << 30},
		Image:      provider.Image{Name: "tiny", LibraryItem: s.itemID},
		PowerState: provider.PoweredOn,
		CloudInit: &provider.CloudInit{
			InstanceID: "iid-1",
			UserData:   []byte("#cloud-config\nruncmd:\n- echo hello\n"),
			MetaData:   []byte("instance-id: iid-1\nlocal-hostname: web-0\n"),
		},
	}
}

// TestLifecycle is acceptance 6: a VM is created from a library item,
// powered on and off, and deleted; the vSphere API shows the right
// inventory, and then none.
func TestLifecycle(t *testing.T) {
	s := newSim(t, nil)
	p := s.provider(t, nil)
	vm := testVM(s)
	const path = "/DC0/vm/kubevisor/team-a/web-0"

	st := mustReconcile(t, p, vm)
	if got := s.vms(t); !slices.Equal(got, []string{path}) {
		t.Fatalf("VMs = %v, want [%s]", got, path)
	}
	mvm, folder, pool := s.inspect(t, path)
	if folder != "/DC0/vm/kubevisor/team-a" {
		t.Errorf("folder = %s", folder)
	}
	if pool != "/DC0/host/DC0_C0/Resources/kubevisor/team-a" {
		t.Errorf("resource pool = %s", pool)
	}
	if hw := mvm.Config.Hardware; hw.NumCPU != 2 || hw.MemoryMB != 2048 {
		t.Errorf("hardware = %d CPUs, %d MB; want 2, 2048", hw.NumCPU, hw.MemoryMB)
	}
	ec := extraConfigMap(mvm.Config.ExtraConfig)
	if ud, _ := base64.StdEncoding.DecodeString(ec[KeyUserData]); string(ud) != string(vm.CloudInit.UserData) || ec[KeyUserDataEncoding] != "base64" {
		t.Errorf("userdata = %q (%s)", ud, ec[KeyUserDataEncoding])
	}
	if md, _ := base64.StdEncoding.DecodeString(ec[KeyMetaData]); string(md) != string(vm.CloudInit.MetaData) || ec[KeyMetaDataEncoding] != "base64" {
		t.Errorf("metadata = %q (%s)", md, ec[KeyMetaDataEncoding])
	}
	if ec[KeyID] != vm.ID {
		t.Errorf("%s = %q, want %q", KeyID, ec[KeyID], vm.ID)
	}
	for _, d := range object.VirtualDeviceList(mvm.Config.Hardware.Device).SelectByType((*types.VirtualEthernetCard)(nil)) {
		b, ok := d.GetVirtualDevice().Backing.(*types.VirtualEthernetCardDistributedVirtualPortBackingInfo)
		if !ok || b.Port.PortgroupKey == "" {
			t.Errorf("NIC backing = %#v, want the DC0_DVPG0 port group", d.GetVirtualDevice().Backing)
		}
	}
	if mvm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
		t.Errorf("power state = %s", mvm.Runtime.PowerState)
	}
	if st.PowerState != provider.PoweredOn || st.BIOSUUID != mvm.Config.Uuid || st.InstanceUUID != mvm.Config.InstanceUuid ||
		st.UniqueID != mvm.Self.Value || st.Host == "" || st.Zone != "zone-a" {
		t.Errorf("status = %+v", st)
	}

	// The guest reports an address (vcsim's way of faking guest info).
	setGuestIP(t, s, path, "198.18.0.7")
	if st, err := p.Status(context.Background(), vm.ID); err != nil || st.PrimaryIP4 != "198.18.0.7" || !st.BootstrapDone {
		t.Errorf("Status = %+v, %v; want IP 198.18.0.7, bootstrapped", st, err)
	}

	// Idempotent: again, and from a provider that just started (a
	// restarted Supervisor), the same single VM.
	mustReconcile(t, p, vm)
	mustReconcile(t, s.provider(t, nil), vm)
	if got := s.vms(t); len(got) != 1 {
		t.Fatalf("VMs after reconciling again = %v", got)
	}

	for _, want := range []struct {
		state provider.PowerState
		vim   types.VirtualMachinePowerState
	}{
		{provider.PoweredOff, types.VirtualMachinePowerStatePoweredOff},
		{provider.PoweredOn, types.VirtualMachinePowerStatePoweredOn},
		{provider.Suspended, types.VirtualMachinePowerStateSuspended},
		{provider.PoweredOn, types.VirtualMachinePowerStatePoweredOn},
	} {
		vm.PowerState = want.state
		if st := mustReconcile(t, p, vm); st.PowerState != want.state {
			t.Errorf("status after %s = %s", want.state, st.PowerState)
		}
		if mvm, _, _ := s.inspect(t, path); mvm.Runtime.PowerState != want.vim {
			t.Errorf("vSphere power state after %s = %s", want.state, mvm.Runtime.PowerState)
		}
	}

	// A bigger class applies once the VM is off.
	vm.Class.CPUs, vm.PowerState = 4, provider.PoweredOff
	mustReconcile(t, p, vm)
	if mvm, _, _ := s.inspect(t, path); mvm.Config.Hardware.NumCPU != 4 {
		t.Errorf("CPUs after resize = %d", mvm.Config.Hardware.NumCPU)
	}
	vm.PowerState = provider.PoweredOn
	mustReconcile(t, p, vm)

	if ids, err := p.List(context.Background()); err != nil || !slices.Equal(ids, []string{vm.ID}) {
		t.Errorf("List = %v, %v", ids, err)
	}
	if err := p.Delete(context.Background(), vm.ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if got := s.vms(t); len(got) != 0 {
		t.Errorf("VMs after Delete = %v", got)
	}
	if ids, err := p.List(context.Background()); err != nil || len(ids) != 0 {
		t.Errorf("List after Delete = %v, %v", ids, err)
	}
	if err := p.Delete(context.Background(), vm.ID); err != nil {
		t.Errorf("Delete again: %v", err)
	}
	if _, err := p.Status(context.Background(), vm.ID); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("Status after Delete = %v, want ErrNotFound", err)
	}
}

func setGuestIP(t *testing.T, s *sim, path, ip string) {
	t.Helper()
	ctx := context.Background()
	obj, err := find.NewFinder(s.admin).VirtualMachine(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	task, err := obj.Reconfigure(ctx, types.VirtualMachineConfigSpec{ExtraConfig: []types.BaseOptionValue{
		&types.OptionValue{Key: "SET.guest.ipAddress", Value: ip},
	}})
	if err == nil {
		err = task.Wait(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestMissingLibraryItem(t *testing.T) {
	s := newSim(t, nil)
	p := s.provider(t, nil)
	vm := testVM(s)
	vm.Image = provider.Image{Name: "no-such-image", LibraryItem: "4b1f6a5e-0000-0000-0000-000000000000"}
	_, err := reconcile(t, p, vm)
	if !errors.Is(err, provider.ErrInvalid) {
		t.Fatalf("Reconcile = %v, want ErrInvalid", err)
	}
	t.Logf("error: %v", err)
	if got := s.vms(t); len(got) != 0 {
		t.Errorf("VMs = %v, want none", got)
	}
	if ids, err := p.List(context.Background()); err != nil || len(ids) != 0 {
		t.Errorf("List = %v, %v", ids, err)
	}
}

// An image of one of kubevisor's own libraries is found by name in the
// configured vCenter library.
func TestItemByName(t *testing.T) {
	s := newSim(t, nil)
	p := s.provider(t, nil)
	vm := testVM(s)
	vm.Image = provider.Image{Name: "tiny", LibraryItem: "kubevisor-local-item-id"}
	mustReconcile(t, p, vm)
	if got := s.vms(t); len(got) != 1 {
		t.Errorf("VMs = %v", got)
	}
}

func TestPowerOnFault(t *testing.T) {
	s := newSim(t, nil)
	p := s.provider(t, nil)
	vm := testVM(s)
	s.model.Service.AddFaultRule(&simulator.FaultInjectionRule{
		MethodName: "PowerOnVM_Task", ObjectType: "VirtualMachine", ObjectName: "*",
		Probability: 1, FaultType: simulator.FaultTypeGeneric, Message: "injected power-on failure", Enabled: true,
	})
	_, err := reconcile(t, p, vm)
	if err == nil || errors.Is(err, provider.ErrInvalid) {
		t.Fatalf("Reconcile with a power-on fault = %v, want a plain error", err)
	}
	t.Logf("error: %v", err)
	if got := s.vms(t); len(got) != 1 {
		t.Fatalf("VMs = %v, want the one deployed", got)
	}

	s.model.Service.ClearFaultRules()
	if st := mustReconcile(t, p, vm); st.PowerState != provider.PoweredOn {
		t.Errorf("status after the fault is gone = %+v", st)
	}
	if got := s.vms(t); len(got) != 1 {
		t.Errorf("VMs = %v, want one", got)
	}
}

func TestInvalidReconfigureFault(t *testing.T) {
	s := newSim(t, nil)
	p := s.provider(t, nil)
	s.model.Service.AddFaultRule(&simulator.FaultInjectionRule{
		MethodName: "ReconfigVM_Task", ObjectType: "VirtualMachine", ObjectName: "*",
		Probability: 1, FaultType: simulator.FaultTypeInvalidArgument, Enabled: true,
	})
	if _, err := reconcile(t, p, testVM(s)); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("Reconcile with an InvalidArgument fault = %v, want ErrInvalid", err)
	}
}

// Reconcile does not block while vCenter is slow: it says the work is in
// progress, and a later call collects the result.
func TestInProgress(t *testing.T) {
	s := newSim(t, func(m *simulator.Model) {
		m.DelayConfig.MethodDelay = map[string]int{"PowerOnVM_Task": 1500}
	})
	p := s.provider(t, func(c *Config) { c.ReconcileWait = 200 * time.Millisecond })
	vm := testVM(s)
	start := time.Now()
	_, err := p.Reconcile(context.Background(), vm)
	if !errors.Is(err, provider.ErrInProgress) {
		t.Fatalf("first Reconcile = %v, want ErrInProgress", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("first Reconcile took %s", d)
	}
	if st := mustReconcile(t, p, vm); st.PowerState != provider.PoweredOn {
		t.Errorf("status = %+v", st)
	}
	if got := s.vms(t); len(got) != 1 {
		t.Errorf("VMs = %v, want one", got)
	}
}

func TestPlacement(t *testing.T) {
	s := newSim(t, nil)
	p := s.provider(t, nil)
	vm := testVM(s)
	vm.Zone, vm.ResourcePolicy = "zone-b", "workers"
	st := mustReconcile(t, p, vm)
	const path = "/DC0/vm/kubevisor/team-a/workers/web-0"
	_, folder, pool := s.inspect(t, path)
	if folder != "/DC0/vm/kubevisor/team-a/workers" || pool != "/DC0/host/DC0_C1/Resources/kubevisor/team-a/workers" {
		t.Errorf("placed in folder %s, pool %s", folder, pool)
	}
	if st.Zone != "zone-b" {
		t.Errorf("zone = %q", st.Zone)
	}

	vm.ID, vm.Name, vm.Zone = "uid-2", "web-1", "zone-z"
	if _, err := reconcile(t, p, vm); !errors.Is(err, provider.ErrInvalid) {
		t.Errorf("Reconcile in an unknown zone = %v, want ErrInvalid", err)
	}
}

// The provider logs in again when vCenter forgets its sessions.
func TestSessionExpiry(t *testing.T) {
	s := newSim(t, nil)
	p := s.provider(t, nil)
	ctx := context.Background()
	us, err := session.NewManager(p.conn.vim).UserSession(ctx)
	if err != nil || us == nil {
		t.Fatalf("UserSession = %v, %v", us, err)
	}
	if err := session.NewManager(s.admin).TerminateSession(ctx, []string{us.Key}); err != nil {
		t.Fatal(err)
	}
	if err := p.conn.rest.Logout(ctx); err != nil {
		t.Fatal(err)
	}
	if us, _ := session.NewManager(p.conn.vim).UserSession(ctx); us != nil {
		t.Fatalf("the session is still there")
	}
	vm := testVM(s)
	if st := mustReconcile(t, p, vm); st.PowerState != provider.PoweredOn {
		t.Errorf("status = %+v", st)
	}
	if us, _ := session.NewManager(p.conn.vim).UserSession(ctx); us == nil {
		t.Errorf("no session after Reconcile")
	}
}

func TestPublish(t *testing.T) {
	s := newSim(t, nil)
	p := s.provider(t, nil)
	vm := testVM(s)
	mustReconcile(t, p, vm)
	id, err := p.Publish(context.Background(), vm.ID, t.TempDir())
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	item, err := library.NewManager(s.rest).GetLibraryItem(context.Background(), id)
	if err != nil {
		t.Fatalf("the published item %s: %v", id, err)
	}
	if item.Type != library.ItemTypeOVF {
		t.Errorf("item = %+v", item)
	}
	if _, err := p.Publish(context.Background(), "no-such-vm", ""); !errors.Is(err, provider.ErrNotFound) {
		t.Errorf("Publish of a missing VM = %v, want ErrNotFound", err)
	}
}

func TestNewErrors(t *testing.T) {
	s := newSim(t, nil)
	for name, mutate := range map[string]func(*Config){
		"no URL":          func(c *Config) { c.URL = "" },
		"no password":     func(c *Config) { c.URL = withoutPassword(s.url) },
		"unknown cluster": func(c *Config) { c.Cluster, c.Zones = "nope", nil },
		"unknown library": func(c *Config) { c.ContentLibrary = "nope" },
		"unknown network": func(c *Config) { c.Network = "nope" },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := s.config()
			mutate(&cfg)
			if p, err := New(context.Background(), cfg); err == nil {
				_ = p.Close(context.Background())
				t.Errorf("New succeeded")
			} else {
				t.Logf("error: %v", err)
			}
		})
	}
}

func withoutPassword(u *url.URL) string {
	c := *u
	c.User = url.User(u.User.Username())
	return c.String()
}

// Reconciles of one VM at once make one VM; of several VMs, one each, in
// the same namespace folder and pool created once.
func TestConcurrentReconciles(t *testing.T) {
	s := newSim(t, nil)
	p := s.provider(t, nil)
	base := testVM(s)
	run := func(vms []provider.VM) {
		errs := make(chan error, len(vms))
		for _, vm := range vms {
			go func() {
				_, err := reconcile(t, p, vm)
				errs <- err
			}()
		}
		for range vms {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
	}
	run(slices.Repeat([]provider.VM{base}, 8))
	want := 1
	if got := s.vms(t); len(got) != want {
		t.Errorf("VMs = %v, want one", got)
	}
	// vcsim itself races when it creates VMs at once (it shares default
	// devices between them), which the race detector reports.
	if !raceEnabled {
		var vms []provider.VM
		for i := range 6 {
			vm := base
			vm.ID, vm.Name = fmt.Sprintf("uid-%d", i), fmt.Sprintf("web-%d", i+1)
			vms = append(vms, vm, vm)
		}
		run(vms)
		want = 7
		if got := s.vms(t); len(got) != want {
			t.Errorf("VMs = %v, want %d", got, want)
		}
	}
	ids, err := p.List(context.Background())
	if err != nil || len(ids) != want {
		t.Errorf("List = %v, %v", ids, err)
	}
	for _, id := range ids {
		if err := p.Delete(context.Background(), id); err != nil {
			t.Error(err)
		}
	}
	if got := s.vms(t); len(got) != 0 {
		t.Errorf("VMs after Delete = %v", got)
	}
}

func TestResourcePolicy(t *testing.T) {
	s := newSim(t, nil)
	p := s.provider(t, nil)
	ctx := context.Background()
	rp := ResourcePolicy{Namespace: "team-a", Name: "workers", CPUReservationMilli: 1000, MemoryLimitBytes: 1 << 30}
	if err := p.ReconcileResourcePolicy(ctx, rp); err != nil {
		t.Fatal(err)
	}
	if err := p.ReconcileResourcePolicy(ctx, rp); err != nil {
		t.Fatalf("again: %v", err)
	}
	mhz := p.inv.clusters[""].cpuMHz
	for _, path := range []string{"/DC0/host/DC0_C0/Resources/kubevisor/team-a/workers", "/DC0/host/DC0_C1/Resources/kubevisor/team-a/workers"} {
		pool, err := find.NewFinder(s.admin).ResourcePool(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		var mp mo.ResourcePool
		if err := pool.Properties(ctx, pool.Reference(), []string{"config"}, &mp); err != nil {
			t.Fatal(err)
		}
		if r, l := *mp.Config.CpuAllocation.Reservation, *mp.Config.MemoryAllocation.Limit; r != mhz || l != 1024 {
			t.Errorf("%s: CPU reservation %d MHz (want %d), memory limit %d MB (want 1024)", path, r, mhz, l)
		}
	}

	vm := testVM(s)
	vm.ResourcePolicy = "workers"
	mustReconcile(t, p, vm)
	if err := p.DeleteResourcePolicy(ctx, "team-a", "workers"); err == nil {
		t.Errorf("DeleteResourcePolicy with a VM in it succeeded")
	}
	if err := p.Delete(ctx, vm.ID); err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteResourcePolicy(ctx, "team-a", "workers"); err != nil {
		t.Fatalf("DeleteResourcePolicy: %v", err)
	}
	if _, err := find.NewFinder(s.admin).ResourcePool(ctx, "/DC0/host/DC0_C0/Resources/kubevisor/team-a/workers"); err == nil {
		t.Errorf("the policy's pool is still there")
	}
	if _, err := find.NewFinder(s.admin).Folder(ctx, "/DC0/vm/kubevisor/team-a/workers"); err == nil {
		t.Errorf("the policy's folder is still there")
	}
	if err := p.DeleteResourcePolicy(ctx, "team-a", "workers"); err != nil {
		t.Errorf("DeleteResourcePolicy again: %v", err)
	}
}
