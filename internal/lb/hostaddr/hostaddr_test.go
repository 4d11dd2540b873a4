package hostaddr

import (
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"slices"
	"testing"

	"golang.org/x/sys/unix"
)

// inNewNetns runs f on a thread of its own in a new network namespace,
// which disappears with the thread when f returns. Everything f does on
// that thread (netlink requests, sockets it opens) stays in the namespace.
func inNewNetns(t *testing.T, f func(t *testing.T)) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root for a network namespace")
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Never unlocked: the thread ends with this goroutine, and its
		// namespace with it.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			t.Errorf("unshare: %v", err)
			return
		}
		f(t)
	}()
	<-done
}

func sorted(addrs []netip.Addr) []string {
	var out []string
	for _, a := range addrs {
		out = append(out, a.String())
	}
	slices.Sort(out)
	return out
}

func TestInterface(t *testing.T) {
	inNewNetns(t, func(t *testing.T) {
		lo := &Interface{Name: "lo"}
		if err := lo.Ensure(); err != nil {
			t.Error(err)
			return
		}
		ifc := &Interface{Name: "kv-lb-test"}
		if have, err := ifc.Addresses(); err != nil || len(have) != 0 {
			t.Errorf("Addresses of a missing interface = %v, %v", have, err)
		}
		want := []netip.Addr{netip.MustParseAddr("198.19.0.5"), netip.MustParseAddr("198.19.0.6"), netip.MustParseAddr("2001:db8::5")}
		for range 2 { // a second Sync changes nothing
			if removed, err := ifc.Sync(want); err != nil || len(removed) != 0 {
				t.Errorf("Sync = %v, %v", removed, err)
				return
			}
		}
		have, err := ifc.Addresses()
		if err != nil || !slices.Equal(sorted(have), []string{"198.19.0.5", "198.19.0.6", "2001:db8::5"}) {
			t.Errorf("Addresses = %v, %v", have, err)
		}

		removed, err := ifc.Sync(want[1:2])
		if err != nil || !slices.Equal(sorted(removed), []string{"198.19.0.5", "2001:db8::5"}) {
			t.Errorf("Sync removed %v, %v", removed, err)
		}
		if err := ifc.Remove(want[0]); err != nil {
			t.Errorf("removing an absent address: %v", err)
		}

		// The address is local: a listener on it is reachable.
		ln, err := net.Listen("tcp", "198.19.0.6:8080")
		if err != nil {
			t.Error(err)
			return
		}
		defer ln.Close()
		go func() {
			c, err := ln.Accept()
			if err == nil {
				_, _ = c.Write([]byte("hello"))
				_ = c.Close()
			}
		}()
		c, err := net.Dial("tcp", "198.19.0.6:8080")
		if err != nil {
			t.Error(err)
			return
		}
		got, _ := io.ReadAll(c)
		_ = c.Close()
		if string(got) != "hello" {
			t.Errorf("read %q through the address", got)
		}

		if err := ifc.Delete(); err != nil {
			t.Error(err)
		}
		if _, err := net.InterfaceByName("kv-lb-test"); err == nil {
			t.Error("interface still exists after Delete")
		}
		if err := (&Interface{Name: "lo"}).Delete(); err != nil {
			t.Errorf("Delete of an interface it did not create: %v", err)
		}
		if _, err := net.InterfaceByName("lo"); err != nil {
			t.Errorf("lo was deleted: %v", err)
		}
	})
}
