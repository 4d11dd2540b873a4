package lb

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"

	"github.com/kubevisor/kubevisor/internal/lb/hostaddr"
)

// Protocol is a transport protocol a listener serves.
type Protocol string

const (
	// TCP is proxied connection by connection.
	TCP Protocol = "TCP"
	// UDP is proxied per client address, with an idle timeout.
	UDP Protocol = "UDP"
)

// Service is the desired state of one load-balanced address.
type Service struct {
	// IP is the load-balancer address.
	IP netip.Addr
	// Ports are the ports served on IP.
	Ports []Port
	// SourceRanges, when not empty, are the only client addresses accepted.
	SourceRanges []netip.Prefix
}

// Port is one listening port and where its traffic goes.
type Port struct {
	// Protocol is TCP or UDP.
	Protocol Protocol
	// Port is the listening port.
	Port uint16
	// Backends are the ready endpoints (address and target port), in the
	// order round-robin visits them.
	Backends []netip.AddrPort
}

// ErrStopped: the Balancer has stopped and takes no more changes.
var ErrStopped = errors.New("load balancer stopped")

// Config configures a Balancer. Zero fields get the defaults shown.
type Config struct {
	// Interface is the host interface load-balancer addresses are put on,
	// created when missing. Empty: addresses are not managed (they must be
	// local already, as 127.0.0.0/8 is).
	Interface string
	// HealthCheckInterval is the time between TCP health checks of a
	// backend (1s); HealthCheckTimeout bounds one check (1s).
	HealthCheckInterval, HealthCheckTimeout time.Duration
	// FallThreshold consecutive failures take a backend out of rotation
	// (2); RiseThreshold consecutive successes bring it back (2).
	FallThreshold, RiseThreshold int
	// DialTimeout bounds connecting to a backend for a client (3s).
	DialTimeout time.Duration
	// UDPIdleTimeout ends a UDP flow nobody sent on for this long (60s).
	UDPIdleTimeout time.Duration
	// HealInterval is how often addresses on the interface are checked and
	// failed listeners retried (10s).
	HealInterval time.Duration
	// PruneAfter is how long after Start an address on the interface that
	// no service asks for is left alone (60s): after a restart, services
	// are set again one by one and their addresses must not flap.
	PruneAfter time.Duration
	// Logger receives the few messages the balancer logs.
	Logger logr.Logger
}

func (c *Config) setDefaults() {
	c.HealthCheckInterval = cmp.Or(c.HealthCheckInterval, time.Second)
	c.HealthCheckTimeout = cmp.Or(c.HealthCheckTimeout, time.Second)
	c.FallThreshold = cmp.Or(c.FallThreshold, 2)
	c.RiseThreshold = cmp.Or(c.RiseThreshold, 2)
	c.DialTimeout = cmp.Or(c.DialTimeout, 3*time.Second)
	c.UDPIdleTimeout = cmp.Or(c.UDPIdleTimeout, 60*time.Second)
	c.HealInterval = cmp.Or(c.HealInterval, 10*time.Second)
	c.PruneAfter = cmp.Or(c.PruneAfter, 60*time.Second)
}

// listenerKey identifies a listener.
type listenerKey struct {
	proto Protocol
	addr  netip.AddrPort
}

func (k listenerKey) String() string { return string(k.proto) + "/" + k.addr.String() }

// listenerConfig is what a listener serves.
type listenerConfig struct {
	service  string
	backends []netip.AddrPort
	sources  []netip.Prefix
}

func (c listenerConfig) equal(o listenerConfig) bool {
	return c.service == o.service && slices.Equal(c.backends, o.backends) && slices.Equal(c.sources, o.sources)
}

