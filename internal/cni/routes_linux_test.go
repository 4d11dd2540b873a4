package cni

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestSyncRoutes programs routes in a network namespace of its own, as
// root: it adds missing routes, replaces changed ones, deletes its stale
// ones and leaves routes of other protocols alone.
func TestSyncRoutes(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (a network namespace)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("needs iproute2")
	}
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	ns := "kvcni-test-" + hex.EncodeToString(b)
	ip := func(args ...string) string {
		t.Helper()
		out, err := exec.Command("ip", append([]string{"-n", ns}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("ip %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	if out, err := exec.Command("ip", "netns", "add", ns).CombinedOutput(); err != nil {
		t.Fatalf("ip netns add: %v: %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "netns", "del", ns).Run() })
	ip("link", "add", "eth0", "type", "veth", "peer", "name", "eth1") // no dummy driver on some kernels
	ip("link", "set", "eth1", "up")
	ip("addr", "add", "10.250.0.1/24", "dev", "eth0")
	ip("link", "set", "eth0", "up")
	ip("route", "add", "100.97.0.0/24", "via", "10.250.0.9")                // someone else's
	ip("route", "add", "100.96.9.0/24", "via", "10.250.0.3", "proto", "75") // stale
	ip("route", "add", "100.96.2.0/24", "via", "10.250.0.8", "proto", "75") // changed

	r := func(dst, via string) route {
		return route{dst: netip.MustParsePrefix(dst), via: netip.MustParseAddr(via)}
	}
	want := []route{r("100.96.1.0/24", "10.250.0.2"), r("100.96.2.0/24", "10.250.0.4"), r("100.96.3.0/24", "192.0.2.1")}
	err := inNetns(t, ns, func() error { return syncRoutes(context.Background(), want) })
	// 192.0.2.1 is not on any link: that route fails, the others are made.
	if err == nil || !strings.Contains(err.Error(), "100.96.3.0/24") {
		t.Errorf("syncRoutes = %v; want an error for the unreachable next hop only", err)
	}
	got := ip("route", "show", "proto", "75")
	wantShow := "100.96.1.0/24 via 10.250.0.2 dev eth0 \n100.96.2.0/24 via 10.250.0.4 dev eth0 \n"
	if got != wantShow {
		t.Errorf("kubevisor-cni routes:\n%s\nwant:\n%s", got, wantShow)
	}
	if all := ip("route", "show"); !strings.Contains(all, "100.97.0.0/24 via 10.250.0.9") {
		t.Errorf("another protocol's route was touched:\n%s", all)
	}
	// Again with the reachable routes only: nothing to do, no error.
	if err := inNetns(t, ns, func() error { return syncRoutes(context.Background(), want[:2]) }); err != nil {
		t.Errorf("second sync: %v", err)
	}
	if err := inNetns(t, ns, func() error { return syncRoutes(context.Background(), nil) }); err != nil {
		t.Errorf("sync to none: %v", err)
	}
	if got := ip("route", "show", "proto", "75"); got != "" {
		t.Errorf("routes left:\n%s", got)
	}
}

// inNetns runs f on a thread that has joined the named network namespace;
// the thread is thrown away afterwards.
func inNetns(t *testing.T, name string, f func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		fd, err := unix.Open("/run/netns/"+name, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			done <- err
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			done <- err
			return
		}
		done <- f()
	}()
	return <-done
}
