package boot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Setup assembles the VM's root file system from c and pivots into it. It
// must run as the first process of fresh mount, PID and UTS namespaces.
func Setup(c Config) error {
	for _, p := range c.CgroupProcs {
		// "0" moves the writing process: our host PID is not visible here.
		if err := os.WriteFile(p, []byte("0\n"), 0o644); err != nil {
			return fmt.Errorf("joining cgroup %s: %w", filepath.Dir(p), err)
		}
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("making mounts private: %w", err)
	}
	if err := mountOverlay(c); err != nil {
		return err
	}
	if err := mountSpecial(c); err != nil {
		return err
	}
	for _, m := range c.Mounts {
		if err := mountOne(c.Root, m); err != nil {
			return err
		}
	}
	for _, d := range c.Devices {
		if err := makeDevice(c.Root, d); err != nil {
			return err
		}
	}
	if c.Hostname != "" {
		if err := unix.Sethostname([]byte(c.Hostname)); err != nil {
			return fmt.Errorf("setting host name: %w", err)
		}
	}
	return pivot(c.Root)
}

func mountOverlay(c Config) error {
	if err := os.MkdirAll(c.Root, 0o755); err != nil {
		return err
	}
	if len(c.Lower) == 0 {
		return errors.New("no image layers")
	}
	opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", strings.Join(c.Lower, ":"), c.Upper, c.Work)
	if err := unix.Mount("overlay", c.Root, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mounting the root overlay (%s): %w", opts, err)
	}
	return nil
}

type special struct {
	target, fstype, source string
	flags                  uintptr
	data                   string
}

func mountSpecial(c Config) error {
	const nosuid, nodev, noexec = unix.MS_NOSUID, unix.MS_NODEV, unix.MS_NOEXEC
	for _, s := range []special{
		{"/proc", "proc", "proc", nosuid | nodev | noexec, ""},
		{"/sys", "sysfs", "sysfs", nosuid | nodev | noexec, ""},
		{"/sys/fs/cgroup", "tmpfs", "cgroup", nosuid | nodev | noexec, "mode=755"},
		{"/dev", "tmpfs", "tmpfs", nosuid, "mode=755,size=65536k"},
		{"/dev/pts", "devpts", "devpts", nosuid | noexec, "newinstance,ptmxmode=0666,mode=0620,gid=5"},
		{"/dev/shm", "tmpfs", "shm", nosuid | nodev, "mode=1777"},
		{"/dev/mqueue", "mqueue", "mqueue", nosuid | nodev | noexec, ""},
		{"/run", "tmpfs", "tmpfs", nosuid | nodev, "mode=755"},
	} {
		target, err := resolveInRoot(c.Root, s.target)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(target, 0o755); err != nil {
			return fmt.Errorf("creating %s: %w", s.target, err)
		}
		if err := unix.Mount(s.source, target, s.fstype, s.flags, s.data); err != nil {
			return fmt.Errorf("mounting %s on %s: %w", s.fstype, s.target, err)
		}
		switch s.target {
		case "/sys/fs/cgroup":
			for _, h := range c.CgroupMounts {
				if err := mountOne(c.Root, Mount{Source: h, Target: h}); err != nil {
					return err
				}
			}
		case "/dev":
			if err := populateDev(target); err != nil {
				return err
			}
		}
	}
	return nil
}

// populateDev makes the device nodes and links a system expects in /dev.
func populateDev(dev string) error {
	nodes := []struct {
		name         string
		major, minor uint32
		mode         uint32
	}{
		{"null", 1, 3, 0o666}, {"zero", 1, 5, 0o666}, {"full", 1, 7, 0o666},
		{"random", 1, 8, 0o666}, {"urandom", 1, 9, 0o666}, {"tty", 5, 0, 0o666},
		{"kmsg", 1, 11, 0o644}, {"net/tun", 10, 200, 0o666}, {"fuse", 10, 229, 0o666},
	}
	for _, n := range nodes {
		p := filepath.Join(dev, n.name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := unix.Mknod(p, unix.S_IFCHR|n.mode, int(unix.Mkdev(n.major, n.minor))); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("creating /dev/%s: %w", n.name, err)
		}
		_ = os.Chmod(p, os.FileMode(n.mode))
	}
	for name, target := range map[string]string{
		"ptmx": "pts/ptmx", "fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
		"stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2", "core": "/proc/kcore",
	} {
		if err := os.Symlink(target, filepath.Join(dev, name)); err != nil && !errors.Is(err, os.ErrExist) {
			return err
		}
	}
	return nil
}

func mountOne(root string, m Mount) error {
	target, err := resolveInRoot(root, m.Target)
	if err != nil {
		return err
	}
	st, err := os.Stat(m.Source)
	if err != nil {
		return fmt.Errorf("mount source for %s: %w", m.Target, err)
	}
	if st.IsDir() || m.Type != "" && m.Type != "bind" {
		err = os.MkdirAll(target, 0o755)
	} else {
		err = ensureFile(target)
	}
	if err != nil {
		return fmt.Errorf("creating mount point %s: %w", m.Target, err)
	}
	if m.Type != "" && m.Type != "bind" {
		var flags uintptr
		if m.ReadOnly {
			flags = unix.MS_RDONLY
		}
		if err := unix.Mount(m.Source, target, m.Type, flags, ""); err != nil {
			return fmt.Errorf("mounting %s (%s) on %s: %w", m.Source, m.Type, m.Target, err)
		}
		return nil
	}
	if err := unix.Mount(m.Source, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("binding %s on %s: %w", m.Source, m.Target, err)
	}
	if m.ReadOnly {
		if err := unix.Mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			return fmt.Errorf("making %s read-only: %w", m.Target, err)
		}
	}
	return nil
}

func makeDevice(root string, d Device) error {
	var st unix.Stat_t
	if err := unix.Stat(d.Source, &st); err != nil {
		return fmt.Errorf("device %s: %w", d.Source, err)
	}
	target, err := resolveInRoot(root, d.Target)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	_ = os.Remove(target)
	if err := unix.Mknod(target, st.Mode, int(st.Rdev)); err != nil {
		return fmt.Errorf("creating device %s: %w", d.Target, err)
	}
	return nil
}

func ensureFile(p string) error {
	if _, err := os.Stat(p); err == nil {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// resolveInRoot resolves a guest path to a host path under root,
// following symbolic links as if root were "/": a link in the image
// cannot lead a mount outside the VM's root.
func resolveInRoot(root, guest string) (string, error) {
	parts := strings.Split(filepath.Clean("/"+guest), "/")
	resolved := "/"
	for hops := 0; len(parts) > 0; {
		p := parts[0]
		parts = parts[1:]
		if p == "" || p == "." {
			continue
		}
		if p == ".." {
			resolved = filepath.Dir(resolved)
			continue
		}
		next := filepath.Join(resolved, p)
		link, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			resolved = next // not a link, or does not exist yet
			continue
		}
		if hops++; hops > 40 {
			return "", fmt.Errorf("resolving %s: too many symbolic links", guest)
		}
		if filepath.IsAbs(link) {
			resolved = "/"
		}
		parts = append(strings.Split(link, "/"), parts...)
	}
	return filepath.Join(root, resolved), nil
}

// pivot makes root the root of the mount namespace and detaches the old
// one, then makes the new tree shared, as systemd does on a real host, so
// that kubelet's mount propagation works inside the VM.
func pivot(root string) error {
	if err := unix.Chdir(root); err != nil {
		return err
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detaching the host's root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return err
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_SHARED, ""); err != nil {
		return fmt.Errorf("making / shared: %w", err)
	}
	return nil
}
