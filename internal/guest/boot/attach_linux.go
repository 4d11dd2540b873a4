package boot

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Attach changes the mounts of a running VM from inside its mount
// namespace (the provider runs "kubevisor-guest attach <json>" there).
type Attach struct {
	// Mounts are detached mount trees (open_tree file descriptors passed
	// by the provider) to place at their targets.
	Mounts []TreeMount `json:"mounts,omitempty"`
	// Devices are block device nodes to create.
	Devices []DeviceNode `json:"devices,omitempty"`
	// FSMounts mount block devices (guest paths) at targets.
	FSMounts []Mount `json:"fsMounts,omitempty"`
	// Unmount are guest paths to detach; Remove are device nodes to delete.
	Unmount []string `json:"unmount,omitempty"`
	Remove  []string `json:"remove,omitempty"`
}

// TreeMount places the mount tree open as file descriptor FD at Target.
type TreeMount struct {
	FD       int    `json:"fd"`
	Target   string `json:"target"`
	ReadOnly bool   `json:"readOnly,omitempty"`
}

// DeviceNode is a block device node to make in the VM.
type DeviceNode struct {
	Major  uint32 `json:"major"`
	Minor  uint32 `json:"minor"`
	Target string `json:"target"`
}

// ApplyAttach carries out a in the current mount namespace.
func ApplyAttach(a Attach) error {
	var errs []error
	for _, t := range a.Unmount {
		if err := unix.Unmount(t, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
			errs = append(errs, fmt.Errorf("unmounting %s: %w", t, err))
		}
	}
	for _, r := range a.Remove {
		if err := os.Remove(r); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	for _, d := range a.Devices {
		if err := os.MkdirAll(filepath.Dir(d.Target), 0o755); err != nil {
			return err
		}
		_ = os.Remove(d.Target)
		if err := unix.Mknod(d.Target, unix.S_IFBLK|0o660, int(unix.Mkdev(d.Major, d.Minor))); err != nil {
			return fmt.Errorf("creating %s: %w", d.Target, err)
		}
	}
	for _, m := range a.Mounts {
		if err := os.MkdirAll(m.Target, 0o755); err != nil {
			return err
		}
		if err := unix.MoveMount(m.FD, "", unix.AT_FDCWD, m.Target, unix.MOVE_MOUNT_F_EMPTY_PATH); err != nil {
			return fmt.Errorf("mounting on %s: %w", m.Target, err)
		}
		if m.ReadOnly {
			if err := unix.Mount("", m.Target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
				return fmt.Errorf("making %s read-only: %w", m.Target, err)
			}
		}
	}
	for _, m := range a.FSMounts {
		if err := mountOne("/", m); err != nil {
			return err
		}
	}
	return errors.Join(errs...)
}
