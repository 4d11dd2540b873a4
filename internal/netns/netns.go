package netns

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Dir is where iproute2 keeps named network namespaces.
const Dir = "/run/netns"

// MaxLinkName is the longest interface name the kernel takes.
const MaxLinkName = 15

// Path is the bind-mounted namespace file of a named namespace.
func Path(name string) string { return filepath.Join(Dir, name) }

// Bridge describes the host bridge of the VM network.
type Bridge struct {
	// Name is the bridge interface's name.
	Name string
	// Gateway is the bridge's address with the VM network's prefix length,
	// e.g. 198.18.0.1/16.
	Gateway netip.Prefix
	// MTU is the bridge's MTU; 0 leaves the default.
	MTU int
}

// EnsureBridge creates the bridge if missing, gives it its address, brings
// it up, and turns on IPv4 forwarding.
func EnsureBridge(ctx context.Context, b Bridge) error {
	if err := checkLinkName(b.Name); err != nil {
		return err
	}
	if !LinkExists(b.Name) {
		if err := ip(ctx, "link", "add", b.Name, "type", "bridge"); err != nil && !LinkExists(b.Name) {
			return fmt.Errorf("creating bridge %s: %w", b.Name, err)
		}
	}
	if b.MTU > 0 {
		if err := ip(ctx, "link", "set", b.Name, "mtu", strconv.Itoa(b.MTU)); err != nil {
			return fmt.Errorf("setting MTU of %s: %w", b.Name, err)
		}
	}
	has, err := hasAddr(ctx, "", b.Name, b.Gateway)
	if err != nil {
		return err
	}
	if !has {
		if err := ip(ctx, "addr", "add", b.Gateway.String(), "dev", b.Name); err != nil {
			return fmt.Errorf("adding %s to %s: %w", b.Gateway, b.Name, err)
		}
	}
	if err := ip(ctx, "link", "set", b.Name, "up"); err != nil {
		return fmt.Errorf("bringing %s up: %w", b.Name, err)
	}
	if err := os.WriteFile("/proc/sys/net/ipv4/ip_forward", []byte("1\n"), 0o644); err != nil {
		return fmt.Errorf("enabling IPv4 forwarding: %w", err)
	}
	return nil
}

// DeleteLink removes a host interface if it exists (a bridge, a veth end).
func DeleteLink(ctx context.Context, name string) error {
	if !LinkExists(name) {
		return nil
	}
	if err := ip(ctx, "link", "del", name); err != nil && LinkExists(name) {
		return fmt.Errorf("deleting link %s: %w", name, err)
	}
	return nil
}

// LinkExists reports whether a host interface exists.
func LinkExists(name string) bool {
	_, err := os.Lstat(filepath.Join("/sys/class/net", name))
	return err == nil
}

// Exists reports whether the named namespace exists and is a live
// namespace (not a stale file left by a crash).
func Exists(name string) bool {
	var st unix.Statfs_t
	if err := unix.Statfs(Path(name), &st); err != nil {
		return false
	}
	return st.Type == unix.NSFS_MAGIC
}

