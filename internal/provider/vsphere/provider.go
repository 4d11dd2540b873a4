package vsphere

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vapi/library"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
	"k8s.io/klog/v2"

	"github.com/kubevisor/kubevisor/internal/provider"
)

var (
	_ provider.VMs       = (*Provider)(nil)
	_ provider.Publisher = (*Provider)(nil)
)

// Provider runs VMs in vCenter.
type Provider struct {
	cfg  Config
	conn *conn
	inv  *inventory
	// libraryID is the ID of cfg.ContentLibrary, if set.
	libraryID string
	ops       operations

	mu sync.Mutex
	// index maps VM IDs to the VMs found with their KeyID.
	index map[string]types.ManagedObjectReference
	// scanned is set once the whole folder has been read into index.
	scanned bool
}

// New connects to vCenter, logs in and resolves the configured inventory,
// creating the Supervisor's VM folder and resource pools if they are
// missing. Close logs out.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	cfg, u, err := cfg.complete()
	if err != nil {
		return nil, err
	}
	c, err := dial(ctx, cfg, u)
	if err != nil {
		return nil, err
	}
	p := &Provider{cfg: cfg, conn: c, index: map[string]types.ManagedObjectReference{}}
	if p.inv, err = resolve(ctx, c.vim, cfg); err != nil {
		_ = c.logout(ctx)
		return nil, fmt.Errorf("vCenter %s: %w", u.Host, err)
	}
	if cfg.ContentLibrary != "" {
		err := c.withREST(ctx, func(rc *rest.Client) error {
			l, err := library.NewManager(rc).GetLibraryByName(ctx, cfg.ContentLibrary)
			if err == nil {
				p.libraryID = l.ID
			}
			return err
		})
		if err != nil {
			_ = c.logout(ctx)
			return nil, fmt.Errorf("content library %q: %w", cfg.ContentLibrary, err)
		}
	}
	return p, nil
}

// Close logs out of vCenter. Background operations still running fail.
func (p *Provider) Close(ctx context.Context) error {
	return p.conn.logout(ctx)
}

// Name implements provider.VMs.
func (p *Provider) Name() string { return "vsphere" }

// Reconcile implements provider.VMs. The work runs in the background; the
// call waits for it up to Config.ReconcileWait and returns
// provider.ErrInProgress if it is not done by then.
func (p *Provider) Reconcile(ctx context.Context, vm provider.VM) (provider.Status, error) {
	if vm.ID == "" {
		return provider.Status{}, fmt.Errorf("VM %s/%s has no ID: %w", vm.Namespace, vm.Name, provider.ErrInvalid)
	}
	key, err := digest(vm)
	if err != nil {
		return provider.Status{}, err
	}
	return p.ops.run(ctx, vm.ID, key, p.cfg.ReconcileWait, p.cfg.OperationTimeout, func(ctx context.Context) (provider.Status, error) {
		return p.reconcile(ctx, vm)
	})
}

// Status implements provider.VMs.
func (p *Provider) Status(ctx context.Context, id string) (provider.Status, error) {
	obj, err := p.lookup(ctx, id)
	if err != nil {
		return provider.Status{}, err
	}
	mvm, err := p.properties(ctx, obj)
	if err != nil {
		return provider.Status{}, err
	}
	return p.status(ctx, mvm, nil), nil
}

// Delete implements provider.VMs: it powers the VM off and destroys it,
// once a reconcile of the VM still running has ended. Like Reconcile, it
// returns provider.ErrInProgress while the work goes on.
func (p *Provider) Delete(ctx context.Context, id string) error {
	_, err := p.ops.run(ctx, id, deleteKey, p.cfg.ReconcileWait, p.cfg.OperationTimeout, func(ctx context.Context) (provider.Status, error) {
		return provider.Status{}, p.destroy(ctx, id)
	})
	return err
}

