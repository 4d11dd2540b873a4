package lb

import (
	"context"
	"errors"
	"io"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// listenConfig binds with IP_FREEBIND, so a listener can open before its
// address is on the host (or while the interface is being recreated).
var listenConfig = net.ListenConfig{
	Control: func(network, _ string, rc syscall.RawConn) error {
		var serr error
		err := rc.Control(func(fd uintptr) {
			if network == "tcp6" || network == "udp6" {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_IPV6, unix.IPV6_FREEBIND, 1)
			} else {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_IP, unix.IP_FREEBIND, 1)
			}
		})
		if err != nil {
			return err
		}
		return serr
	},
}

// network is "tcp4"/"udp4" or "tcp6"/"udp6" for the listener's address.
func network(k listenerKey) string {
	n := "tcp"
	if k.proto == UDP {
		n = "udp"
	}
	if k.addr.Addr().Is4() {
		return n + "4"
	}
	return n + "6"
}

// tcpListener proxies the TCP connections of one address and port.
type tcpListener struct {
	b   *Balancer
	key listenerKey
	ln  *net.TCPListener
	wg  sync.WaitGroup

	mu       sync.Mutex
	closed   bool
	cfg      listenerConfig
	checkers map[netip.AddrPort]*checker
	// next is where the round-robin search starts.
	next int
	// conns are the open client connections, by backend.
	conns map[netip.AddrPort]map[*proxied]struct{}
}

// proxied is a client connection and its backend connection.
type proxied struct {
	client, backend *net.TCPConn
}

func (p *proxied) close() {
	_ = p.client.Close()
	_ = p.backend.Close()
}

func openTCP(b *Balancer, k listenerKey, cfg listenerConfig) (*tcpListener, error) {
	ln, err := listenConfig.Listen(b.ctx, network(k), k.addr.String())
	if err != nil {
		return nil, err
	}
	l := &tcpListener{
		b: b, key: k, ln: ln.(*net.TCPListener),
		checkers: map[netip.AddrPort]*checker{},
		conns:    map[netip.AddrPort]map[*proxied]struct{}{},
	}
	l.update(cfg)
	l.wg.Add(1)
	go l.accept()
	return l, nil
}

func (l *tcpListener) update(cfg listenerConfig) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || cfg.equal(l.cfg) && len(l.checkers) == len(cfg.backends) {
		return
	}
	keep := map[netip.AddrPort]bool{}
	for _, be := range cfg.backends {
		keep[be] = true
		if l.checkers[be] == nil {
			l.checkers[be] = l.b.health.acquire(be)
		}
	}
	for be := range l.checkers {
		if keep[be] {
			continue
		}
		l.b.health.release(be)
		delete(l.checkers, be)
		for p := range l.conns[be] {
			p.close()
		}
	}
	l.cfg = cfg
}

func (l *tcpListener) close() {
	l.mu.Lock()
	l.closed = true
	_ = l.ln.Close()
	for be, ps := range l.conns {
		for p := range ps {
			p.close()
		}
		delete(l.conns, be)
	}
	for be := range l.checkers {
		l.b.health.release(be)
		delete(l.checkers, be)
	}
	l.mu.Unlock()
	l.wg.Wait()
}

func (l *tcpListener) accept() {
	defer l.wg.Done()
	for {
		c, err := l.ln.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors or similar: back off a little.
			select {
			case <-l.b.ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		l.mu.Lock()
		if l.closed {
			l.mu.Unlock()
			_ = c.Close()
			return
		}
		l.wg.Add(1)
		l.mu.Unlock()
		go l.serve(c)
	}
}

// serve connects c to a healthy backend, trying the next one when a
// connection attempt fails, and copies data both ways until both sides are
// done.
func (l *tcpListener) serve(c *net.TCPConn) {
	defer l.wg.Done()
	from := c.RemoteAddr().(*net.TCPAddr).AddrPort()
	l.mu.Lock()
	allowed := l.cfg.allowed(from.Addr())
	attempts := len(l.cfg.backends)
	l.mu.Unlock()
	if !allowed {
		reset(c)
		return
	}
	for range attempts {
		be, chk := l.pick()
		if chk == nil {
			break
		}
		ctx, cancel := context.WithTimeout(l.b.ctx, l.b.cfg.DialTimeout)
		var d net.Dialer
		up, err := d.DialContext(ctx, "tcp", be.String())
		cancel()
		if err != nil {
			if l.b.ctx.Err() != nil {
				break
			}
			chk.failed()
			continue
		}
		p := &proxied{client: c, backend: up.(*net.TCPConn)}
		if !l.track(be, p) {
			p.close() // the backend was removed meanwhile
			return
		}
		pipe(p)
		l.untrack(be, p)
		return
	}
	reset(c)
}

// pick chooses the next healthy backend, round-robin.
func (l *tcpListener) pick() (netip.AddrPort, *checker) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := len(l.cfg.backends)
	for i := range n {
		idx := (l.next + i) % n
		be := l.cfg.backends[idx]
		if chk := l.checkers[be]; chk != nil && chk.isHealthy() {
			l.next = idx + 1
			return be, chk
		}
	}
	return netip.AddrPort{}, nil
}

func (l *tcpListener) track(be netip.AddrPort, p *proxied) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed || l.checkers[be] == nil {
		return false
	}
	if l.conns[be] == nil {
		l.conns[be] = map[*proxied]struct{}{}
	}
	l.conns[be][p] = struct{}{}
	return true
}

func (l *tcpListener) untrack(be netip.AddrPort, p *proxied) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.conns[be], p)
	if len(l.conns[be]) == 0 {
		delete(l.conns, be)
	}
}

// pipe copies both ways, passing on half-closes, and closes both
// connections when both directions are done. io.Copy between two
// *net.TCPConn uses splice(2).
func pipe(p *proxied) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(p.backend, p.client)
		_ = p.backend.CloseWrite()
	}()
	_, _ = io.Copy(p.client, p.backend)
	_ = p.client.CloseWrite()
	<-done
	p.close()
}

// reset closes c with a RST, so the client learns at once that nobody
// serves it.
func reset(c *net.TCPConn) {
	_ = c.SetLinger(0)
	_ = c.Close()
}