// allowed reports whether a client at addr may connect.
func (c listenerConfig) allowed(addr netip.Addr) bool {
	if len(c.sources) == 0 {
		return true
	}
	addr = addr.Unmap()
	for _, p := range c.sources {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// listener is a running TCP or UDP listener.
type listener interface {
	// update replaces what the listener serves; connections to backends
	// that are gone are closed.
	update(cfg listenerConfig)
	// close stops the listener, closes its connections and waits for its
	// goroutines.
	close()
}

// Balancer runs the listeners of all load-balanced services. It is a
// controller-runtime Runnable: Start runs its housekeeping until the
// context ends, then closes every listener and connection. Set may be
// called before Start.
type Balancer struct {
	cfg    Config
	log    logr.Logger
	ifc    *hostaddr.Interface
	health *healthChecks
	// ctx bounds listeners, dials and health checks; cancel ends them.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	stopped  bool
	started  time.Time
	services map[string]*Service
	// order is, per service, when it was first set: on a conflict the
	// service that came first keeps the address or port.
	order     map[string]uint64
	nextOrder uint64
	listeners map[listenerKey]listener
	// errs are, per service, why it is not fully served.
	errs map[string]error
	// assigned are the addresses this Balancer put on the interface.
	assigned map[netip.Addr]bool
	// claimed: this Balancer has served an address, so the interface is
	// its to tidy. A Balancer that never served one leaves it alone.
	claimed bool
	addrErr error
}

// New returns a Balancer.
func New(cfg Config) *Balancer {
	cfg.setDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	b := &Balancer{
		cfg:       cfg,
		log:       cfg.Logger,
		ctx:       ctx,
		cancel:    cancel,
		services:  map[string]*Service{},
		order:     map[string]uint64{},
		listeners: map[listenerKey]listener{},
		errs:      map[string]error{},
		assigned:  map[netip.Addr]bool{},
	}
	b.health = newHealthChecks(ctx, &b.cfg, b.log)
	if cfg.Interface != "" {
		b.ifc = &hostaddr.Interface{Name: cfg.Interface}
	}
	return b
}

// Set makes svc the desired state of the service called name (nil removes
// it) and brings the listeners in line at once. It returns why the
// service is not fully served (an address that cannot be put on the host,
// a port that cannot be opened, or a port another service holds); the
// rest of the service is served anyway, and failed parts are retried.
func (b *Balancer) Set(name string, svc *Service) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return ErrStopped
	}
	if svc == nil {
		if _, ok := b.services[name]; !ok {
			return nil
		}
		delete(b.services, name)
		delete(b.order, name)
	} else {
		if old, ok := b.services[name]; ok && equalService(old, svc) {
			return b.errs[name]
		}
		if _, ok := b.order[name]; !ok {
			b.nextOrder++
			b.order[name] = b.nextOrder
		}
		b.services[name] = cloneService(svc)
	}
	b.reconcile()
	return b.errs[name]
}

// Start runs the balancer's housekeeping until ctx ends, then stops it.
func (b *Balancer) Start(ctx context.Context) error {
	b.mu.Lock()
	b.started = time.Now()
	b.mu.Unlock()
	t := time.NewTicker(b.cfg.HealInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			b.stop()
			return nil
		case <-t.C:
			b.heal()
		}
	}
}

// NeedLeaderElection is true: only the leading Supervisor serves
// load-balancer addresses.
func (b *Balancer) NeedLeaderElection() bool { return true }

// stop closes every listener and connection and ends the health checks.
// The addresses stay on the host: until the next Start, connections to
// them are refused at once by this host, instead of being routed towards
// the host's default gateway (VM traffic is forwarded). The next Start
// prunes those nobody asks for any more.
func (b *Balancer) stop() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopped = true
	for k, l := range b.listeners {
		l.close()
		delete(b.listeners, k)
	}
	b.cancel()
	b.health.wait()
}

// heal puts back addresses that went missing from the host, removes stale
// ones once PruneAfter has passed since Start, and retries listeners that
// failed to open.
func (b *Balancer) heal() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return
	}
	if b.ifc != nil && b.claimed {
		have, err := b.ifc.Addresses()
		if err == nil {
			onHost := map[netip.Addr]bool{}
			for _, a := range have {
				onHost[a] = true
			}
			for a := range b.assigned {
				if !onHost[a] {
					delete(b.assigned, a) // reconcile adds it again
				}
			}
			if time.Since(b.started) >= b.cfg.PruneAfter {
				for _, a := range have {
					if !b.assigned[a] && !b.wantsAddr(a) {
						if err := b.ifc.Remove(a); err == nil {
							b.log.Info("Removed a stale load-balancer address", "address", a, "interface", b.cfg.Interface)
						}
					}
				}
			}
		}
	}
	b.reconcile()
}

func (b *Balancer) wantsAddr(a netip.Addr) bool {
	for _, s := range b.services {
		if s.IP == a {
			return true
		}
	}
	return false
}

