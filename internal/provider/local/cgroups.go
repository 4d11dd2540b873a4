package local

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/kubevisor/kubevisor/internal/mounts"
	"github.com/kubevisor/kubevisor/internal/provider"
)

// cfsPeriod is the CFS period the CPU quota is expressed in.
const cfsPeriod = 100000

// cgroups manages the VMs' cgroups: one directory per VM under a parent
// (e.g. /sys/fs/cgroup/<hierarchy>/kubevisor/<id>) in every cgroup v1
// hierarchy, or in the unified hierarchy on a pure cgroup v2 host.
type cgroups struct {
	parent string
	// hierarchies are the mount points of the cgroup hierarchies used.
	hierarchies []hierarchy
	v2          bool
}

type hierarchy struct {
	mount       string
	controllers map[string]bool
}

// detectCgroups reads the host's cgroup mounts.
func detectCgroups(parent string) (*cgroups, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	c := &cgroups{parent: parent}
	var v2 []hierarchy
	for _, line := range strings.Split(string(b), "\n") {
		_, post, ok := strings.Cut(line, " - ")
		pre := strings.Fields(line)
		fields := strings.Fields(post)
		if !ok || len(pre) < 5 || len(fields) < 3 {
			continue
		}
		mount := mounts.Unescape(pre[4])
		switch fields[0] {
		case "cgroup":
			h := hierarchy{mount: mount, controllers: map[string]bool{}}
			for _, o := range strings.Split(fields[2], ",") {
				h.controllers[o] = true
			}
			c.hierarchies = append(c.hierarchies, h)
		case "cgroup2":
			h := hierarchy{mount: mount, controllers: map[string]bool{}}
			if ctl, err := os.ReadFile(filepath.Join(mount, "cgroup.controllers")); err == nil {
				for _, x := range strings.Fields(string(ctl)) {
					h.controllers[x] = true
				}
			}
			v2 = append(v2, h)
		}
	}
	if len(c.hierarchies) == 0 {
		// Pure cgroup v2. (In hybrid mode the unified hierarchy holds no
		// controllers and is left alone.)
		if len(v2) == 0 {
			return nil, errors.New("no cgroup file system is mounted")
		}
		c.v2, c.hierarchies = true, v2[:1]
	}
	sort.Slice(c.hierarchies, func(i, j int) bool { return c.hierarchies[i].mount < c.hierarchies[j].mount })
	return c, nil
}

// mounts are the hierarchies' mount points, bound into every VM.
func (c *cgroups) mounts() []string {
	var out []string
	for _, h := range c.hierarchies {
		out = append(out, h.mount)
	}
	return out
}

// Path is the VM's cgroup path relative to each hierarchy's root (what
// /proc/<pid>/cgroup shows), e.g. /kubevisor/<id>.
func (c *cgroups) Path(id string) string { return "/" + c.parent + "/" + id }

func (c *cgroups) dir(h hierarchy, id string) string { return filepath.Join(h.mount, c.parent, id) }

func (c *cgroups) find(controller string) (hierarchy, bool) {
	for _, h := range c.hierarchies {
		if h.controllers[controller] {
			return h, true
		}
	}
	return hierarchy{}, false
}

// procsFiles are the files a process writes to join the VM's cgroups.
func (c *cgroups) procsFiles(id string) []string {
	var out []string
	for _, h := range c.hierarchies {
		out = append(out, filepath.Join(c.dir(h, id), "cgroup.procs"))
	}
	return out
}

// ensure creates the VM's cgroups and sets their limits from the class.
func (c *cgroups) ensure(id string, class provider.Class) error {
	for _, h := range c.hierarchies {
		parent := filepath.Join(h.mount, c.parent)
		if err := os.MkdirAll(c.dir(h, id), 0o755); err != nil {
			return fmt.Errorf("creating cgroup %s: %w", c.dir(h, id), err)
		}
		if h.controllers["cpuset"] && !c.v2 {
			// A v1 cpuset cgroup takes no process until its cpus and mems
			// are set; clone_children makes kubelet's children inherit them.
			for _, d := range []string{parent, c.dir(h, id)} {
				for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
					if err := inherit(d, f); err != nil {
						return err
					}
				}
				_ = write(d, "cgroup.clone_children", "1")
			}
		}
		if c.v2 {
			if err := enableControllers(h, c.parent); err != nil {
				return err
			}
		}
	}
	return c.setLimits(id, class)
}

// inherit copies a v1 cpuset file from the parent when empty.
func inherit(dir, file string) error {
	cur, _ := os.ReadFile(filepath.Join(dir, file))
	if strings.TrimSpace(string(cur)) != "" {
		return nil
	}
	v, err := os.ReadFile(filepath.Join(filepath.Dir(dir), file))
	if err != nil {
		return err
	}
	return write(dir, file, strings.TrimSpace(string(v)))
}

// enableControllers turns on the v2 controllers down to the VMs' parent.
func enableControllers(h hierarchy, parent string) error {
	var want []string
	for _, ctl := range []string{"cpu", "cpuset", "memory", "pids", "io"} {
		if h.controllers[ctl] {
			want = append(want, "+"+ctl)
		}
	}
	for _, d := range []string{h.mount, filepath.Join(h.mount, parent)} {
		if err := write(d, "cgroup.subtree_control", strings.Join(want, " ")); err != nil {
			return fmt.Errorf("enabling cgroup controllers in %s: %w", d, err)
		}
	}
	return nil
}