// List implements provider.VMs: the IDs of every VM in the Supervisor's
// folder that carries KeyID.
func (p *Provider) List(ctx context.Context) ([]string, error) {
	found, err := p.scan(ctx)
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(found))
	for id := range found {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}

// reconcile brings one VM to vm: deploy it if it does not exist, size and
// configure it, set its power state.
func (p *Provider) reconcile(ctx context.Context, vm provider.VM) (provider.Status, error) {
	log := klog.FromContext(ctx).WithValues("vm", klog.KRef(vm.Namespace, vm.Name), "id", vm.ID)
	cl, ok := p.inv.clusters[vm.Zone]
	if !ok {
		return provider.Status{}, fmt.Errorf("zone %q has no cluster: %w", vm.Zone, provider.ErrInvalid)
	}
	hw, err := classHardware(vm.Class, cl.cpuMHz)
	if err != nil {
		return provider.Status{}, err
	}

	obj, err := p.lookup(ctx, vm.ID)
	if errors.Is(err, provider.ErrNotFound) {
		obj, err = p.create(ctx, vm, cl)
		if err == nil {
			log.Info("Deployed a VM", "moref", obj.Reference().Value, "item", vm.Image.LibraryItem)
		}
	}
	if err != nil {
		return provider.Status{}, err
	}

	mvm, err := p.properties(ctx, obj)
	if err != nil {
		return provider.Status{}, err
	}
	// Power off (or suspend) before reconfiguring, power on after: a new
	// size applies while the VM is off.
	op := powerTransition(mvm.Runtime.PowerState, vm.PowerState)
	setPower := func() error {
		if err := p.power(ctx, obj, op); err != nil {
			return fmt.Errorf("VM %s: %w", mvm.Name, err)
		}
		log.Info("Changed a VM's power state", "operation", op.String())
		mvm, err = p.properties(ctx, obj)
		return err
	}
	if op == powerOff || op == powerSuspend {
		if err := setPower(); err != nil {
			return provider.Status{}, err
		}
	}
	if spec, changed := configChange(mvm, hw, desiredExtraConfig(vm.ID, vm.CloudInit), p.inv.backing); changed {
		err := runTask(ctx, func(ctx context.Context) (*object.Task, error) { return obj.Reconfigure(ctx, spec) })
		if err != nil {
			return provider.Status{}, fmt.Errorf("VM %s: reconfiguring: %w", mvm.Name, classify(err))
		}
		if mvm, err = p.properties(ctx, obj); err != nil {
			return provider.Status{}, err
		}
	}
	if op == powerOn {
		if err := setPower(); err != nil {
			return provider.Status{}, err
		}
	}
	return p.status(ctx, mvm, &vm), nil
}

// create deploys a VM for vm, or adopts the one a deploy made before the
// provider could record it.
func (p *Provider) create(ctx context.Context, vm provider.VM, cl *cluster) (*object.VirtualMachine, error) {
	pool, folder, err := p.placement(ctx, vm, cl)
	if err != nil {
		return nil, err
	}
	name := vmName(vm)
	ref, err := object.NewSearchIndex(p.conn.vim).FindChild(ctx, folder, name)
	if err != nil {
		return nil, fmt.Errorf("looking for VM %s: %w", name, err)
	}
	if ref != nil && ref.Reference().Type == "VirtualMachine" {
		// Left by a deploy whose reconcile ended before the VM got its ID
		// (the Supervisor stopped, say): adopt it, unless it is another's.
		var mvm mo.VirtualMachine
		obj := object.NewVirtualMachine(p.conn.vim, ref.Reference())
		if err := obj.Properties(ctx, obj.Reference(), []string{"config.extraConfig"}, &mvm); err != nil {
			return nil, err
		}
		if mvm.Config != nil {
			if other := extraConfigMap(mvm.Config.ExtraConfig)[KeyID]; other != "" && other != vm.ID {
				return nil, fmt.Errorf("VM name %s in namespace %s is still taken by VM %s", name, vm.Namespace, other)
			}
		}
		p.remember(vm.ID, obj.Reference())
		return obj, nil
	}
	moref, err := p.deploy(ctx, vm, name, pool, folder)
	if err != nil {
		return nil, err
	}
	p.remember(vm.ID, moref)
	return object.NewVirtualMachine(p.conn.vim, moref), nil
}

