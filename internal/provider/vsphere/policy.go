package vsphere

import (
	"context"
	"fmt"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"

	"github.com/kubevisor/kubevisor/internal/provider"
)

// ResourcePolicy is the resource pool part of a
// VirtualMachineSetResourcePolicy. Zero reservations reserve nothing; zero
// limits are unlimited.
type ResourcePolicy struct {
	Namespace, Name                          string
	CPUReservationMilli, CPULimitMilli       int64
	MemoryReservationBytes, MemoryLimitBytes int64
}

// ReconcileResourcePolicy makes the policy's resource pool, in every
// cluster, and its VM folder, and sets the pool's reservations and limits.
// Reconcile makes the same pool and folder, with no reservation or limit,
// for a VM whose policy was not reconciled first.
func (p *Provider) ReconcileResourcePolicy(ctx context.Context, rp ResourcePolicy) error {
	if rp.Namespace == "" || rp.Name == "" {
		return fmt.Errorf("resource policy %s/%s: a namespace and a name are required: %w", rp.Namespace, rp.Name, provider.ErrInvalid)
	}
	done := map[*cluster]bool{}
	for _, cl := range p.inv.clusters {
		if done[cl] {
			continue
		}
		done[cl] = true
		pool, _, err := p.placement(ctx, provider.VM{ID: rp.Name, Namespace: rp.Namespace, ResourcePolicy: rp.Name}, cl)
		if err != nil {
			return err
		}
		cpu, mem, err := poolAllocation(rp, cl.cpuMHz)
		if err != nil {
			return err
		}
		var mp mo.ResourcePool
		if err := pool.Properties(ctx, pool.Reference(), []string{"config"}, &mp); err != nil {
			return fmt.Errorf("resource pool of policy %s/%s: %w", rp.Namespace, rp.Name, err)
		}
		if sameAllocation(mp.Config.CpuAllocation, cpu) && sameAllocation(mp.Config.MemoryAllocation, mem) {
			continue
		}
		spec := types.ResourceConfigSpec{CpuAllocation: cpu, MemoryAllocation: mem}
		if err := pool.UpdateConfig(ctx, "", &spec); err != nil {
			return fmt.Errorf("resource pool of policy %s/%s: %w", rp.Namespace, rp.Name, classify(err))
		}
	}
	return nil
}

// DeleteResourcePolicy removes the policy's resource pools and folder once
// no VM is left in them (vSphere would move the VMs of a destroyed pool to
// its parent); it is an error while some are.
func (p *Provider) DeleteResourcePolicy(ctx context.Context, namespace, name string) error {
	done := map[*cluster]bool{}
	var objs []object.Common
	for _, cl := range p.inv.clusters {
		if done[cl] {
			continue
		}
		done[cl] = true
		pool, err := childOf(ctx, p, cl.pool.Common, namespace, name)
		if err != nil {
			return err
		}
		if pool == nil {
			continue
		}
		var mp mo.ResourcePool
		if err := pool.Properties(ctx, pool.Reference(), []string{"vm", "resourcePool"}, &mp); err != nil {
			return err
		}
		if len(mp.Vm) > 0 || len(mp.ResourcePool) > 0 {
			return fmt.Errorf("resource policy %s/%s still has VMs", namespace, name)
		}
		objs = append(objs, *pool)
	}
	folder, err := childOf(ctx, p, p.inv.folder.Common, namespace, name)
	if err != nil {
		return err
	}
	if folder != nil {
		var mf mo.Folder
		if err := folder.Properties(ctx, folder.Reference(), []string{"childEntity"}, &mf); err != nil {
			return err
		}
		if len(mf.ChildEntity) > 0 {
			return fmt.Errorf("resource policy %s/%s still has VMs", namespace, name)
		}
		objs = append(objs, *folder)
	}
	for _, o := range objs {
		if err := runTask(ctx, o.Destroy); err != nil && !isNotFound(err) {
			return fmt.Errorf("removing %s of resource policy %s/%s: %w", o.Reference(), namespace, name, err)
		}
	}
	return nil
}

// childOf finds parent/namespace/name, or nil.
func childOf(ctx context.Context, p *Provider, parent object.Common, namespace, name string) (*object.Common, error) {
	si := object.NewSearchIndex(p.conn.vim)
	cur := parent.Reference()
	for _, n := range []string{inventoryName(namespace), inventoryName(name)} {
		ref, err := si.FindChild(ctx, object.NewCommon(p.conn.vim, cur), n)
		if err != nil || ref == nil {
			return nil, err
		}
		cur = ref.Reference()
	}
	c := object.NewCommon(p.conn.vim, cur)
	return &c, nil
}

// poolAllocation is a policy's CPU and memory allocation, in vSphere's
// units (MHz, with cpuMHz per core, and MB).
func poolAllocation(rp ResourcePolicy, cpuMHz int64) (cpu, mem types.ResourceAllocationInfo, err error) {
	if rp.CPUReservationMilli < 0 || rp.CPULimitMilli < 0 || rp.MemoryReservationBytes < 0 || rp.MemoryLimitBytes < 0 {
		return cpu, mem, fmt.Errorf("resource policy %s/%s has a negative size: %w", rp.Namespace, rp.Name, provider.ErrInvalid)
	}
	if (rp.CPUReservationMilli > 0 || rp.CPULimitMilli > 0) && cpuMHz <= 0 {
		return cpu, mem, fmt.Errorf("resource policy %s/%s sets CPU, but the cluster's CPU clock is unknown", rp.Namespace, rp.Name)
	}
	limit := func(v int64) int64 {
		if v == 0 {
			return -1
		}
		return v
	}
	cpu = types.ResourceAllocationInfo{
		Reservation:           types.NewInt64(ceilDiv(rp.CPUReservationMilli*cpuMHz, 1000)),
		Limit:                 types.NewInt64(limit(ceilDiv(rp.CPULimitMilli*cpuMHz, 1000))),
		ExpandableReservation: types.NewBool(true),
		Shares:                &types.SharesInfo{Level: types.SharesLevelNormal},
	}
	mem = types.ResourceAllocationInfo{
		Reservation:           types.NewInt64(ceilDiv(rp.MemoryReservationBytes, mib)),
		Limit:                 types.NewInt64(limit(ceilDiv(rp.MemoryLimitBytes, mib))),
		ExpandableReservation: types.NewBool(true),
		Shares:                &types.SharesInfo{Level: types.SharesLevelNormal},
	}
	return cpu, mem, nil
}

func sameAllocation(h types.ResourceAllocationInfo, want types.ResourceAllocationInfo) bool {
	val := func(p *int64, unset int64) int64 {
		if p == nil {
			return unset
		}
		return *p
	}
	return val(h.Reservation, 0) == *want.Reservation && val(h.Limit, -1) == *want.Limit
}
