package lb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
)

// All traffic in these tests stays on 127.0.0.0/8: backends and the
// load-balancer address are loopback addresses, which are local already,
// so no host interface is touched.

// backend is a TCP server that greets each connection with its name and
// then echoes what it reads.
type backend struct {
	t    *testing.T
	name string
	addr netip.AddrPort

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func startBackend(t *testing.T, name, ip string) *backend {
	b := &backend{t: t, name: name, addr: netip.AddrPortFrom(netip.MustParseAddr(ip), 0), conns: map[net.Conn]struct{}{}}
	b.start()
	t.Cleanup(b.stop)
	return b
}

func (b *backend) start() {
	ln, err := net.Listen("tcp", b.addr.String())
	if err != nil {
		b.t.Fatal(err)
	}
	b.addr = ln.Addr().(*net.TCPAddr).AddrPort()
	b.mu.Lock()
	b.ln = ln
	b.mu.Unlock()
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.mu.Lock()
			b.conns[c] = struct{}{}
			b.mu.Unlock()
			b.wg.Add(1)
			go func() {
				defer b.wg.Done()
				_, _ = fmt.Fprintln(c, b.name)
				_, _ = io.Copy(c, c)
				_ = c.Close()
				b.mu.Lock()
				delete(b.conns, c)
				b.mu.Unlock()
			}()
		}
	}()
}

func (b *backend) stop() {
	b.mu.Lock()
	if b.ln != nil {
		_ = b.ln.Close()
		b.ln = nil
	}
	for c := range b.conns {
		_ = c.Close()
	}
	b.mu.Unlock()
	b.wg.Wait()
}

// freePort returns a TCP port free on ip a moment ago.
func freePort(t *testing.T, ip string) uint16 {
	ln, err := net.Listen("tcp", ip+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).AddrPort().Port()
}

// dial connects to addr from the loopback address from ("" for the
// default).
func dial(addr netip.AddrPort, from string) (*net.TCPConn, error) {
	d := net.Dialer{Timeout: 2 * time.Second}
	if from != "" {
		d.LocalAddr = &net.TCPAddr{IP: net.ParseIP(from)}
	}
	c, err := d.Dial("tcp", addr.String())
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	return c.(*net.TCPConn), nil
}

// hit makes one connection through the balancer and returns the greeting:
// the backend's name, or "" when the connection was refused or closed
// without one.
func hit(t *testing.T, addr netip.AddrPort, from string) string {
	t.Helper()
	c, err := dial(addr, from)
	if err != nil {
		return ""
	}
	defer c.Close()
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return ""
	}
	return strings.TrimSpace(line)
}

