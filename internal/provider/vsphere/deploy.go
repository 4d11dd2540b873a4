package vsphere

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vapi/library"
	"github.com/vmware/govmomi/vapi/rest"
	"github.com/vmware/govmomi/vapi/vcenter"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/kubevisor/kubevisor/internal/provider"
)

// item finds the content library item of an image: by its ID, or, when
// vCenter does not know the ID (an image of one of kubevisor's own
// libraries), by the image's name in the configured content library. It
// must be an OVF template.
func (p *Provider) item(ctx context.Context, img provider.Image) (*library.Item, error) {
	var item *library.Item
	err := p.conn.withREST(ctx, func(rc *rest.Client) error {
		m := library.NewManager(rc)
		var err error
		if img.LibraryItem != "" {
			item, err = m.GetLibraryItem(ctx, img.LibraryItem)
			if err == nil || !isRESTNotFound(err) {
				return err
			}
		}
		item = nil
		if p.libraryID == "" || img.Name == "" {
			return nil
		}
		ids, err := m.FindLibraryItems(ctx, library.FindItem{LibraryID: p.libraryID, Name: img.Name})
		if err != nil || len(ids) == 0 {
			return err
		}
		item, err = m.GetLibraryItem(ctx, ids[0])
		return err
	})
	switch {
	case err != nil:
		return nil, fmt.Errorf("content library item %s: %w", img.LibraryItem, err)
	case item == nil:
		return nil, fmt.Errorf("image %s: content library item %q not found in vCenter: %w", img.Name, img.LibraryItem, provider.ErrInvalid)
	case !strings.EqualFold(item.Type, library.ItemTypeOVF):
		return nil, fmt.Errorf("image %s: content library item %s is of type %q, not an OVF template: %w", img.Name, item.ID, item.Type, provider.ErrInvalid)
	}
	return item, nil
}

// deploy deploys the VM's image into pool and folder, as name, on the
// configured datastore, with every OVF network mapped to the configured
// network. The VM is powered off; reconcile configures it.
func (p *Provider) deploy(ctx context.Context, vm provider.VM, name string, pool *object.ResourcePool, folder *object.Folder) (types.ManagedObjectReference, error) {
	item, err := p.item(ctx, vm.Image)
	if err != nil {
		return types.ManagedObjectReference{}, err
	}
	target := vcenter.Target{ResourcePoolID: pool.Reference().Value, FolderID: folder.Reference().Value}
	spec := vcenter.DeploymentSpec{
		Name:                name,
		Annotation:          fmt.Sprintf("kubevisor VirtualMachine %s/%s (%s)", vm.Namespace, vm.Name, vm.ID),
		AcceptAllEULA:       true,
		DefaultDatastoreID:  p.inv.datastore.Reference().Value,
		StorageProvisioning: "thin",
	}
	var ref *types.ManagedObjectReference
	err = p.conn.withREST(ctx, func(rc *rest.Client) error {
		m := vcenter.NewManager(rc)
		// The item's networks: a vCenter that reports none (or cannot
		// filter) deploys with the OVF's own, and reconcile moves the NICs.
		if f, err := m.FilterLibraryItem(ctx, item.ID, vcenter.FilterRequest{Target: target}); err == nil {
			for _, n := range f.Networks {
				spec.NetworkMappings = append(spec.NetworkMappings, vcenter.NetworkMapping{Key: n, Value: networkID(p.inv.backing)})
			}
		}
		var err error
		ref, err = m.DeployLibraryItem(ctx, item.ID, vcenter.Deploy{DeploymentSpec: spec, Target: target})
		return err
	})
	if err != nil {
		return types.ManagedObjectReference{}, fmt.Errorf("deploying %s from content library item %s (%s): %w", name, item.Name, item.ID, deployError(err))
	}
	if ref == nil {
		return types.ManagedObjectReference{}, fmt.Errorf("deploying %s from content library item %s: vCenter returned no VM", name, item.ID)
	}
	return *ref, nil
}

// networkID is the managed object ID of a NIC backing's network, as OVF
// network mappings name it.
func networkID(b types.BaseVirtualDeviceBackingInfo) string {
	switch b := b.(type) {
	case *types.VirtualEthernetCardNetworkBackingInfo:
		if b.Network != nil {
			return b.Network.Value
		}
		return b.DeviceName
	case *types.VirtualEthernetCardDistributedVirtualPortBackingInfo:
		return b.Port.PortgroupKey
	case *types.VirtualEthernetCardOpaqueNetworkBackingInfo:
		return b.OpaqueNetworkId
	}
	return ""
}

// Publish implements provider.Publisher for vSphere, where images stay in
// vCenter: it captures the VM as a new OVF template in the configured
// content library (vCenter's "export to library") and returns the new
// item's ID, not a path. dir is not used. The item is named after the VM
// and the time; PublishItem chooses the name. It blocks until vCenter has
// captured the VM.
func (p *Provider) Publish(ctx context.Context, id, _ string) (string, error) {
	return p.PublishItem(ctx, id, "")
}

// PublishItem is Publish with the item's name (empty for
// <VM name>-<UTC time>).
func (p *Provider) PublishItem(ctx context.Context, id, itemName string) (string, error) {
	if p.libraryID == "" {
		return "", fmt.Errorf("publishing VM %s: no content library is configured: %w", id, provider.ErrInvalid)
	}
	obj, err := p.lookup(ctx, id)
	if err != nil {
		return "", err
	}
	var mvm mo.VirtualMachine
	if err := obj.Properties(ctx, obj.Reference(), []string{"name"}, &mvm); err != nil {
		return "", fmt.Errorf("reading VM %s: %w", id, err)
	}
	if itemName == "" {
		itemName = inventoryName(mvm.Name + "-" + time.Now().UTC().Format("20060102T150405Z"))
	}
	var itemID string
	err = p.conn.withREST(ctx, func(rc *rest.Client) error {
		var err error
		itemID, err = vcenter.NewManager(rc).CreateOVF(ctx, vcenter.OVF{
			Spec:   vcenter.CreateSpec{Name: itemName, Description: fmt.Sprintf("Published from kubevisor VM %s (%s)", mvm.Name, id)},
			Source: vcenter.ResourceID{Type: "VirtualMachine", Value: obj.Reference().Value},
			Target: vcenter.LibraryTarget{LibraryID: p.libraryID},
		})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("publishing VM %s to content library %s: %w", mvm.Name, p.cfg.ContentLibrary, deployError(err))
	}
	return itemID, nil
}
