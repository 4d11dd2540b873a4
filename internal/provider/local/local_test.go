package local

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kubevisor/kubevisor/internal/netns"
	"github.com/kubevisor/kubevisor/internal/provider"
	"github.com/kubevisor/kubevisor/internal/provider/local/busyboximage"
)

// helperEnv makes the test binary act as a Supervisor that creates one VM
// and then waits to be killed (TestVMOutlivesSupervisor).
const helperEnv = "KUBEVISOR_LOCAL_TEST_SUPERVISOR"

type helperArgs struct {
	Config Config
	VM     provider.VM
}

func TestMain(m *testing.M) {
	if arg := os.Getenv(helperEnv); arg != "" {
		var h helperArgs
		err := json.Unmarshal([]byte(arg), &h)
		var p *Provider
		if err == nil {
			p, err = New(h.Config)
		}
		if err == nil {
			_, err = p.Reconcile(context.Background(), h.VM)
		}
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println("ready")
		select {}
	}
	os.Exit(m.Run())
}

// The integration test runs real VMs: it needs root, /bin/busybox
// (busybox-static) and iproute2. KUBEVISOR_GUEST_AGENT may name a prebuilt
// static kubevisor-guest; otherwise the test builds one.

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randUUID() string {
	h := randHex(16)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func requireHost(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the local provider's integration test needs root (it creates network namespaces, cgroups and mounts)")
	}
	var missing []string
	if _, err := os.Stat("/bin/busybox"); err != nil {
		missing = append(missing, "/bin/busybox (Debian package busybox-static)")
	}
	for _, c := range []string{"ip", "losetup", "nsenter"} {
		if _, err := exec.LookPath(c); err != nil {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		if os.Getenv("CI") != "" {
			t.Fatalf("missing %s", strings.Join(missing, ", "))
		}
		t.Skipf("missing %s", strings.Join(missing, ", "))
	}
}

// buildAgent returns a static guest agent.
func buildAgent(t *testing.T, dir string) string {
	if p := os.Getenv("KUBEVISOR_GUEST_AGENT"); p != "" {
		return p
	}
	out := filepath.Join(dir, "kubevisor-guest")
	cmd := exec.Command("go", "build", "-o", out, "github.com/kubevisor/kubevisor/cmd/kubevisor-guest")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the guest agent: %v\n%s", err, b)
	}
	return out
}

type env struct {
	t     *testing.T
	cfg   Config
	image provider.Image
}

func newEnv(t *testing.T) *env {
	requireHost(t)
	dir := t.TempDir()
	agent := buildAgent(t, dir)
	img := filepath.Join(dir, "busybox-rootfs.tar.gz")
	if err := busyboximage.Build(busyboximage.Options{Busybox: "/bin/busybox", Agent: agent, Output: img}); err != nil {
		t.Fatal(err)
	}
	suffix := randHex(3)
	octet, _ := strconv.ParseUint(suffix[:2], 16, 8)
	e := &env{t: t, image: provider.Image{Name: "busybox", DiskPath: img}}
	e.cfg = Config{
		StateDir:       filepath.Join(dir, "state"),
		GuestAgentPath: agent,
		// A bridge, subnet and cgroup parent of its own, so that the test
		// can run beside a Supervisor or another test on the same host.
		Bridge:       "kvt" + suffix,
		Network:      fmt.Sprintf("198.18.%d.0/24", 128+octet%120),
		CgroupParent: "kubevisor-test-" + suffix,
		StopTimeout:  10 * time.Second,
	}
	t.Cleanup(func() {
		_ = netns.DeleteLink(context.Background(), e.cfg.Bridge)
		for _, h := range []string{"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd"} {
			_ = os.Remove(filepath.Join("/sys/fs/cgroup", h, e.cfg.CgroupParent))
		}
	})
	return e
}

