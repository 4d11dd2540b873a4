package lb

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// healthChecks runs one active TCP health check per backend address,
// shared by every listener that uses the backend.
type healthChecks struct {
	ctx context.Context
	cfg *Config
	log logr.Logger
	wg  sync.WaitGroup

	mu       sync.Mutex
	checkers map[netip.AddrPort]*checker
}

func newHealthChecks(ctx context.Context, cfg *Config, log logr.Logger) *healthChecks {
	return &healthChecks{ctx: ctx, cfg: cfg, log: log, checkers: map[netip.AddrPort]*checker{}}
}

// acquire returns the checker of backend, starting it for the first user.
// A new backend starts healthy: it is in the desired state because its
// endpoint is ready, and the first check follows at once.
func (h *healthChecks) acquire(backend netip.AddrPort) *checker {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.checkers[backend]
	if c == nil {
		ctx, cancel := context.WithCancel(h.ctx)
		c = &checker{backend: backend, cfg: h.cfg, log: h.log, cancel: cancel, healthy: true}
		h.checkers[backend] = c
		h.wg.Add(1)
		go func() {
			defer h.wg.Done()
			c.run(ctx)
		}()
	}
	c.refs++
	return c
}

// release drops one use of backend's checker, stopping it after the last.
func (h *healthChecks) release(backend netip.AddrPort) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.checkers[backend]
	if c == nil {
		return
	}
	c.refs--
	if c.refs == 0 {
		c.cancel()
		delete(h.checkers, backend)
	}
}

// wait waits for every checker to end, once the context has.
func (h *healthChecks) wait() { h.wg.Wait() }

// checker probes one backend with TCP connects.
type checker struct {
	backend netip.AddrPort
	cfg     *Config
	log     logr.Logger
	cancel  context.CancelFunc
	refs    int // guarded by healthChecks.mu

	mu      sync.Mutex
	healthy bool
	// fails and rises count consecutive outcomes.
	fails, rises int
}

func (c *checker) run(ctx context.Context) {
	t := time.NewTicker(c.cfg.HealthCheckInterval)
	defer t.Stop()
	for {
		c.check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (c *checker) check(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, c.cfg.HealthCheckTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(cctx, "tcp", c.backend.String())
	if ctx.Err() != nil {
		return // stopped: the outcome means nothing
	}
	if err == nil {
		_ = conn.Close()
	}
	c.record(err == nil)
}

// failed records a failed connection to the backend made for a client;
// it counts as a failed check.
func (c *checker) failed() { c.record(false) }

func (c *checker) record(ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ok {
		c.fails = 0
		c.rises++
		if !c.healthy && c.rises >= c.cfg.RiseThreshold {
			c.healthy = true
			c.log.Info("Load-balancer backend is healthy again", "backend", c.backend)
		}
		return
	}
	c.rises = 0
	c.fails++
	if c.healthy && c.fails >= c.cfg.FallThreshold {
		c.healthy = false
		c.log.Info("Load-balancer backend failed its health checks; it is out of rotation", "backend", c.backend)
	}
}

// isHealthy reports whether new connections may go to the backend.
func (c *checker) isHealthy() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.healthy
}
