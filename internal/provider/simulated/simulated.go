package simulated

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/netip"
	"slices"
	"sync"

	"github.com/kubevisor/kubevisor/internal/provider"
)

var _ provider.VMs = (*Provider)(nil)

// Provider keeps VMs in memory.
type Provider struct {
	mu   sync.Mutex
	vms  map[string]*record
	next netip.Addr
}

type record struct {
	vm     provider.VM
	status provider.Status
}

// New returns an empty provider handing out addresses from 100.127.0.1
// upwards (a range no real network of kubevisor uses).
func New() *Provider {
	return &Provider{vms: map[string]*record{}, next: netip.MustParseAddr("100.127.0.1")}
}

// Name implements provider.VMs.
func (p *Provider) Name() string { return "simulated" }

// Reconcile implements provider.VMs.
func (p *Provider) Reconcile(_ context.Context, vm provider.VM) (provider.Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.vms[vm.ID]
	if !ok {
		sum := sha256.Sum256([]byte(vm.ID))
		uuid := fmt.Sprintf("%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])
		r = &record{status: provider.Status{
			UniqueID: "sim-" + vm.ID, BIOSUUID: uuid, InstanceUUID: uuid, Host: "simulated", Zone: vm.Zone,
			PrimaryIP4: p.next.String(),
		}}
		p.next = p.next.Next()
		p.vms[vm.ID] = r
	}
	r.vm = vm
	r.status.PowerState = vm.PowerState
	on := vm.PowerState == provider.PoweredOn
	r.status.GuestHeartbeat = on
	r.status.BootstrapDone = r.status.BootstrapDone || (on && vm.CloudInit != nil)
	r.status.Volumes = r.status.Volumes[:0]
	for _, v := range vm.Volumes {
		r.status.Volumes = append(r.status.Volumes, provider.VolumeStatus{Name: v.Name, Attached: true, DiskUUID: "sim-" + v.ClaimName})
	}
	return r.status, nil
}

// Status implements provider.VMs.
func (p *Provider) Status(_ context.Context, id string) (provider.Status, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.vms[id]
	if !ok {
		return provider.Status{}, fmt.Errorf("VM %s: %w", id, provider.ErrNotFound)
	}
	return r.status, nil
}

// Delete implements provider.VMs.
func (p *Provider) Delete(_ context.Context, id string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.vms, id)
	return nil
}

// List implements provider.VMs.
func (p *Provider) List(context.Context) ([]string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	ids := make([]string, 0, len(p.vms))
	for id := range p.vms {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids, nil
}