// cleanup deletes the VMs at the end, first logging their consoles if the
// test failed.
func (e *env) cleanup(p *Provider, ids ...string) {
	e.t.Cleanup(func() {
		for _, id := range ids {
			if e.t.Failed() {
				if b, err := os.ReadFile(p.vmDir(id).console()); err == nil {
					e.t.Logf("console of %s:\n%s", id, b)
				}
			}
			_ = p.Delete(context.Background(), id)
		}
	})
}

func (e *env) vm(id, name, userData string) provider.VM {
	return provider.VM{
		ID: id, Namespace: "test", Name: name, Hostname: name,
		Class:      provider.Class{Name: "tiny", CPUs: 1, MemoryBytes: 96 << 20},
		Image:      e.image,
		PowerState: provider.PoweredOn,
		CloudInit:  &provider.CloudInit{InstanceID: "iid-" + id, UserData: []byte(userData)},
	}
}

func eventually(t *testing.T, timeout time.Duration, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s: %v", timeout, what, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func webUserData(name string) string {
	return `#cloud-config
bootcmd:
  - echo boot >> /root/boot-count
write_files:
  - path: /var/www/hello.txt
    content: "hello from ` + name + `\n"
  - path: /etc/kubevisor/services/httpd.json
    content: |
      {"command": ["/bin/busybox", "httpd", "-f", "-p", "8080", "-h", "/var/www"], "enabled": true}
runcmd:
  - echo ran >> /root/runcmd-count
final_message: "` + name + ` is up"
`
}

var client = &http.Client{
	Timeout:   2 * time.Second,
	Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
}