// EnsureNamespace makes the named namespace exist. If pid is not 0 and the
// name is missing, the namespace of that process is named (a VM that kept
// running while its name was lost) instead of making a new, empty one.
func EnsureNamespace(ctx context.Context, name string, pid int) error {
	if Exists(name) {
		return nil
	}
	// A stale file (no namespace mounted on it) makes "ip netns add" fail.
	_ = unix.Unmount(Path(name), unix.MNT_DETACH)
	if err := os.Remove(Path(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing stale namespace file %s: %w", name, err)
	}
	args := []string{"netns", "add", name}
	if pid > 0 {
		args = []string{"netns", "attach", name, strconv.Itoa(pid)}
	}
	if err := ip(ctx, args...); err != nil {
		return fmt.Errorf("creating network namespace %s: %w", name, err)
	}
	return nil
}

// DeleteNamespace removes the named namespace; the interfaces in it go with
// it once no process holds it. Removing a missing namespace is not an error.
func DeleteNamespace(ctx context.Context, name string) error {
	if _, err := os.Lstat(Path(name)); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if Exists(name) {
		if err := ip(ctx, "netns", "del", name); err != nil && Exists(name) {
			return fmt.Errorf("deleting network namespace %s: %w", name, err)
		}
	}
	_ = unix.Unmount(Path(name), unix.MNT_DETACH)
	if err := os.Remove(Path(name)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("deleting network namespace %s: %w", name, err)
	}
	return nil
}

// Veth is one VM's link to the bridge.
type Veth struct {
	// Namespace is the VM's named network namespace.
	Namespace string
	// Host is the host end's name (on the bridge); Guest the end's name in
	// the namespace (eth0).
	Host, Guest string
	// HostMAC and GuestMAC are fixed MAC addresses ("" for random).
	HostMAC, GuestMAC string
	// Bridge is the bridge the host end joins.
	Bridge string
	// Addr is the guest's address with the network's prefix length.
	Addr netip.Prefix
	// Gateway is the default route's next hop (the bridge's address).
	Gateway netip.Addr
	// MTU is the MTU of both ends; 0 leaves the default.
	MTU int
}

// EnsureVeth creates the veth pair if missing, attaches the host end to
// the bridge, and configures the guest end's address, loopback and default
// route inside the namespace.
func EnsureVeth(ctx context.Context, v Veth) error {
	if err := checkLinkName(v.Host); err != nil {
		return err
	}
	if err := checkLinkName(v.Guest); err != nil {
		return err
	}
	if LinkExists(v.Host) && !guestLinkExists(ctx, v.Namespace, v.Guest) {
		// A host end whose peer is not in the namespace is left from an
		// earlier namespace: start again.
		if err := DeleteLink(ctx, v.Host); err != nil {
			return err
		}
	}
	if !LinkExists(v.Host) {
		args := []string{"link", "add", v.Host}
		if v.HostMAC != "" {
			args = append(args, "address", v.HostMAC)
		}
		if v.MTU > 0 {
			args = append(args, "mtu", strconv.Itoa(v.MTU))
		}
		args = append(args, "type", "veth", "peer", "name", v.Guest)
		if v.GuestMAC != "" {
			args = append(args, "address", v.GuestMAC)
		}
		if v.MTU > 0 {
			args = append(args, "mtu", strconv.Itoa(v.MTU))
		}
		args = append(args, "netns", v.Namespace)
		if err := ip(ctx, args...); err != nil {
			return fmt.Errorf("creating veth %s: %w", v.Host, err)
		}
	}
	if err := ip(ctx, "link", "set", v.Host, "master", v.Bridge, "up"); err != nil {
		return fmt.Errorf("attaching %s to %s: %w", v.Host, v.Bridge, err)
	}
	has, err := hasAddr(ctx, v.Namespace, v.Guest, v.Addr)
	if err != nil {
		return err
	}
	if !has {
		if err := ip(ctx, "-n", v.Namespace, "addr", "add", v.Addr.String(), "dev", v.Guest); err != nil {
			return fmt.Errorf("adding %s to %s: %w", v.Addr, v.Guest, err)
		}
	}
	for _, args := range [][]string{
		{"-n", v.Namespace, "link", "set", "lo", "up"},
		{"-n", v.Namespace, "link", "set", v.Guest, "up"},
		{"-n", v.Namespace, "route", "replace", "default", "via", v.Gateway.String(), "dev", v.Guest},
	} {
		if err := ip(ctx, args...); err != nil {
			return fmt.Errorf("configuring %s in %s: %w", v.Guest, v.Namespace, err)
		}
	}
	return nil
}

func guestLinkExists(ctx context.Context, ns, name string) bool {
	if !Exists(ns) {
		return false
	}
	return ip(ctx, "-n", ns, "link", "show", "dev", name) == nil
}

// hasAddr reports whether dev (in namespace ns, "" for the host) has addr.
func hasAddr(ctx context.Context, ns, dev string, addr netip.Prefix) (bool, error) {
	args := []string{"-j", "addr", "show", "dev", dev}
	if ns != "" {
		args = append([]string{"-n", ns}, args...)
	}
	out, err := ipOutput(ctx, args...)
	if err != nil {
		return false, fmt.Errorf("listing addresses of %s: %w", dev, err)
	}
	var links []struct {
		AddrInfo []struct {
			Family    string `json:"family"`
			Local     string `json:"local"`
			PrefixLen int    `json:"prefixlen"`
		} `json:"addr_info"`
	}
	if err := json.Unmarshal(out, &links); err != nil {
		return false, fmt.Errorf("listing addresses of %s: %w", dev, err)
	}
	for _, l := range links {
		for _, a := range l.AddrInfo {
			if a.Local == addr.Addr().String() && a.PrefixLen == addr.Bits() {
				return true, nil
			}
		}
	}
	return false, nil
}

func checkLinkName(name string) error {
	if name == "" || len(name) > MaxLinkName || strings.ContainsAny(name, "/ \t\n:") {
		return fmt.Errorf("invalid interface name %q (1-%d characters, no '/', ':' or spaces)", name, MaxLinkName)
	}
	return nil
}

func ip(ctx context.Context, args ...string) error {
	_, err := ipOutput(ctx, args...)
	return err
}

func ipOutput(ctx context.Context, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "ip", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("ip %s: %s: %w", strings.Join(args, " "), strings.TrimSpace(stderr.String()), err)
	}
	return out, nil
}
