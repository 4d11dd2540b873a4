package virtualmachineservice

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/lbipam"
)

// LoadBalancerIPAnnotation records, on a VirtualMachineService, the
// load-balancer address allocated to it, before the address is reported in
// status.loadBalancer.ingress. Together they are what the allocator is
// rebuilt from at start; the controller owns both.
const LoadBalancerIPAnnotation = "kubevisor.io/load-balancer-ip"

// Addresses is the load-balancer allocator shared by the
// VirtualMachineService and LoadBalancerPool controllers, with its
// rebuild from the API at start. Both controllers must be given the same
// one.
type Addresses struct {
	reader client.Reader
	alloc  *lbipam.Allocator

	mu     sync.Mutex
	loaded bool
}

// NewAddresses returns an empty allocator that rebuilds itself through
// reader (the manager's cached client) before its first use.
func NewAddresses(reader client.Reader) *Addresses {
	return &Addresses{reader: reader, alloc: lbipam.New()}
}

// owner is the allocator's key for svc.
func owner(key types.NamespacedName) string { return key.String() }

// load rebuilds the allocator, once, before the first allocation, from
// the addresses recorded on the VirtualMachineServices. The status
// (written only by this controller) is the record; an annotation without
// a status counts only for an address inside a pool (the status patch may
// not have happened before a crash, and users can write annotations).
// Older services win if two claim one address; the newer one gets another
// when it is reconciled.
func (a *Addresses) load(ctx context.Context) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.loaded {
		return nil
	}
	if _, err := a.refreshPools(ctx); err != nil {
		return err
	}
	var list vmopv1.VirtualMachineServiceList
	if err := a.reader.List(ctx, &list); err != nil {
		return fmt.Errorf("listing VirtualMachineServices to rebuild load-balancer allocations: %w", err)
	}
	slices.SortFunc(list.Items, func(x, y vmopv1.VirtualMachineService) int {
		return cmp.Or(x.CreationTimestamp.Compare(y.CreationTimestamp.Time), cmp.Compare(x.Namespace+"/"+x.Name, y.Namespace+"/"+y.Name))
	})
	restored := 0
	restore := func(svc *vmopv1.VirtualMachineService, ip netip.Addr) {
		key := client.ObjectKeyFromObject(svc)
		if err := a.alloc.Restore(owner(key), ip); err != nil {
			ctrl.LoggerFrom(ctx).Info("Load-balancer address claimed twice; the newer service gets another", "virtualMachineService", key, "error", err.Error())
			return
		}
		restored++
	}
	for i := range list.Items {
		if ip, ok := reportedAddress(&list.Items[i]); ok {
			restore(&list.Items[i], ip)
		}
	}
	for i := range list.Items {
		if _, ok := reportedAddress(&list.Items[i]); ok {
			continue
		}
		if ip, ok := annotatedAddress(&list.Items[i]); ok && a.alloc.InPool(ip) {
			restore(&list.Items[i], ip)
		}
	}
	if restored > 0 {
		ctrl.LoggerFrom(ctx).Info("Rebuilt load-balancer allocations", "addresses", restored)
	}
	a.loaded = true
	return nil
}

// refreshPools gives the allocator the current LoadBalancerPools, oldest
// first (so a new pool that overlaps an existing one is the one left
// out), and returns why some are not used.
func (a *Addresses) refreshPools(ctx context.Context) (map[string]error, error) {
	var pools kubevisorv1.LoadBalancerPoolList
	if err := a.reader.List(ctx, &pools); err != nil {
		return nil, fmt.Errorf("listing LoadBalancerPools: %w", err)
	}
	slices.SortFunc(pools.Items, func(x, y kubevisorv1.LoadBalancerPool) int {
		return cmp.Or(x.CreationTimestamp.Compare(y.CreationTimestamp.Time), cmp.Compare(x.Name, y.Name))
	})
	var specs []lbipam.PoolSpec
	for _, p := range pools.Items {
		if p.DeletionTimestamp.IsZero() {
			specs = append(specs, lbipam.PoolSpec{Name: p.Name, Addresses: p.Spec.Addresses})
		}
	}
	return a.alloc.SetPools(specs), nil
}

// reportedAddress is the address svc's status reports.
func reportedAddress(svc *vmopv1.VirtualMachineService) (netip.Addr, bool) {
	if len(svc.Status.LoadBalancer.Ingress) == 0 {
		return netip.Addr{}, false
	}
	ip, err := netip.ParseAddr(svc.Status.LoadBalancer.Ingress[0].IP)
	return ip, err == nil
}

// annotatedAddress is the address svc's annotation records.
func annotatedAddress(svc *vmopv1.VirtualMachineService) (netip.Addr, bool) {
	ip, err := netip.ParseAddr(svc.Annotations[LoadBalancerIPAnnotation])
	return ip, err == nil
}