// reconcile brings listeners and host addresses in line with the desired
// services, and records per service what failed.
func (b *Balancer) reconcile() {
	errs := map[string][]error{}
	desired := map[listenerKey]listenerConfig{}
	wantAddrs := map[netip.Addr]string{}
	names := slices.SortedFunc(maps.Keys(b.services), func(x, y string) int { return cmp.Compare(b.order[x], b.order[y]) })
	for _, name := range names {
		svc := b.services[name]
		if owner, taken := wantAddrs[svc.IP]; taken && owner != name {
			// The controller hands out each address once; two services on
			// one address can only come from a bug or a hand edit.
			errs[name] = append(errs[name], fmt.Errorf("address %s is served for %s", svc.IP, owner))
			continue
		}
		wantAddrs[svc.IP] = name
		for _, p := range svc.Ports {
			k := listenerKey{proto: p.Protocol, addr: netip.AddrPortFrom(svc.IP, p.Port)}
			if other, taken := desired[k]; taken {
				errs[name] = append(errs[name], fmt.Errorf("%s is served for %s", k, other.service))
				continue
			}
			desired[k] = listenerConfig{service: name, backends: p.Backends, sources: svc.SourceRanges}
		}
	}

	for k, l := range b.listeners {
		if _, ok := desired[k]; !ok {
			l.close()
			delete(b.listeners, k)
			b.log.V(1).Info("Closed load-balancer listener", "listener", k)
		}
	}

	if err := b.syncAddresses(wantAddrs); err != nil {
		for _, name := range wantAddrs {
			errs[name] = append(errs[name], err)
		}
	}

	for _, k := range slices.SortedFunc(maps.Keys(desired), func(a, b listenerKey) int { return cmp.Compare(a.String(), b.String()) }) {
		cfg := desired[k]
		if l, ok := b.listeners[k]; ok {
			l.update(cfg)
			continue
		}
		l, err := b.open(k, cfg)
		if err != nil {
			errs[cfg.service] = append(errs[cfg.service], fmt.Errorf("opening %s: %w", k, err))
			continue
		}
		b.listeners[k] = l
		b.log.V(1).Info("Opened load-balancer listener", "listener", k, "service", cfg.service)
	}

	clear(b.errs)
	for name, e := range errs {
		b.errs[name] = errors.Join(e...)
	}
}

// syncAddresses puts the wanted addresses on the host and takes off those
// this Balancer put there that are no longer wanted.
func (b *Balancer) syncAddresses(want map[netip.Addr]string) error {
	if b.ifc == nil {
		return nil
	}
	var errs []error
	for a := range b.assigned {
		if _, ok := want[a]; ok {
			continue
		}
		if err := b.ifc.Remove(a); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(b.assigned, a)
		b.log.Info("Removed load-balancer address", "address", a, "interface", b.cfg.Interface)
	}
	if len(want) > 0 {
		b.claimed = true
	}
	var missing []netip.Addr
	for a := range want {
		if !b.assigned[a] {
			missing = append(missing, a)
		}
	}
	if len(missing) > 0 {
		if err := b.ifc.Ensure(); err != nil {
			return errors.Join(append(errs, err)...)
		}
	}
	for _, a := range missing {
		if err := b.ifc.Add(a); err != nil {
			errs = append(errs, err)
			continue
		}
		b.assigned[a] = true
		b.log.Info("Added load-balancer address", "address", a, "interface", b.cfg.Interface)
	}
	err := errors.Join(errs...)
	if err != nil && (b.addrErr == nil || b.addrErr.Error() != err.Error()) {
		b.log.Error(err, "Load-balancer addresses are not all on the host")
	}
	b.addrErr = err
	return err
}

// open starts a listener.
func (b *Balancer) open(k listenerKey, cfg listenerConfig) (listener, error) {
	switch k.proto {
	case TCP:
		return openTCP(b, k, cfg)
	case UDP:
		return openUDP(b, k, cfg)
	default:
		return nil, fmt.Errorf("protocol %s is not supported", k.proto)
	}
}

func equalService(a, b *Service) bool {
	return a.IP == b.IP && slices.Equal(a.SourceRanges, b.SourceRanges) &&
		slices.EqualFunc(a.Ports, b.Ports, func(x, y Port) bool {
			return x.Protocol == y.Protocol && x.Port == y.Port && slices.Equal(x.Backends, y.Backends)
		})
}

func cloneService(s *Service) *Service {
	c := &Service{IP: s.IP.Unmap(), SourceRanges: slices.Clone(s.SourceRanges)}
	for _, p := range s.Ports {
		p.Backends = slices.Clone(p.Backends)
		c.Ports = append(c.Ports, p)
	}
	return c
}
