package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kubevisor/kubevisor/internal/provider"
)

// record is what the provider keeps of a VM (<vm dir>/vm.json): the last
// desired state it was given, and the facts it fixed at creation.
type record struct {
	ID        string         `json:"id"`
	Namespace string         `json:"namespace,omitempty"`
	Name      string         `json:"name,omitempty"`
	Hostname  string         `json:"hostname"`
	Class     provider.Class `json:"class"`
	Zone      string         `json:"zone,omitempty"`
	// ImageName and ImageKey: the image the disk was made from (its
	// payload's SHA-256); fixed at creation.
	ImageName string `json:"imageName"`
	ImageKey  string `json:"imageKey"`
	// Scratch are the guest paths kept on plain directories; fixed at
	// creation.
	Scratch []string `json:"scratch"`
	// IP is the VM's address (with the network's prefix length).
	IP string `json:"ip"`
	// InstanceID is the cloud-init instance of the current seed.
	InstanceID string `json:"instanceID"`
	// Volumes are the volumes the VM should have.
	Volumes []volumeRecord `json:"volumes,omitempty"`
	// Created is when the VM was first reconciled.
	Created time.Time `json:"created"`
}

// runRecord identifies the VM's running PID 1 (<vm dir>/run.json). The
// start time and boot ID tell it from a later process with the same PID.
type runRecord struct {
	PID       int       `json:"pid"`
	StartTime uint64    `json:"startTime"`
	BootID    string    `json:"bootID"`
	Started   time.Time `json:"started"`
}

// vmDir is the layout of one VM's directory.
type vmDir string

func (d vmDir) path(elem ...string) string {
	return filepath.Join(append([]string{string(d)}, elem...)...)
}
func (d vmDir) record() string     { return d.path("vm.json") }
func (d vmDir) run() string        { return d.path("run.json") }
func (d vmDir) bootConfig() string { return d.path("boot.json") }
func (d vmDir) console() string    { return d.path("console.log") }
func (d vmDir) seed() string       { return d.path("seed") }
func (d vmDir) root() string       { return d.path("rootfs") }
func (d vmDir) upper() string      { return d.path("disk", "upper") }
func (d vmDir) work() string       { return d.path("disk", "work") }
func (d vmDir) scratch(guest string) string {
	return d.path("disk", "scratch", strings.TrimPrefix(filepath.Clean(guest), "/"))
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parsing %s: %w", path, err)
	}
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'), 0o600)
}

func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// writeIfChanged writes a file only when its content differs.
func writeIfChanged(path string, data []byte, perm os.FileMode) error {
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return nil
	}
	return writeFileAtomic(path, data, perm)
}

// lockFile takes an exclusive flock, which also excludes other Provider
// instances and processes over the same state directory.
func lockFile(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// lockVM serializes work on one VM, within and across processes.
func (p *Provider) lockVM(ctx context.Context, id string) (func(), error) {
	type result struct {
		unlock func()
		err    error
	}
	ch := make(chan result, 1)
	go func() {
		u, err := lockFile(filepath.Join(p.dir.locks, id+".lock"))
		ch <- result{u, err}
	}()
	select {
	case r := <-ch:
		return r.unlock, r.err
	case <-ctx.Done():
		go func() {
			if r := <-ch; r.unlock != nil {
				r.unlock()
			}
		}()
		return nil, ctx.Err()
	}
}

// procStartTime reads a process's start time (clock ticks after boot)
// and whether it is a zombie.
func procStartTime(pid int) (start uint64, zombie bool, err error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, false, err
	}
	// The command name (field 2) may hold spaces; fields after it are
	// counted from its closing parenthesis.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0, false, errors.New("malformed stat")
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return 0, false, errors.New("malformed stat")
	}
	start, err = strconv.ParseUint(f[19], 10, 64)
	return start, f[0] == "Z" || f[0] == "X", err
}

func bootID() string {
	b, _ := os.ReadFile("/proc/sys/kernel/random/boot_id")
	return strings.TrimSpace(string(b))
}

// alive reports whether the recorded process is still the VM's PID 1.
func (r runRecord) alive() bool {
	if r.PID <= 0 || r.BootID != bootID() {
		return false
	}
	start, zombie, err := procStartTime(r.PID)
	return err == nil && !zombie && start == r.StartTime
}

// nsInit finds, among pids (the processes of a VM's cgroups), the VM's
// init when its run.json was lost: a process that is PID 1 of its own PID
// namespace (NSpid ends in 1) and whose parent is outside the VM. (The
// inits of containers inside the VM have their parents inside it.)
func nsInit(pids []int) (int, bool) {
	in := map[int]bool{}
	for _, pid := range pids {
		in[pid] = true
	}
	for _, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
		if err != nil {
			continue
		}
		init, ppid := false, 0
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			switch {
			case len(f) >= 3 && f[0] == "NSpid:":
				init = f[len(f)-1] == "1"
			case len(f) == 2 && f[0] == "PPid:":
				ppid, _ = strconv.Atoi(f[1])
			}
		}
		if init && !in[ppid] {
			return pid, true
		}
	}
	return 0, false
}
