package vsphere

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/kubevisor/kubevisor/internal/provider"
)

// inventory is what the provider resolved in vCenter at start: where VMs
// go and what they connect to.
type inventory struct {
	dc *object.Datacenter
	// folder is the Supervisor's VM folder.
	folder    *object.Folder
	datastore *object.Datastore
	// backing connects a NIC to the configured network.
	backing types.BaseVirtualDeviceBackingInfo
	// clusters maps zones to clusters; "" is the cluster of VMs without a
	// zone.
	clusters map[string]*cluster
}

// cluster is one vSphere cluster VMs are placed in.
type cluster struct {
	zone string
	obj  *object.ClusterComputeResource
	// pool is the Supervisor's resource pool in this cluster.
	pool *object.ResourcePool
	// cpuMHz is the clock of its slowest host, to turn CPU requests into
	// reservations.
	cpuMHz int64
}

// resolve finds (and creates, for the Supervisor's folder and pools) the
// inventory cfg names.
func resolve(ctx context.Context, c *vim25.Client, cfg Config) (*inventory, error) {
	finder := find.NewFinder(c, true)
	dc, err := finder.DatacenterOrDefault(ctx, cfg.Datacenter)
	if err != nil {
		return nil, fmt.Errorf("datacenter %q: %w", cfg.Datacenter, err)
	}
	finder.SetDatacenter(dc)
	inv := &inventory{dc: dc, clusters: map[string]*cluster{}}

	if inv.datastore, err = finder.DatastoreOrDefault(ctx, cfg.Datastore); err != nil {
		return nil, fmt.Errorf("datastore %q: %w", cfg.Datastore, err)
	}
	network, err := finder.NetworkOrDefault(ctx, cfg.Network)
	if err != nil {
		return nil, fmt.Errorf("network %q: %w", cfg.Network, err)
	}
	if inv.backing, err = network.EthernetCardBackingInfo(ctx); err != nil {
		return nil, fmt.Errorf("network %q: %w", cfg.Network, err)
	}

	folders, err := dc.Folders(ctx)
	if err != nil {
		return nil, err
	}
	if strings.HasPrefix(cfg.Folder, "/") {
		inv.folder, err = finder.Folder(ctx, cfg.Folder)
	} else {
		inv.folder, err = ensureFolderPath(ctx, c, folders.VmFolder, cfg.Folder)
	}
	if err != nil {
		return nil, fmt.Errorf("VM folder %q: %w", cfg.Folder, err)
	}

	byPath := map[string]*cluster{}
	add := func(zone, path string) error {
		if cl, ok := byPath[path]; ok {
			inv.clusters[zone] = cl
			return nil
		}
		cl, err := resolveCluster(ctx, c, finder, path, cfg.ResourcePool)
		if err != nil {
			if zone != "" {
				return fmt.Errorf("zone %q: cluster %q: %w", zone, path, err)
			}
			return fmt.Errorf("cluster %q: %w", path, err)
		}
		cl.zone = zone
		byPath[path], inv.clusters[zone] = cl, cl
		return nil
	}
	for _, zone := range sortedKeys(cfg.Zones) {
		if err := add(zone, cfg.Zones[zone]); err != nil {
			return nil, err
		}
	}
	if _, ok := cfg.Zones[""]; !ok {
		if err := add("", cfg.Cluster); err != nil {
			return nil, err
		}
	}
	return inv, nil
}

func resolveCluster(ctx context.Context, c *vim25.Client, finder *find.Finder, path, pool string) (*cluster, error) {
	obj, err := finder.ClusterComputeResource(ctx, path)
	if err != nil {
		return nil, err
	}
	root, err := obj.ResourcePool(ctx)
	if err != nil {
		return nil, err
	}
	cl := &cluster{obj: obj, pool: root}
	if pool != "/" {
		if cl.pool, err = ensurePoolPath(ctx, c, root, pool); err != nil {
			return nil, fmt.Errorf("resource pool %q: %w", pool, err)
		}
	}
	var hosts []mo.HostSystem
	var cc mo.ClusterComputeResource
	if err := obj.Properties(ctx, obj.Reference(), []string{"host"}, &cc); err != nil {
		return nil, err
	}
	if len(cc.Host) > 0 {
		if err := property.DefaultCollector(c).Retrieve(ctx, cc.Host, []string{"summary.hardware"}, &hosts); err != nil {
			return nil, err
		}
	}
	for _, h := range hosts {
		if hw := h.Summary.Hardware; hw != nil && hw.CpuMhz > 0 && (cl.cpuMHz == 0 || int64(hw.CpuMhz) < cl.cpuMHz) {
			cl.cpuMHz = int64(hw.CpuMhz)
		}
	}
	return cl, nil
}