func get(ip, path string) (string, error) {
	if !strings.HasPrefix(ip, "198.18.") {
		return "", fmt.Errorf("refusing to send traffic to %q: only 198.18.0.0/16", ip)
	}
	resp, err := client.Get("http://" + net.JoinHostPort(ip, "8080") + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return string(b), err
}

func waitBootstrapped(t *testing.T, p *Provider, id string) provider.Status {
	t.Helper()
	var st provider.Status
	eventually(t, 30*time.Second, "VM "+id+" to bootstrap", func() error {
		var err error
		if st, err = p.Status(context.Background(), id); err != nil {
			return err
		}
		if !st.BootstrapDone || !st.GuestHeartbeat {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})
	return st
}

func readRun(t *testing.T, p *Provider, id string) runRecord {
	t.Helper()
	run, ok := p.running(id)
	if !ok {
		t.Fatalf("VM %s is not running", id)
	}
	return run
}

func readTrim(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

func guestFile(pid int, path string) string {
	b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "root", path))
	return string(b)
}

// inits counts the guest agents running as a PID namespace's init in the
// VM's cgroups: one per running VM, never two.
func inits(p *Provider, id string) int {
	n := 0
	for _, pid := range p.cg.procs(id) {
		status, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		for _, line := range strings.Split(string(status), "\n") {
			if f := strings.Fields(line); len(f) >= 3 && f[0] == "NSpid:" && f[len(f)-1] == "1" && strings.Contains(exe, "guest") {
				n++
			}
		}
	}
	return n
}

func TestVMLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	start := time.Now()
	p, err := New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{randUUID(), randUUID()}
	bad := randUUID()
	e.cleanup(p, append(ids, bad)...)
	for i, id := range ids {
		if _, err := p.Reconcile(ctx, e.vm(id, fmt.Sprintf("web-%d", i), webUserData(fmt.Sprintf("web-%d", i)))); err != nil {
			t.Fatalf("creating VM %d: %v", i, err)
		}
	}
	// Malformed cloud-config: reported, and the VM still runs.
	if _, err := p.Reconcile(ctx, e.vm(bad, "bad", "#cloud-config\nruncmd: [unclosed\n")); err != nil {
		t.Fatalf("creating the malformed VM: %v", err)
	}

	ips := make([]string, len(ids))
	for i, id := range ids {
		st := waitBootstrapped(t, p, id)
		if st.PowerState != provider.PoweredOn || st.BootstrapError != "" || st.PrimaryIP4 == "" || st.BIOSUUID == "" || st.UniqueID == "" {
			t.Fatalf("VM %d status: %+v", i, st)
		}
		ips[i] = st.PrimaryIP4
		eventually(t, 10*time.Second, "HTTP from VM", func() error {
			body, err := get(st.PrimaryIP4, "/hello.txt")
			if err == nil && body != fmt.Sprintf("hello from web-%d\n", i) {
				err = fmt.Errorf("body %q", body)
			}
			return err
		})
	}
	if ips[0] == ips[1] {
		t.Fatalf("both VMs got %s", ips[0])
	}
	t.Logf("two VMs serving HTTP %s after New", time.Since(start).Round(time.Millisecond))

	eventually(t, 30*time.Second, "the malformed VM's bootstrap error", func() error {
		st, err := p.Status(ctx, bad)
		if err != nil {
			return err
		}
		if st.BootstrapError == "" || !strings.Contains(st.BootstrapError, "parsing cloud-config") || st.BootstrapDone ||
			st.PowerState != provider.PoweredOn || !st.GuestHeartbeat {
			return fmt.Errorf("status %+v", st)
		}
		return nil
	})

	// Inside a VM: host name, class limits, the systemctl shim.
	run := readRun(t, p, ids[0])
	if out, err := exec.Command("nsenter", "-t", strconv.Itoa(run.PID), "-u", "hostname").Output(); err != nil || strings.TrimSpace(string(out)) != "web-0" {
		t.Errorf("hostname = %q, %v", out, err)
	}
	for file, want := range map[string]string{
		filepath.Join("/sys/fs/cgroup/cpu", e.cfg.CgroupParent, ids[0], "cpu.cfs_quota_us"):         "100000",
		filepath.Join("/sys/fs/cgroup/memory", e.cfg.CgroupParent, ids[0], "memory.limit_in_bytes"): strconv.Itoa(96 << 20),
	} {
		if b, err := os.ReadFile(file); err != nil || strings.TrimSpace(string(b)) != want {
			t.Errorf("%s = %q, %v; want %s", file, b, err, want)
		}
	}
	cg, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", run.PID))
	if !strings.Contains(string(cg), "/"+e.cfg.CgroupParent+"/"+ids[0]) {
		t.Errorf("VM's PID 1 is not in its cgroup:\n%s", cg)
	}
	// One cgroup path in every v1 hierarchy (the kubelet's --cgroup-root
	// names one path for all of them), and a usable cpuset.
	for _, line := range strings.Split(strings.TrimSpace(string(cg)), "\n") {
		if f := strings.SplitN(line, ":", 3); len(f) == 3 && f[1] != "" && f[2] != "/"+e.cfg.CgroupParent+"/"+ids[0] {
			t.Errorf("VM's PID 1 is at %s in hierarchy %s, want %s", f[2], f[1], "/"+e.cfg.CgroupParent+"/"+ids[0])
		}
	}
	if parent, mine := readTrim(filepath.Join("/sys/fs/cgroup/cpuset", e.cfg.CgroupParent, "cpuset.cpus")),
		readTrim(filepath.Join("/sys/fs/cgroup/cpuset", e.cfg.CgroupParent, ids[0], "cpuset.cpus")); mine == "" || mine != parent {
		t.Errorf("VM's cpuset.cpus = %q, parent's %q: want the parent's", mine, parent)
	}
	// What a Kubernetes node needs of its seed and /etc.
	gw := strings.TrimSuffix(strings.SplitN(e.cfg.Network, "/", 2)[0], "0") + "1"
	for path, want := range map[string]string{
		"/var/lib/cloud/seed/nocloud/meta-data": "biosUUID: " + biosUUID(ids[0]),
		"/etc/resolv.conf":                      "nameserver " + gw + "\n",
		"/etc/hosts":                            ips[0] + "\tweb-0",
	} {
		if got := guestFile(run.PID, path); !strings.Contains(got, want) {
			t.Errorf("the VM's %s does not hold %q:\n%s", path, want, got)
		}
	}
	ctl := exec.Command("nsenter", "-t", strconv.Itoa(run.PID), "-m", "-u", "-i", "-n", "-p", "/bin/systemctl", "is-active", "httpd")
	if out, err := ctl.Output(); err != nil || strings.TrimSpace(string(out)) != "active" {
		t.Errorf("systemctl is-active httpd = %q, %v", out, err)
	}

	// Power off and on: the disk is kept, cloud-init's runcmd does not run
	// again, bootcmd does, and the enabled service comes back.
	offStart := time.Now()
	st, err := p.Reconcile(ctx, withPower(e.vm(ids[1], "web-1", webUserData("web-1")), provider.PoweredOff))
	t.Logf("power off took %s", time.Since(offStart).Round(time.Millisecond))
	if err != nil || st.PowerState != provider.PoweredOff || st.PrimaryIP4 != "" {
		t.Fatalf("power off: %+v, %v", st, err)
	}
	if netns.Exists(namesFor(ids[1]).Netns) || netns.LinkExists(namesFor(ids[1]).HostVeth) || len(p.cg.procs(ids[1])) != 0 {
		t.Errorf("a powered-off VM keeps its network or processes")
	}
	if _, err := get(ips[1], "/hello.txt"); err == nil {
		t.Errorf("a powered-off VM answers HTTP")
	}
	if _, err := p.Reconcile(ctx, e.vm(ids[1], "web-1", webUserData("web-1"))); err != nil {
		t.Fatalf("power on: %v", err)
	}
	st = waitBootstrapped(t, p, ids[1])
	if st.PrimaryIP4 != ips[1] {
		t.Errorf("address changed across power cycle: %s → %s", ips[1], st.PrimaryIP4)
	}
	eventually(t, 10*time.Second, "HTTP after power on", func() error {
		_, err := get(ips[1], "/hello.txt")
		return err
	})
	run1 := readRun(t, p, ids[1])
	if got := guestFile(run1.PID, "/root/runcmd-count"); got != "ran\n" {
		t.Errorf("runcmd-count after reboot = %q, want one run", got)
	}
	if got := guestFile(run1.PID, "/root/boot-count"); got != "boot\nboot\n" {
		t.Errorf("boot-count after reboot = %q, want two boots", got)
	}

	// The Supervisor restarts: a new provider over the same state adopts
	// the running VMs without starting them again.
	before := map[string]runRecord{}
	for _, id := range ids {
		before[id] = readRun(t, p, id)
	}
	// A crash between starting a VM and recording it loses run.json: the
	// VM is found by its cgroup instead.
	if err := os.Remove(p.vmDir(ids[0]).run()); err != nil {
		t.Fatal(err)
	}
	p2, err := New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	listed, err := p2.List(ctx)
	if err != nil || len(listed) != 3 {
		t.Fatalf("List after restart = %v, %v", listed, err)
	}
	for i, id := range ids {
		st, err := p2.Reconcile(ctx, e.vm(id, fmt.Sprintf("web-%d", i), webUserData(fmt.Sprintf("web-%d", i))))
		if err != nil || st.PowerState != provider.PoweredOn || !st.BootstrapDone {
			t.Fatalf("Reconcile after restart: %+v, %v", st, err)
		}
		if after := readRun(t, p2, id); after.PID != before[id].PID || after.StartTime != before[id].StartTime {
			t.Errorf("VM %s was restarted: %+v → %+v", id, before[id], after)
		}
		if n := inits(p2, id); n != 1 {
			t.Errorf("VM %s has %d guest inits, want 1", id, n)
		}
		eventually(t, 10*time.Second, "HTTP after the restart", func() error {
			_, err := get(ips[i], "/hello.txt")
			return err
		})
	}

	t.Logf("restart checked at %s", time.Since(start).Round(time.Millisecond))

	// Publish captures the disk.
	out, err := p2.Publish(ctx, ids[0], t.TempDir())
	if err != nil {
		t.Fatalf("Publish: %v", err)
	}
	if b, err := exec.Command("tar", "-tzf", out).Output(); err != nil || !strings.Contains(string(b), "var/www/hello.txt") || !strings.Contains(string(b), "bin/busybox") {
		t.Errorf("published image lacks the VM's files: %v", err)
	}

	t.Logf("published at %s", time.Since(start).Round(time.Millisecond))

	// Delete leaves nothing behind.
	var pids []int
	for _, id := range append(ids, bad) {
		if run, ok := p2.running(id); ok {
			pids = append(pids, run.PID)
		}
	}
	for _, id := range append(ids, bad) {
		if err := p2.Delete(ctx, id); err != nil {
			t.Fatalf("Delete %s: %v", id, err)
		}
		if err := p2.Delete(ctx, id); err != nil {
			t.Fatalf("second Delete %s: %v", id, err)
		}
		if _, err := p2.Status(ctx, id); !errors.Is(err, provider.ErrNotFound) {
			t.Errorf("Status after Delete: %v", err)
		}
		assertGone(t, p2, id)
	}
	for _, pid := range pids {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			if _, zombie, _ := procStartTime(pid); !zombie {
				t.Errorf("process %d survived Delete", pid)
			}
		}
	}
	if mounts, _ := os.ReadFile("/proc/self/mountinfo"); strings.Contains(string(mounts), e.cfg.StateDir) {
		t.Errorf("mounts left under %s", e.cfg.StateDir)
	}
	if allocs, _ := p2.ipam.All(); len(allocs) != 0 {
		t.Errorf("IPAM allocations left: %v", allocs)
	}
	t.Logf("whole test %s", time.Since(start).Round(time.Millisecond))
}