// setLimits applies the class: CPU quota = CPUs × period, CPU weight from
// the CPU reservation, memory limit and soft limit.
func (c *cgroups) setLimits(id string, class provider.Class) error {
	quota, mem := "-1", "-1"
	if class.CPUs > 0 {
		quota = strconv.FormatInt(class.CPUs*cfsPeriod, 10)
	}
	if class.MemoryBytes > 0 {
		mem = strconv.FormatInt(class.MemoryBytes, 10)
	}
	shares := int64(1024)
	if class.CPURequestMilli > 0 {
		shares = max(2, class.CPURequestMilli*1024/1000)
	}
	if c.v2 {
		h := c.hierarchies[0]
		d := c.dir(h, id)
		q := "max"
		if class.CPUs > 0 {
			q = quota
		}
		m := "max"
		if class.MemoryBytes > 0 {
			m = mem
		}
		var errs []error
		if h.controllers["cpu"] {
			errs = append(errs, write(d, "cpu.max", fmt.Sprintf("%s %d", q, cfsPeriod)),
				write(d, "cpu.weight", strconv.FormatInt(max(1, min(10000, 1+(shares-2)*9999/262142)), 10)))
		}
		if h.controllers["memory"] {
			errs = append(errs, write(d, "memory.max", m))
			if class.MemoryRequestBytes > 0 {
				errs = append(errs, write(d, "memory.low", strconv.FormatInt(class.MemoryRequestBytes, 10)))
			}
		}
		return errors.Join(errs...)
	}
	var errs []error
	if h, ok := c.find("cpu"); ok {
		d := c.dir(h, id)
		errs = append(errs, write(d, "cpu.cfs_period_us", strconv.Itoa(cfsPeriod)),
			write(d, "cpu.cfs_quota_us", quota), write(d, "cpu.shares", strconv.FormatInt(shares, 10)))
	}
	if h, ok := c.find("memory"); ok {
		d := c.dir(h, id)
		errs = append(errs, write(d, "memory.limit_in_bytes", mem))
		if class.MemoryRequestBytes > 0 {
			errs = append(errs, write(d, "memory.soft_limit_in_bytes", strconv.FormatInt(class.MemoryRequestBytes, 10)))
		}
	}
	return errors.Join(errs...)
}

func write(dir, file, value string) error {
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0o644); err != nil {
		return fmt.Errorf("writing %s=%s: %w", filepath.Join(dir, file), value, err)
	}
	return nil
}

// procs lists the processes in the VM's cgroups and their descendants.
func (c *cgroups) procs(id string) []int {
	seen := map[int]bool{}
	for _, h := range c.hierarchies {
		_ = filepath.WalkDir(c.dir(h, id), func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.IsDir() {
				return nil
			}
			b, _ := os.ReadFile(filepath.Join(p, "cgroup.procs"))
			for _, f := range strings.Fields(string(b)) {
				if pid, err := strconv.Atoi(f); err == nil {
					seen[pid] = true
				}
			}
			return nil
		})
	}
	out := make([]int, 0, len(seen))
	for pid := range seen {
		out = append(out, pid)
	}
	sort.Ints(out)
	return out
}

// kill SIGKILLs every process of the VM until none is left.
func (c *cgroups) kill(id string, timeout time.Duration) error {
	_ = c.freeze(id, false) // a frozen process cannot die
	deadline := time.Now().Add(timeout)
	for {
		pids := c.procs(id)
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("processes %v of VM %s survived SIGKILL", pids, id)
		}
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// remove deletes the VM's cgroups, deepest first. Call kill first.
func (c *cgroups) remove(id string) error {
	var errs []error
	for _, h := range c.hierarchies {
		var dirs []string
		_ = filepath.WalkDir(c.dir(h, id), func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			if err := rmdirRetry(dirs[i]); err != nil {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// rmdirRetry removes a cgroup directory; the kernel may report it busy
// for a moment after its last process exits.
func rmdirRetry(dir string) error {
	var err error
	for i := 0; i < 50; i++ {
		err = syscall.Rmdir(dir)
		if err == nil || errors.Is(err, syscall.ENOENT) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("removing cgroup %s: %w", dir, err)
}

// exists reports whether any of the VM's cgroups exists.
func (c *cgroups) exists(id string) bool {
	for _, h := range c.hierarchies {
		if _, err := os.Stat(c.dir(h, id)); err == nil {
			return true
		}
	}
	return false
}

// freeze freezes or thaws the VM (Suspended).
func (c *cgroups) freeze(id string, frozen bool) error {
	if c.v2 {
		v := "0"
		if frozen {
			v = "1"
		}
		d := c.dir(c.hierarchies[0], id)
		if _, err := os.Stat(d); err != nil {
			return nil
		}
		return write(d, "cgroup.freeze", v)
	}
	h, ok := c.find("freezer")
	if !ok {
		if frozen {
			return errors.New("suspending needs the freezer cgroup controller")
		}
		return nil
	}
	d := c.dir(h, id)
	if _, err := os.Stat(d); err != nil {
		return nil
	}
	v := "THAWED"
	if frozen {
		v = "FROZEN"
	}
	if err := write(d, "freezer.state", v); err != nil {
		return err
	}
	// Freezing takes a moment (FREEZING); wait for it to settle.
	for i := 0; i < 100; i++ {
		if b, _ := os.ReadFile(filepath.Join(d, "freezer.state")); strings.TrimSpace(string(b)) == v {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("cgroup %s did not become %s", d, v)
}

// frozen reports whether the VM is frozen.
func (c *cgroups) frozen(id string) bool {
	if c.v2 {
		b, _ := os.ReadFile(filepath.Join(c.dir(c.hierarchies[0], id), "cgroup.freeze"))
		return strings.TrimSpace(string(b)) == "1"
	}
	h, ok := c.find("freezer")
	if !ok {
		return false
	}
	b, _ := os.ReadFile(filepath.Join(c.dir(h, id), "freezer.state"))
	s := strings.TrimSpace(string(b))
	return s == "FROZEN" || s == "FREEZING"
}