// eventually polls check every 50ms until it returns nil or timeout
// passes, and returns how long it took.
func eventually(t *testing.T, timeout time.Duration, what string, check func() error) time.Duration {
	t.Helper()
	start := time.Now()
	var err error
	for time.Since(start) < timeout {
		if err = check(); err == nil {
			return time.Since(start)
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s: %v", what, timeout, err)
	return 0
}

func tcpService(ip string, port uint16, backends ...*backend) *Service {
	p := Port{Protocol: TCP, Port: port}
	for _, b := range backends {
		p.Backends = append(p.Backends, b.addr)
	}
	return &Service{IP: netip.MustParseAddr(ip), Ports: []Port{p}}
}

func (b *Balancer) healthy(backend netip.AddrPort) bool {
	b.health.mu.Lock()
	c := b.health.checkers[backend]
	b.health.mu.Unlock()
	return c != nil && c.isHealthy()
}

func TestBalancer(t *testing.T) {
	a := startBackend(t, "a", "127.0.0.21")
	b := startBackend(t, "b", "127.0.0.22")
	baseline := runtime.NumGoroutine()

	bal := New(Config{Logger: testr.New(t)})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan error)
	go func() { stopped <- bal.Start(ctx) }()

	port := freePort(t, "127.0.0.20")
	lbAddr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.20"), port)
	if err := bal.Set("ns/web", tcpService("127.0.0.20", port, a, b)); err != nil {
		t.Fatal(err)
	}

	t.Run("RoundRobin", func(t *testing.T) {
		var got []string
		for range 6 {
			got = append(got, hit(t, lbAddr, ""))
		}
		if strings.Join(got, " ") != "a b a b a b" {
			t.Errorf("backends in turn = %v, want a and b alternating", got)
		}
	})

	t.Run("FailedBackendLeavesRotation", func(t *testing.T) {
		b.stop()
		stoppedAt := time.Now()
		// Clients never notice: a refused backend connection is retried
		// on the next backend.
		for range 4 {
			if got := hit(t, lbAddr, ""); got != "a" {
				t.Fatalf("connection while b is down went to %q", got)
			}
		}
		eventually(t, 5*time.Second-time.Since(stoppedAt), "b leaves the rotation", func() error {
			if bal.healthy(b.addr) {
				return errors.New("b is still healthy")
			}
			return nil
		})
		t.Logf("b left the rotation %s after it stopped", time.Since(stoppedAt).Round(time.Millisecond))

		b.start()
		took := eventually(t, 10*time.Second, "b comes back", func() error {
			if got := hit(t, lbAddr, ""); got != "b" && hit(t, lbAddr, "") != "b" {
				return errors.New("no connection reached b")
			}
			return nil
		})
		t.Logf("b was back in rotation %s after it restarted", took.Round(time.Millisecond))
	})

	t.Run("BackendHealthCheckOnly", func(t *testing.T) {
		// Without clients, the active checks alone take a backend out.
		a.stop()
		stoppedAt := time.Now()
		eventually(t, 5*time.Second, "a leaves the rotation", func() error {
			if bal.healthy(a.addr) {
				return errors.New("a is still healthy")
			}
			return nil
		})
		t.Logf("a left the rotation %s after it stopped, with no client traffic", time.Since(stoppedAt).Round(time.Millisecond))
		for range 3 {
			if got := hit(t, lbAddr, ""); got != "b" {
				t.Fatalf("connection went to %q, want b", got)
			}
		}
		a.start()
		eventually(t, 10*time.Second, "a comes back", func() error {
			if !bal.healthy(a.addr) {
				return errors.New("a is not healthy")
			}
			return nil
		})
	})

	t.Run("RemovedBackendConnectionsClosed", func(t *testing.T) {
		var toA *net.TCPConn
		for range 4 {
			c, err := dial(lbAddr, "")
			if err != nil {
				t.Fatal(err)
			}
			line, _ := bufio.NewReader(c).ReadString('\n')
			if strings.TrimSpace(line) == "a" {
				toA = c
				break
			}
			_ = c.Close()
		}
		if toA == nil {
			t.Fatal("no connection reached a")
		}
		defer toA.Close()
		if err := bal.Set("ns/web", tcpService("127.0.0.20", port, b)); err != nil {
			t.Fatal(err)
		}
		_ = toA.SetReadDeadline(time.Now().Add(5 * time.Second))
		if n, err := toA.Read(make([]byte, 16)); !errors.Is(err, io.EOF) && !isReset(err) {
			t.Errorf("connection to the removed backend: read %d, %v; want it closed", n, err)
		}
		for range 3 {
			if got := hit(t, lbAddr, ""); got != "b" {
				t.Fatalf("connection went to %q after a was removed", got)
			}
		}
		if err := bal.Set("ns/web", tcpService("127.0.0.20", port, a, b)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("OtherServicesUndisturbed", func(t *testing.T) {
		otherPort := freePort(t, "127.0.0.23")
		otherAddr := netip.AddrPortFrom(netip.MustParseAddr("127.0.0.23"), otherPort)
		if err := bal.Set("ns/other", tcpService("127.0.0.23", otherPort, a)); err != nil {
			t.Fatal(err)
		}
		c, err := dial(otherAddr, "")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		r := bufio.NewReader(c)
		if line, _ := r.ReadString('\n'); strings.TrimSpace(line) != "a" {
			t.Fatalf("greeting %q", line)
		}
		bal.mu.Lock()
		before := bal.listeners[listenerKey{TCP, otherAddr}]
		bal.mu.Unlock()

		// Change and re-set the first service, twice the same.
		for range 2 {
			svc := tcpService("127.0.0.20", port, b, a)
			svc.Ports = append(svc.Ports, Port{Protocol: TCP, Port: freePort(t, "127.0.0.20"), Backends: []netip.AddrPort{a.addr}})
			_ = bal.Set("ns/web", svc)
		}
		bal.mu.Lock()
		after := bal.listeners[listenerKey{TCP, otherAddr}]
		bal.mu.Unlock()
		if before != after {
			t.Error("the other service's listener was replaced")
		}
		if _, err := fmt.Fprintln(c, "still there"); err != nil {
			t.Fatal(err)
		}
		if line, err := r.ReadString('\n'); err != nil || line != "still there\n" {
			t.Errorf("the other service's connection: %q, %v", line, err)
		}
		if err := bal.Set("ns/other", nil); err != nil {
			t.Fatal(err)
		}
		if got := hit(t, otherAddr, ""); got != "" {
			t.Errorf("a removed service still answers: %q", got)
		}
		if err := bal.Set("ns/web", tcpService("127.0.0.20", port, a, b)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("SourceRanges", func(t *testing.T) {
		svc := tcpService("127.0.0.20", port, a, b)
		svc.SourceRanges = []netip.Prefix{netip.MustParsePrefix("127.0.0.99/32"), netip.MustParsePrefix("127.0.1.0/24")}
		if err := bal.Set("ns/web", svc); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			from string
			ok   bool
		}{{"127.0.0.99", true}, {"127.0.1.7", true}, {"127.0.0.98", false}, {"127.0.0.1", false}} {
			got := hit(t, lbAddr, tt.from)
			if (got != "") != tt.ok {
				t.Errorf("from %s: greeting %q, want served = %t", tt.from, got, tt.ok)
			}
		}
		if err := bal.Set("ns/web", tcpService("127.0.0.20", port, a, b)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("NoHealthyBackend", func(t *testing.T) {
		if err := bal.Set("ns/web", tcpService("127.0.0.20", port)); err != nil {
			t.Fatal(err)
		}
		if got := hit(t, lbAddr, ""); got != "" {
			t.Errorf("a service without backends answered %q", got)
		}
		if err := bal.Set("ns/web", tcpService("127.0.0.20", port, a, b)); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("PortConflict", func(t *testing.T) {
		err := bal.Set("ns/thief", tcpService("127.0.0.20", port, a))
		if err == nil || !strings.Contains(err.Error(), "ns/web") {
			t.Errorf("a second service on the same address: %v", err)
		}
		if err := bal.Set("ns/thief", nil); err != nil {
			t.Fatal(err)
		}
		if got := hit(t, lbAddr, ""); got == "" {
			t.Error("the first service stopped answering")
		}
	})

	t.Run("UDP", func(t *testing.T) {
		echo, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP("127.0.0.21")})
		if err != nil {
			t.Fatal(err)
		}
		defer echo.Close()
		go func() {
			buf := make([]byte, 1500)
			for {
				n, from, err := echo.ReadFromUDPAddrPort(buf)
				if err != nil {
					return
				}
				_, _ = echo.WriteToUDPAddrPort(append([]byte("echo "), buf[:n]...), from)
			}
		}()
		udpPort := freePort(t, "127.0.0.24")
		svc := &Service{IP: netip.MustParseAddr("127.0.0.24"), Ports: []Port{{Protocol: UDP, Port: udpPort, Backends: []netip.AddrPort{echo.LocalAddr().(*net.UDPAddr).AddrPort()}}}}
		if err := bal.Set("ns/dns", svc); err != nil {
			t.Fatal(err)
		}
		c, err := net.Dial("udp", netip.AddrPortFrom(svc.IP, udpPort).String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		for _, msg := range []string{"one", "two"} {
			if _, err := c.Write([]byte(msg)); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 100)
			n, err := c.Read(buf)
			if err != nil || string(buf[:n]) != "echo "+msg {
				t.Fatalf("UDP reply %q, %v", buf[:n], err)
			}
			if got := c.RemoteAddr().String(); got != netip.AddrPortFrom(svc.IP, udpPort).String() {
				t.Errorf("reply from %s", got)
			}
		}
	})

	t.Run("CleanShutdown", func(t *testing.T) {
		// A connection open across the shutdown is closed by it.
		open, err := dial(lbAddr, "")
		if err != nil {
			t.Fatal(err)
		}
		defer open.Close()
		cancel()
		select {
		case err := <-stopped:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Start did not return after cancel")
		}
		_ = open.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadAll(open); err != nil && !isReset(err) {
			t.Errorf("a connection open at shutdown: %v", err)
		}
		if err := bal.Set("ns/web", tcpService("127.0.0.20", port, a)); !errors.Is(err, ErrStopped) {
			t.Errorf("Set after stop = %v, want ErrStopped", err)
		}
		// The listening port is free again.
		ln, err := net.Listen("tcp", lbAddr.String())
		if err != nil {
			t.Errorf("the load-balancer port is still taken: %v", err)
		} else {
			_ = ln.Close()
		}
		// Every goroutine of the balancer has ended (the backends' own
		// connections close a moment after the balancer's side). This
		// subtest's goroutine is the one more than before.
		eventually(t, 5*time.Second, "goroutines end", func() error {
			if n := runtime.NumGoroutine(); n > baseline+1 {
				buf := make([]byte, 1<<16)
				return fmt.Errorf("%d goroutines, %d before the balancer started:\n%s", n, baseline, buf[:runtime.Stack(buf, true)])
			}
			return nil
		})
	})
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || errors.Is(err, net.ErrClosed))
}
