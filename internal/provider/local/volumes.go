package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/kubevisor/kubevisor/internal/guest/boot"
	"github.com/kubevisor/kubevisor/internal/provider"
)

// Volume kinds.
const (
	volumeDirectory = "directory"
	volumeFile      = "file"
)

// In-guest locations of volumes.
const (
	// VolumeMountDir/<volume name> is where a directory volume, or an image
	// file volume holding an ext2/3/4 or XFS file system, is mounted.
	VolumeMountDir = "/mnt"
	// VolumeDevicePrefix<DiskUUID> is the block device of an image file
	// volume (a loop device).
	VolumeDevicePrefix = "/dev/disk/by-id/kubevisor-"
)

// volumeRecord is one volume of a VM.
type volumeRecord struct {
	Name      string `json:"name"`
	ClaimName string `json:"claimName,omitempty"`
	Path      string `json:"path"`
	ReadOnly  bool   `json:"readOnly,omitempty"`
	DiskUUID  string `json:"diskUUID"`
	Kind      string `json:"kind,omitempty"`
	// Loop is the loop device backing a file volume while attached.
	Loop string `json:"loop,omitempty"`
	// FSType is the file system found in a file volume ("" for none).
	FSType string `json:"fsType,omitempty"`
	// Attached: the running VM has it.
	Attached bool `json:"attached,omitempty"`
	// Removed: no longer wanted; detached at the next chance.
	Removed bool   `json:"removed,omitempty"`
	Error   string `json:"error,omitempty"`
}

var volumeNameRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$`)

// volumeRecords merges the wanted volumes with what is known of them.
func (p *Provider) volumeRecords(vm provider.VM, old []volumeRecord) ([]volumeRecord, error) {
	byName := map[string]volumeRecord{}
	for _, v := range old {
		byName[v.Name] = v
	}
	var out []volumeRecord
	wanted := map[string]bool{}
	for _, v := range vm.Volumes {
		if !volumeNameRE.MatchString(v.Name) {
			return nil, fmt.Errorf("volume name %q: %w", v.Name, provider.ErrInvalid)
		}
		if wanted[v.Name] {
			return nil, fmt.Errorf("volume %q given twice: %w", v.Name, provider.ErrInvalid)
		}
		wanted[v.Name] = true
		claim := v.ClaimName
		if claim == "" {
			claim = v.Name
		}
		r := volumeRecord{Name: v.Name, ClaimName: v.ClaimName, Path: v.Path, ReadOnly: v.ReadOnly,
			DiskUUID: diskUUID(vm.Namespace, claim)}
		if prev, ok := byName[v.Name]; ok && prev.Path == v.Path && !prev.Removed {
			r.Loop, r.FSType, r.Attached = prev.Loop, prev.FSType, prev.Attached
		} else if ok && (prev.Attached || prev.Loop != "") {
			// Same name, new backing: detach the old one first.
			prev.Removed = true
			prev.Name = prev.Name + "~old"
			out = append(out, prev)
		}
		switch st, err := os.Stat(v.Path); {
		case v.Path == "" || !filepath.IsAbs(v.Path):
			r.Error = "no backing store on this host"
		case err != nil:
			r.Error = err.Error()
		case st.IsDir():
			r.Kind = volumeDirectory
		case st.Mode().IsRegular():
			r.Kind = volumeFile
		default:
			r.Error = "backing store is neither a directory nor an image file"
		}
		out = append(out, r)
	}
	for _, v := range old {
		if !wanted[v.Name] && (v.Attached || v.Loop != "") {
			v.Removed = true
			out = append(out, v)
		}
	}
	return out, nil
}

func volumeStatuses(vols []volumeRecord) []provider.VolumeStatus {
	var out []provider.VolumeStatus
	for _, v := range vols {
		if v.Removed {
			continue
		}
		out = append(out, provider.VolumeStatus{Name: v.Name, Attached: v.Attached, DiskUUID: v.DiskUUID, Error: v.Error})
	}
	return out
}

// guestMount is where a volume is mounted in the VM ("" for none).
func (v volumeRecord) guestMount() string {
	if v.Kind == volumeDirectory || v.Kind == volumeFile && v.FSType != "" {
		return filepath.Join(VolumeMountDir, v.Name)
	}
	return ""
}

func (v volumeRecord) guestDevice() string { return VolumeDevicePrefix + v.DiskUUID }

// bootVolumes are the mounts and device nodes of the volumes to attach
// at boot.
func bootVolumes(vols []volumeRecord) ([]boot.Mount, []boot.Device) {
	var mounts []boot.Mount
	var devices []boot.Device
	for _, v := range vols {
		if v.Removed || v.Error != "" {
			continue
		}
		switch v.Kind {
		case volumeDirectory:
			mounts = append(mounts, boot.Mount{Source: v.Path, Target: v.guestMount(), ReadOnly: v.ReadOnly})
		case volumeFile:
			if v.Loop == "" {
				continue
			}
			devices = append(devices, boot.Device{Source: v.Loop, Target: v.guestDevice()})
			if v.FSType != "" {
				mounts = append(mounts, boot.Mount{Source: v.Loop, Target: v.guestMount(), Type: v.FSType, ReadOnly: v.ReadOnly})
			}
		}
	}
	return mounts, devices
}

// attachLoops gives every file volume a loop device.
func (p *Provider) attachLoops(ctx context.Context, rec *record) error {
	for i := range rec.Volumes {
		v := &rec.Volumes[i]
		if v.Kind != volumeFile || v.Removed || v.Error != "" {
			continue
		}
		loop, err := ensureLoop(ctx, v.Path, v.ReadOnly)
		if err != nil {
			v.Error = err.Error()
			continue
		}
		v.Loop, v.FSType = loop, detectFS(v.Path)
	}
	return writeJSON(p.vmDir(rec.ID).record(), rec)
}

// ensureLoop returns the loop device backing path, attaching one if none.
func ensureLoop(ctx context.Context, path string, readOnly bool) (string, error) {
	out, err := exec.CommandContext(ctx, "losetup", "-j", path).Output()
	if err != nil {
		return "", fmt.Errorf("losetup -j %s: %w", path, err)
	}
	if dev, _, ok := strings.Cut(string(out), ":"); ok && strings.HasPrefix(dev, "/dev/loop") {
		return dev, nil
	}
	args := []string{"--find", "--show"}
	if readOnly {
		args = append(args, "--read-only")
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "losetup", append(args, path)...)
	cmd.Stderr = &stderr
	out, err = cmd.Output()
	if err != nil {
		return "", fmt.Errorf("attaching a loop device to %s (are loop devices available?): %s: %w", path, strings.TrimSpace(stderr.String()), err)
	}
	return strings.TrimSpace(string(out)), nil
}

func detachLoop(ctx context.Context, dev string) error {
	if dev == "" {
		return nil
	}
	if _, err := os.Stat(dev); err != nil {
		return nil
	}
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "losetup", "-d", dev)
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil && !strings.Contains(stderr.String(), "No such device") {
		return fmt.Errorf("detaching %s: %s: %w", dev, strings.TrimSpace(stderr.String()), err)
	}
	return nil
}

// detectFS recognizes the file systems the guest mounts by itself.
func detectFS(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	buf := make([]byte, 2048)
	n, _ := f.ReadAt(buf, 0)
	buf = buf[:n]
	switch {
	case len(buf) >= 4 && string(buf[:4]) == "XFSB":
		return "xfs"
	case len(buf) >= 1082 && buf[1080] == 0x53 && buf[1081] == 0xef:
		return "ext4" // the ext4 driver mounts ext2 and ext3 too
	}
	return ""
}

// detachVolumes releases the loop devices of a VM that no longer runs.
func (p *Provider) detachVolumes(ctx context.Context, rec *record) error {
	var errs []error
	var keep []volumeRecord
	for _, v := range rec.Volumes {
		if err := detachLoop(ctx, v.Loop); err != nil {
			errs = append(errs, err)
			keep = append(keep, v)
			continue
		}
		v.Loop, v.Attached = "", false
		if !v.Removed {
			keep = append(keep, v)
		}
	}
	rec.Volumes = keep
	return errors.Join(errs...)
}

// attachRequest is what the guest's "attach" step does inside a running
// VM's mount namespace.
type attachRequest = boot.Attach

// hotplugVolumes attaches new volumes to a running VM and detaches removed
// ones, through its mount namespace.
func (p *Provider) hotplugVolumes(ctx context.Context, rec *record, run runRecord) error {
	var keep []volumeRecord
	var errs []error
	for _, v := range rec.Volumes {
		switch {
		case v.Removed:
			req := attachRequest{Unmount: []string{}, Remove: []string{}}
			if m := v.guestMount(); m != "" && v.Attached {
				req.Unmount = append(req.Unmount, m)
			}
			if v.Kind == volumeFile {
				req.Remove = append(req.Remove, v.guestDevice())
			}
			if err := p.guestAttach(ctx, run, req, nil); err != nil {
				errs = append(errs, fmt.Errorf("detaching volume %s: %w", v.Name, err))
				keep = append(keep, v)
				continue
			}
			if err := detachLoop(ctx, v.Loop); err != nil {
				errs = append(errs, err)
			}
			continue
		case v.Attached || v.Error != "":
		default:
			if err := p.hotAttach(ctx, run, &v); err != nil {
				v.Error = err.Error()
			} else {
				v.Attached = true
			}
		}
		keep = append(keep, v)
	}
	rec.Volumes = keep
	if err := writeJSON(p.vmDir(rec.ID).record(), rec); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (p *Provider) hotAttach(ctx context.Context, run runRecord, v *volumeRecord) error {
	var req attachRequest
	var files []*os.File
	switch v.Kind {
	case volumeDirectory:
		fd, err := unix.OpenTree(unix.AT_FDCWD, v.Path, unix.OPEN_TREE_CLONE|unix.OPEN_TREE_CLOEXEC)
		if err != nil {
			return fmt.Errorf("open_tree %s: %w", v.Path, err)
		}
		f := os.NewFile(uintptr(fd), v.Path)
		defer f.Close()
		files = append(files, f)
		req.Mounts = append(req.Mounts, boot.TreeMount{FD: 3, Target: v.guestMount(), ReadOnly: v.ReadOnly})
	case volumeFile:
		loop, err := ensureLoop(ctx, v.Path, v.ReadOnly)
		if err != nil {
			return err
		}
		v.Loop, v.FSType = loop, detectFS(v.Path)
		var st unix.Stat_t
		if err := unix.Stat(loop, &st); err != nil {
			return err
		}
		req.Devices = append(req.Devices, boot.DeviceNode{Major: unix.Major(st.Rdev), Minor: unix.Minor(st.Rdev), Target: v.guestDevice()})
		if v.FSType != "" {
			req.FSMounts = append(req.FSMounts, boot.Mount{Source: v.guestDevice(), Target: v.guestMount(), Type: v.FSType, ReadOnly: v.ReadOnly})
		}
	}
	return p.guestAttach(ctx, run, req, files)
}

// guestAttach runs the guest agent's attach step in the VM's mount
// namespace (nsenter), handing it detached mount trees as file
// descriptors 3 and up.
func (p *Provider) guestAttach(ctx context.Context, run runRecord, req attachRequest, files []*os.File) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, "nsenter", "--target", fmt.Sprint(run.PID), "--mount", "--", boot.AgentPath, "attach", string(b))
	cmd.ExtraFiles = files
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w", strings.TrimSpace(string(out)), err)
	}
	return nil
}
