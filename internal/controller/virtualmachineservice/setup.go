package virtualmachineservice

import (
	"fmt"

	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubevisor/kubevisor/internal/lb"
)

// Defaults of Options.
const (
	// DefaultInterface is the host interface load-balancer addresses go
	// on.
	DefaultInterface = "kv-lb0"
	// DefaultPoolName is the pool created when none exists.
	DefaultPoolName = "default"
	// DefaultPoolAddresses is its address range, next to the VM network
	// 198.18.0.0/16.
	DefaultPoolAddresses = "198.19.0.0/16"
)

// Options configure the VirtualMachineService controller and the
// load-balancer data plane.
type Options struct {
	// Interface is the host interface load-balancer addresses are put on,
	// created when missing; DefaultInterface when empty.
	Interface string
	// NoHostAddresses leaves host interfaces alone: the data plane still
	// listens (addresses are bound with IP_FREEBIND) but nothing makes the
	// addresses reach this host. For tests and unprivileged runs.
	NoHostAddresses bool
	// DefaultPool are the addresses of the LoadBalancerPool "default",
	// created at start when no pool exists: []string{DefaultPoolAddresses}
	// when nil; no pool is created when empty but not nil.
	DefaultPool []string
}

// SetupWithManager registers with mgr everything behind
// VirtualMachineServices: their controller, the LoadBalancerPool status
// controller, the default pool and the load-balancer data plane (a
// Runnable that needs leader election). It returns the data plane.
func SetupWithManager(mgr ctrl.Manager, o Options) (*lb.Balancer, error) {
	cfg := lb.Config{Interface: o.Interface, Logger: mgr.GetLogger().WithName("load-balancer")}
	if cfg.Interface == "" {
		cfg.Interface = DefaultInterface
	}
	if o.NoHostAddresses {
		cfg.Interface = ""
	}
	balancer := lb.New(cfg)
	if err := mgr.Add(balancer); err != nil {
		return nil, err
	}
	// Endpoints are deprecated in favour of EndpointSlices, and the API
	// server says so on every write; the Endpoints here are meant (the
	// Supervisor mirrors them), so this controller's client does not log
	// it each time.
	quiet := rest.CopyConfig(mgr.GetConfig())
	quiet.WarningHandler, quiet.WarningHandlerWithContext = nil, rest.NoWarnings{}
	c, err := client.New(quiet, client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper(), Cache: &client.CacheOptions{Reader: mgr.GetCache()}})
	if err != nil {
		return nil, fmt.Errorf("creating the VirtualMachineService client: %w", err)
	}
	addrs := NewAddresses(mgr.GetClient())
	if err := (&Reconciler{Client: c, Scheme: mgr.GetScheme(), LoadBalancer: balancer, Addresses: addrs}).SetupWithManager(mgr); err != nil {
		return nil, err
	}
	if err := (&PoolReconciler{Client: mgr.GetClient(), Addresses: addrs}).SetupWithManager(mgr); err != nil {
		return nil, err
	}
	pool := o.DefaultPool
	if pool == nil {
		pool = []string{DefaultPoolAddresses}
	}
	if len(pool) > 0 {
		if err := mgr.Add(&DefaultPool{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Name: DefaultPoolName, Addresses: pool}); err != nil {
			return nil, err
		}
	}
	return balancer, nil
}
