package virtualmachine

import (
	"context"
	"time"

	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/provider"
)

// GarbageCollector deletes provider VMs that no VirtualMachine owns any
// more: a VirtualMachine removed while the Supervisor was down with its
// finalizer forced off, say. It runs at start and then every Interval.
type GarbageCollector struct {
	// Reader reads VirtualMachines straight from the API server, so a VM
	// created a moment ago is never mistaken for an orphan.
	Reader   client.Reader
	Provider provider.VMs
	Interval time.Duration
}

// Start implements manager.Runnable.
func (g *GarbageCollector) Start(ctx context.Context) error {
	interval := g.Interval
	if interval == 0 {
		interval = time.Minute
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if err := g.collect(ctx); err != nil && ctx.Err() == nil {
			klog.FromContext(ctx).Error(err, "Collecting orphaned VMs", "provider", g.Provider.Name())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (g *GarbageCollector) collect(ctx context.Context) error {
	// Provider IDs first: a VM created after this list cannot be collected.
	ids, err := g.Provider.List(ctx)
	if err != nil || len(ids) == 0 {
		return err
	}
	list := &vmopv1.VirtualMachineList{}
	if err := g.Reader.List(ctx, list); err != nil {
		return err
	}
	owned := make(map[string]bool, len(list.Items))
	for _, vm := range list.Items {
		owned[string(vm.UID)] = true
	}
	for _, id := range Orphans(ids, owned) {
		klog.FromContext(ctx).Info("Deleting an orphaned VM", "provider", g.Provider.Name(), "id", id)
		if err := g.Provider.Delete(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// Orphans returns the provider IDs that no VirtualMachine owns.
func Orphans(ids []string, owned map[string]bool) []string {
	var out []string
	for _, id := range ids {
		if !owned[id] {
			out = append(out, id)
		}
	}
	return out
}