func withPower(vm provider.VM, s provider.PowerState) provider.VM {
	vm.PowerState = s
	return vm
}

func assertGone(t *testing.T, p *Provider, id string) {
	t.Helper()
	n := namesFor(id)
	if _, err := os.Lstat(netns.Path(n.Netns)); err == nil {
		t.Errorf("network namespace %s left", n.Netns)
	}
	if netns.LinkExists(n.HostVeth) {
		t.Errorf("veth %s left", n.HostVeth)
	}
	if p.cg.exists(id) {
		t.Errorf("cgroups of %s left", id)
	}
	if _, err := os.Stat(string(p.vmDir(id))); err == nil {
		t.Errorf("directory of %s left", id)
	}
}

func TestVolumesAndSuspend(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	p, err := New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	id := randUUID()
	e.cleanup(p, id)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	os.Mkdir(data, 0o755)
	os.WriteFile(filepath.Join(data, "greeting"), []byte("from the host\n"), 0o644)
	vm := e.vm(id, "vols", "#cloud-config\nruncmd: ['echo hi > /mnt/data/from-guest']\n")
	vm.Volumes = []provider.Volume{{Name: "data", ClaimName: "data-pvc", Path: data}}
	if _, err := p.Reconcile(ctx, vm); err != nil {
		t.Fatal(err)
	}
	st := waitBootstrapped(t, p, id)
	if len(st.Volumes) != 1 || !st.Volumes[0].Attached || st.Volumes[0].DiskUUID != diskUUID("test", "data-pvc") {
		t.Fatalf("volumes: %+v", st.Volumes)
	}
	if b, _ := os.ReadFile(filepath.Join(data, "from-guest")); string(b) != "hi\n" {
		t.Errorf("the guest's write did not reach the host directory: %q", b)
	}
	run := readRun(t, p, id)
	if got := guestFile(run.PID, "/mnt/data/greeting"); got != "from the host\n" {
		t.Errorf("/mnt/data/greeting = %q", got)
	}

	// Hot attach: a second directory and an ext4 image file.
	more := filepath.Join(dir, "more")
	os.Mkdir(more, 0o755)
	os.WriteFile(filepath.Join(more, "x"), []byte("x"), 0o644)
	img := filepath.Join(dir, "disk.img")
	if err := os.WriteFile(img, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	os.Truncate(img, 16<<20)
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", img).CombinedOutput(); err != nil {
		t.Skipf("mkfs.ext4: %v %s", err, out)
	}
	vm.Volumes = append(vm.Volumes,
		provider.Volume{Name: "more", ClaimName: "more-pvc", Path: more, ReadOnly: true},
		provider.Volume{Name: "disk", ClaimName: "disk-pvc", Path: img})
	st, err = p.Reconcile(ctx, vm)
	if err != nil {
		t.Fatalf("hot attach: %v", err)
	}
	for _, v := range st.Volumes {
		if !v.Attached || v.Error != "" {
			t.Errorf("volume %+v", v)
		}
	}
	if got := guestFile(run.PID, "/mnt/more/x"); got != "x" {
		t.Errorf("hot-attached /mnt/more/x = %q", got)
	}
	if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(run.PID), "root/mnt/disk/lost+found")); err != nil {
		t.Errorf("the ext4 volume is not mounted: %v", err)
	}
	dev := VolumeDevicePrefix + diskUUID("test", "disk-pvc")
	if fi, err := os.Stat(filepath.Join("/proc", strconv.Itoa(run.PID), "root", dev)); err != nil || fi.Mode()&os.ModeDevice == 0 {
		t.Errorf("block device %s: %v %v", dev, fi, err)
	}

	// Suspend freezes the VM; resume thaws it.
	st, err = p.Reconcile(ctx, withPower(vm, provider.Suspended))
	if err != nil || st.PowerState != provider.Suspended {
		t.Fatalf("suspend: %+v %v", st, err)
	}
	st, err = p.Reconcile(ctx, vm)
	if err != nil || st.PowerState != provider.PoweredOn {
		t.Fatalf("resume: %+v %v", st, err)
	}

	// Detach one volume live; power off releases the loop device.
	vm.Volumes = vm.Volumes[:2]
	if _, err := p.Reconcile(ctx, vm); err != nil {
		t.Fatalf("hot detach: %v", err)
	}
	if out, _ := exec.Command("losetup", "-j", img).Output(); len(out) != 0 {
		t.Errorf("loop device left after detach: %s", out)
	}
	if _, err := os.Stat(filepath.Join("/proc", strconv.Itoa(run.PID), "root/mnt/disk/lost+found")); err == nil {
		t.Errorf("the detached volume is still mounted")
	}
	if err := p.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	assertGone(t, p, id)
}

