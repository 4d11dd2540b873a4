package supervisor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"k8s.io/klog/v2"

	"github.com/kubevisor/kubevisor/internal/controller/virtualmachine"
	"github.com/kubevisor/kubevisor/internal/provider"
	"github.com/kubevisor/kubevisor/internal/provider/local"
	"github.com/kubevisor/kubevisor/internal/provider/simulated"
	"github.com/kubevisor/kubevisor/internal/provider/vsphere"
)

// newVMProvider creates the VM Service's provider.
func newVMProvider(ctx context.Context, o Options, l Layout) (provider.VMs, virtualmachine.ImageLocator, error) {
	switch o.VMProvider {
	case "local":
		agent := o.GuestAgent
		if agent == "" {
			exe, err := os.Executable()
			if err != nil {
				return nil, nil, err
			}
			agent = filepath.Join(filepath.Dir(exe), "kubevisor-guest")
		}
		p, err := local.New(local.Config{StateDir: l.path("vms"), GuestAgentPath: agent})
		if err != nil {
			return nil, nil, fmt.Errorf("--vm-provider=local: %w", err)
		}
		return p, nil, nil
	case "vsphere":
		p, err := vsphere.New(ctx, o.VSphere)
		if err != nil {
			return nil, nil, fmt.Errorf("--vm-provider=vsphere: %w", err)
		}
		return p, nil, nil
	case "simulated":
		klog.FromContext(ctx).Info("VMs are SIMULATED: they are in-memory records that run nothing (--vm-provider=simulated)")
		return simulated.New(), nil, nil
	}
	return nil, nil, fmt.Errorf("--vm-provider %q is not one of local, vsphere, simulated", o.VMProvider)
}