// placement is where a VM lives: its namespace's resource pool and folder,
// or those of its resource policy inside them.
func (p *Provider) placement(ctx context.Context, vm provider.VM, cl *cluster) (*object.ResourcePool, *object.Folder, error) {
	if vm.Namespace == "" {
		return nil, nil, fmt.Errorf("VM %s has no namespace: %w", vm.ID, provider.ErrInvalid)
	}
	path := []string{inventoryName(vm.Namespace)}
	if vm.ResourcePolicy != "" {
		path = append(path, inventoryName(vm.ResourcePolicy))
	}
	pool, err := ensurePoolPath(ctx, p.conn.vim, cl.pool, strings.Join(path, "/"))
	if err != nil {
		return nil, nil, fmt.Errorf("resource pool for %s: %w", strings.Join(path, "/"), err)
	}
	folder, err := ensureFolderPath(ctx, p.conn.vim, p.inv.folder, strings.Join(path, "/"))
	if err != nil {
		return nil, nil, fmt.Errorf("folder for %s: %w", strings.Join(path, "/"), err)
	}
	return pool, folder, nil
}

// ensureFolderPath finds or creates the folders of a slash-separated path
// under parent.
func ensureFolderPath(ctx context.Context, c *vim25.Client, parent *object.Folder, path string) (*object.Folder, error) {
	for _, name := range splitPath(path) {
		ref, err := ensureChild(ctx, c, parent, name, "Folder", func() (object.Reference, error) {
			return parent.CreateFolder(ctx, name)
		})
		if err != nil {
			return nil, err
		}
		parent = object.NewFolder(c, ref)
	}
	return parent, nil
}

// ensurePoolPath finds or creates the resource pools of a slash-separated
// path under parent. New pools have no reservation or limit and may borrow
// from their parent (vSphere's defaults).
func ensurePoolPath(ctx context.Context, c *vim25.Client, parent *object.ResourcePool, path string) (*object.ResourcePool, error) {
	for _, name := range splitPath(path) {
		ref, err := ensureChild(ctx, c, parent, name, "ResourcePool", func() (object.Reference, error) {
			return parent.Create(ctx, name, types.DefaultResourceConfigSpec())
		})
		if err != nil {
			return nil, err
		}
		parent = object.NewResourcePool(c, ref)
	}
	return parent, nil
}

// ensureChild finds parent's child of a name and type, or creates it. Two
// reconciles creating it at once are fine: the loser finds the winner's.
func ensureChild(ctx context.Context, c *vim25.Client, parent object.Reference, name, kind string, create func() (object.Reference, error)) (types.ManagedObjectReference, error) {
	si := object.NewSearchIndex(c)
	find := func() (types.ManagedObjectReference, bool, error) {
		ref, err := si.FindChild(ctx, parent, name)
		if err != nil || ref == nil {
			return types.ManagedObjectReference{}, false, err
		}
		if ref.Reference().Type != kind {
			return types.ManagedObjectReference{}, false, fmt.Errorf("%q is a %s, not a %s", name, ref.Reference().Type, kind)
		}
		return ref.Reference(), true, nil
	}
	if ref, ok, err := find(); ok || err != nil {
		return ref, err
	}
	obj, err := create()
	if err == nil {
		return obj.Reference(), nil
	}
	if ref, ok, ferr := find(); ok {
		return ref, nil
	} else if ferr != nil {
		err = errors.Join(err, ferr)
	}
	return types.ManagedObjectReference{}, fmt.Errorf("creating %s %q: %w", kind, name, err)
}

func splitPath(path string) []string {
	var out []string
	for _, s := range strings.Split(path, "/") {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