// power runs one power operation. A VM that is already in the state asked
// for is not an error.
func (p *Provider) power(ctx context.Context, obj *object.VirtualMachine, op powerOp) error {
	var start func(context.Context) (*object.Task, error)
	switch op {
	case powerOn:
		start = obj.PowerOn
	case powerOff:
		start = obj.PowerOff
	case powerSuspend:
		start = obj.Suspend
	default:
		return nil
	}
	if err := runTask(ctx, start); err != nil {
		return fmt.Errorf("%s: %w", op, classify(err))
	}
	return nil
}

// destroy powers a VM off and destroys it; a VM that is gone is fine.
func (p *Provider) destroy(ctx context.Context, id string) error {
	obj, err := p.lookup(ctx, id)
	if errors.Is(err, provider.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var mvm mo.VirtualMachine
	err = obj.Properties(ctx, obj.Reference(), []string{"name", "runtime.powerState"}, &mvm)
	if isNotFound(err) {
		p.forget(id)
		return nil
	}
	if err != nil {
		return err
	}
	if mvm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOff {
		if err := p.power(ctx, obj, powerOff); err != nil && !fault.Is(err, &types.InvalidPowerState{}) {
			return fmt.Errorf("VM %s: %w", mvm.Name, err)
		}
	}
	if err := runTask(ctx, obj.Destroy); err != nil && !isNotFound(err) {
		return fmt.Errorf("destroying VM %s: %w", mvm.Name, err)
	}
	p.forget(id)
	klog.FromContext(ctx).Info("Destroyed a VM", "id", id, "name", mvm.Name, "moref", obj.Reference().Value)
	return nil
}

// properties reads what reconcile and status need of a VM.
func (p *Provider) properties(ctx context.Context, obj *object.VirtualMachine) (mo.VirtualMachine, error) {
	var mvm mo.VirtualMachine
	if err := obj.Properties(ctx, obj.Reference(), vmProperties, &mvm); err != nil {
		return mvm, fmt.Errorf("reading VM %s: %w", obj.Reference().Value, err)
	}
	return mvm, nil
}

// status completes observe with the VM's host and zone, and with its
// volumes (which this provider does not attach yet).
func (p *Provider) status(ctx context.Context, mvm mo.VirtualMachine, vm *provider.VM) provider.Status {
	st := observe(mvm)
	if h := mvm.Runtime.Host; h != nil {
		var host mo.HostSystem
		if err := object.NewHostSystem(p.conn.vim, *h).Properties(ctx, *h, []string{"name", "parent"}, &host); err == nil {
			st.Host = host.Name
			for _, cl := range p.inv.clusters {
				if host.Parent != nil && *host.Parent == cl.obj.Reference() {
					st.Zone = cl.zone
					break
				}
			}
		}
	}
	if vm != nil {
		for _, v := range vm.Volumes {
			st.Volumes = append(st.Volumes, provider.VolumeStatus{Name: v.Name,
				Error: "volumes are not supported by the vsphere provider yet"})
		}
	}
	return st
}

// runTask starts a vCenter task and waits for it to end.
func runTask(ctx context.Context, start func(context.Context) (*object.Task, error)) error {
	task, err := start(ctx)
	if err == nil {
		err = task.Wait(ctx)
	}
	return err
}

// digest identifies a desired VM, so that a reconcile already running for
// the same request is joined rather than started again.
func digest(vm provider.VM) (string, error) {
	b, err := json.Marshal(vm)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
