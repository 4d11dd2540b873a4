package vsphere

import (
	"context"
	"fmt"
	"strconv"

	"github.com/vmware/govmomi/fault"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/property"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/kubevisor/kubevisor/internal/provider"
)

// The provider finds its VMs by KeyID in their extraConfig: the key is
// the truth, the index a cache of it. The index is filled by one scan of
// the Supervisor's folder (at the first miss, and by every List) and kept
// up to date by the provider's own deploys and deletes; an entry whose VM
// has gone is dropped when it is next used.

// lookup finds the VM with an ID: provider.ErrNotFound if there is none.
func (p *Provider) lookup(ctx context.Context, id string) (*object.VirtualMachine, error) {
	p.mu.Lock()
	ref, ok := p.index[id]
	scanned := p.scanned
	p.mu.Unlock()
	if ok {
		var content []types.ObjectContent
		err := property.DefaultCollector(p.conn.vim).Retrieve(ctx, []types.ManagedObjectReference{ref}, []string{"name"}, &content)
		switch {
		case err == nil && len(content) == 1:
			return object.NewVirtualMachine(p.conn.vim, ref), nil
		case err == nil || isNotFound(err):
			p.forget(id)
		default:
			return nil, fmt.Errorf("looking up VM %s: %w", id, err)
		}
	}
	if !scanned || ok {
		found, err := p.scan(ctx)
		if err != nil {
			return nil, err
		}
		if ref, ok := found[id]; ok {
			return object.NewVirtualMachine(p.conn.vim, ref), nil
		}
	}
	return nil, fmt.Errorf("VM %s: %w", id, provider.ErrNotFound)
}

// remember records a VM's ID.
func (p *Provider) remember(id string, ref types.ManagedObjectReference) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.index[id] = ref
}

// forget drops a VM's ID.
func (p *Provider) forget(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.index, id)
}

// idPath reads only KeyID of each VM; vCenters that refuse keyed property
// paths get the whole extraConfig read instead.
var idPath = fmt.Sprintf("config.extraConfig[%s]", strconv.Quote(KeyID))

// scan reads the ID of every VM in the Supervisor's folder, and merges
// what it finds into the index. Entries the scan does not see are left
// alone: a deploy may have recorded one while the scan ran.
func (p *Provider) scan(ctx context.Context) (map[string]types.ManagedObjectReference, error) {
	v, err := view.NewManager(p.conn.vim).CreateContainerView(ctx, p.inv.folder.Reference(), []string{"VirtualMachine"}, true)
	if err != nil {
		return nil, fmt.Errorf("listing VMs: %w", err)
	}
	defer func() { _ = v.Destroy(context.WithoutCancel(ctx)) }()
	var content []types.ObjectContent
	err = v.Retrieve(ctx, []string{"VirtualMachine"}, []string{idPath}, &content)
	if fault.Is(err, &types.InvalidProperty{}) {
		err = v.Retrieve(ctx, []string{"VirtualMachine"}, []string{"config.extraConfig"}, &content)
	}
	if err != nil {
		return nil, fmt.Errorf("listing VMs: %w", err)
	}
	found := map[string]types.ManagedObjectReference{}
	for _, oc := range content {
		for _, prop := range oc.PropSet {
			if id := idOf(prop.Val); id != "" {
				found[id] = oc.Obj
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for id, ref := range found {
		p.index[id] = ref
	}
	p.scanned = true
	return found, nil
}

// idOf reads KeyID from a property value: one option, or all of them.
func idOf(val any) string {
	var opts []types.BaseOptionValue
	switch v := val.(type) {
	case types.OptionValue:
		opts = []types.BaseOptionValue{&v}
	case *types.OptionValue:
		opts = []types.BaseOptionValue{v}
	case types.ArrayOfOptionValue:
		opts = v.OptionValue
	case *types.ArrayOfOptionValue:
		opts = v.OptionValue
	}
	return extraConfigMap(opts)[KeyID]
}