func TestVMOutlivesSupervisor(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	id := randUUID()
	vm := e.vm(id, "survivor", webUserData("survivor"))
	arg, _ := json.Marshal(helperArgs{Config: e.cfg, VM: vm})
	sup := exec.Command(os.Args[0], "-test.run=^$")
	sup.Env = append(os.Environ(), helperEnv+"="+string(arg))
	out, _ := sup.StdoutPipe()
	sup.Stderr = os.Stderr
	if err := sup.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		_ = sup.Process.Kill()
		_ = sup.Wait()
		t.Fatalf("the helper Supervisor said %q", line)
	}
	// Kill the Supervisor that started the VM.
	_ = sup.Process.Signal(os.Kill)
	_ = sup.Wait()

	p, err := New(e.cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.cleanup(p, id)
	st := waitBootstrapped(t, p, id)
	before := readRun(t, p, id)
	eventually(t, 10*time.Second, "HTTP after the Supervisor died", func() error {
		_, err := get(st.PrimaryIP4, "/hello.txt")
		return err
	})
	if st, err := p.Reconcile(ctx, vm); err != nil || st.PowerState != provider.PoweredOn {
		t.Fatalf("Reconcile by the new Supervisor: %+v %v", st, err)
	}
	if after := readRun(t, p, id); after != before || inits(p, id) != 1 {
		t.Errorf("the VM was started again: %+v → %+v (%d inits)", before, after, inits(p, id))
	}
	if err := p.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	assertGone(t, p, id)
}
