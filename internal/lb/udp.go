package lb

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// udpListener proxies the UDP datagrams of one address and port. Each
// client address is a flow with its own socket to one backend, chosen
// round-robin when the flow starts; replies go back from the listening
// address. A flow ends after UDPIdleTimeout without datagrams from the
// client, or when its backend is removed. UDP backends have no active
// health check: endpoint readiness alone decides.
type udpListener struct {
	b   *Balancer
	key listenerKey
	pc  *net.UDPConn
	wg  sync.WaitGroup

	mu     sync.Mutex
	closed bool
	cfg    listenerConfig
	next   int
	flows  map[netip.AddrPort]*udpFlow
}

// udpFlow is one client's datagrams to one backend.
type udpFlow struct {
	client, backend netip.AddrPort
	up              *net.UDPConn
	// last is when the client last sent, in UnixNano; guarded by the
	// listener's mu.
	last int64
}

func openUDP(b *Balancer, k listenerKey, cfg listenerConfig) (*udpListener, error) {
	pc, err := listenConfig.ListenPacket(b.ctx, network(k), k.addr.String())
	if err != nil {
		return nil, err
	}
	l := &udpListener{b: b, key: k, pc: pc.(*net.UDPConn), cfg: cfg, flows: map[netip.AddrPort]*udpFlow{}}
	l.wg.Add(1)
	go l.read()
	return l, nil
}

func (l *udpListener) update(cfg listenerConfig) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return
	}
	keep := map[netip.AddrPort]bool{}
	for _, be := range cfg.backends {
		keep[be] = true
	}
	for _, f := range l.flows {
		if !keep[f.backend] {
			_ = f.up.Close() // its reply loop removes it
		}
	}
	l.cfg = cfg
}

func (l *udpListener) close() {
	l.mu.Lock()
	l.closed = true
	_ = l.pc.Close()
	for _, f := range l.flows {
		_ = f.up.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

func (l *udpListener) read() {
	defer l.wg.Done()
	buf := make([]byte, 64*1024)
	for {
		n, client, err := l.pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		client = netip.AddrPortFrom(client.Addr().Unmap(), client.Port())
		f := l.flow(client)
		if f == nil {
			continue
		}
		_, _ = f.up.Write(buf[:n])
	}
}

// flow returns client's flow, starting one if the client is allowed and a
// backend exists.
func (l *udpListener) flow(client netip.AddrPort) *udpFlow {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f := l.flows[client]; f != nil {
		f.last = time.Now().UnixNano()
		return f
	}
	if l.closed || !l.cfg.allowed(client.Addr()) || len(l.cfg.backends) == 0 {
		return nil
	}
	be := l.cfg.backends[l.next%len(l.cfg.backends)]
	l.next++
	up, err := net.DialUDP("udp", nil, net.UDPAddrFromAddrPort(be))
	if err != nil {
		return nil
	}
	f := &udpFlow{client: client, backend: be, up: up, last: time.Now().UnixNano()}
	l.flows[client] = f
	l.wg.Add(1)
	go l.reply(f)
	return f
}

// reply sends the backend's datagrams back to the client until the flow
// is idle or closed.
func (l *udpListener) reply(f *udpFlow) {
	defer l.wg.Done()
	defer func() {
		l.mu.Lock()
		if l.flows[f.client] == f {
			delete(l.flows, f.client)
		}
		l.mu.Unlock()
		_ = f.up.Close()
	}()
	buf := make([]byte, 64*1024)
	idle := l.b.cfg.UDPIdleTimeout
	for {
		_ = f.up.SetReadDeadline(time.Now().Add(idle))
		n, err := f.up.Read(buf)
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				return // closed, or the backend refused (ICMP unreachable)
			}
			l.mu.Lock()
			quiet := time.Since(time.Unix(0, f.last)) >= idle
			l.mu.Unlock()
			if quiet {
				return
			}
			continue
		}
		_, _ = l.pc.WriteToUDPAddrPort(buf[:n], f.client)
	}
}
