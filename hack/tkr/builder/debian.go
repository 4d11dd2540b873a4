package builder

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// debianPackages are installed on top of debootstrap's minbase: the
// container runtime, what kubeadm's preflight checks and the kubelet run
// (iptables, conntrack, ebtables, ethtool, socat, mount, losetup, nsenter,
// ip, tc), and nothing that needs systemd to run.
var debianPackages = []string{
	"ca-certificates", "conntrack", "containerd", "ebtables", "ethtool", "iproute2", "iptables", "kmod",
	"mount", "nftables", "procps", "runc", "socat", "util-linux",
}

// debianInputs are what the Debian base is made from.
func (b *build) debianInputs() []string {
	return []string{"recipe=debian/1", "suite=" + b.o.Suite, "mirror=" + b.o.Mirror, "security=" + b.o.SecurityMirror,
		"packages=" + strings.Join(debianPackages, ",")}
}

// resolveBase names the Debian base's directory,
// <cache>/debian-<suite>-<fingerprint>, and when it exists reads its
// package versions into the release.
func (b *build) resolveBase() error {
	b.base = filepath.Join(b.o.Cache, fmt.Sprintf("debian-%s-%s", b.o.Suite, fingerprint(b.debianInputs())[:12]))
	if _, err := os.Stat(b.base + ".packages"); err != nil {
		return nil
	}
	return b.baseComponents(b.base + ".packages")
}

// debian makes the node's base OS with debootstrap (minbase), brings it up
// to date from the security and updates suites, and caches it: every
// release built on this machine shares it.
func (b *build) debian(ctx context.Context) error {
	packages := b.base + ".packages"
	if allExist([]string{filepath.Join(b.base, "usr/bin/containerd"), packages}) {
		b.logf("%-10s cached in %s", "debian", b.base)
		b.timings = append(b.timings, timing{step: "debian", skipped: true})
		return nil
	}
	err := b.step("debian", append(b.debianInputs(), "dir="+b.base), []string{filepath.Join(b.base, "usr/bin/containerd"), packages}, func() error {
		if os.Geteuid() != 0 {
			return fmt.Errorf("debootstrap needs root")
		}
		if _, err := exec.LookPath("debootstrap"); err != nil {
			return fmt.Errorf("debootstrap is not installed (apt-get install -y debootstrap): %w", err)
		}
		if err := os.MkdirAll(b.o.Cache, 0o755); err != nil {
			return err
		}
		tmp := b.base + ".tmp"
		if err := os.RemoveAll(tmp); err != nil {
			return err
		}
		if err := b.run(ctx, "", nil, "debootstrap", "--variant=minbase", "--include="+strings.Join(debianPackages, ","),
			b.o.Suite, tmp, b.o.Mirror); err != nil {
			return err
		}
		if err := b.upgrade(ctx, tmp); err != nil {
			return err
		}
		list, err := exec.CommandContext(ctx, "chroot", tmp, "dpkg-query", "-W", "-f", "${Package} ${Version}\n").Output()
		if err != nil {
			return fmt.Errorf("listing packages: %w", err)
		}
		if err := os.WriteFile(packages, list, 0o644); err != nil {
			return err
		}
		return replaceDir(tmp, b.base)
	})
	if err != nil {
		return err
	}
	return b.baseComponents(packages)
}

// upgrade applies the suite's security and stable updates inside root,
// with daemons kept from starting, and empties apt's caches.
func (b *build) upgrade(ctx context.Context, root string) error {
	sources := fmt.Sprintf("deb %[1]s %[2]s main\ndeb %[1]s %[2]s-updates main\ndeb %[3]s %[2]s-security main\n",
		b.o.Mirror, b.o.Suite, b.o.SecurityMirror)
	if err := os.WriteFile(filepath.Join(root, "etc/apt/sources.list"), []byte(sources), 0o644); err != nil {
		return err
	}
	resolv, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(root, "etc/resolv.conf"), resolv, 0o644); err != nil {
		return err
	}
	policy := filepath.Join(root, "usr/sbin/policy-rc.d")
	if err := os.WriteFile(policy, []byte("#!/bin/sh\nexit 101\n"), 0o755); err != nil {
		return err
	}
	env := []string{"DEBIAN_FRONTEND=noninteractive", "LC_ALL=C"}
	for _, args := range [][]string{
		{"apt-get", "update"},
		{"apt-get", "-y", "-o", "Dpkg::Options::=--force-confold", "dist-upgrade"},
		{"apt-get", "clean"},
	} {
		if err := b.run(ctx, "", env, "chroot", append([]string{root}, args...)...); err != nil {
			return err
		}
	}
	if err := os.Remove(policy); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, "etc/resolv.conf"), nil, 0o644)
}

// debianVersionsOf reads the versions of some packages from the base's
// package list.
func debianVersionsOf(listPath string, names ...string) (map[string]string, error) {
	f, err := os.Open(listPath)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	want := map[string]bool{}
	for _, n := range names {
		want[n] = true
	}
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if name, version, ok := strings.Cut(sc.Text(), " "); ok && want[name] {
			out[name] = version
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var missing []string
	for n := range want {
		if _, ok := out[n]; !ok {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		return nil, fmt.Errorf("the base has no %s", strings.Join(missing, ", "))
	}
	return out, nil
}

// baseComponents records the versions of the base's runtime packages in
// the release.
func (b *build) baseComponents(packages string) error {
	versions, err := debianVersionsOf(packages, "containerd", "runc", "iptables", "base-files")
	if err != nil {
		return err
	}
	for k, v := range versions {
		b.release.Components[k] = v
	}
	return nil
}
