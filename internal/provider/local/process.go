package local

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kubevisor/kubevisor/internal/guest/boot"
	"github.com/kubevisor/kubevisor/internal/netns"
	"github.com/kubevisor/kubevisor/internal/provider"
)

// maxConsoleLog is the console log size above which a boot starts it
// afresh.
const maxConsoleLog = 16 << 20

// ensureRunning boots the VM unless it runs; for a running VM it applies
// what can change live (class limits, network, volumes).
func (p *Provider) ensureRunning(ctx context.Context, rec *record, vm provider.VM) error {
	run, running := p.running(rec.ID)
	if err := p.cg.ensure(rec.ID, rec.Class); err != nil {
		return fmt.Errorf("VM %s: %w", rec.ID, err)
	}
	pid := 0
	if running {
		pid = run.PID
	}
	if err := p.ensureNetwork(ctx, rec, pid); err != nil {
		return err
	}
	if running {
		return p.hotplugVolumes(ctx, rec, run)
	}
	if err := p.attachLoops(ctx, rec); err != nil {
		return err
	}
	if err := p.boot(ctx, rec); err != nil {
		return err
	}
	for i := range rec.Volumes {
		v := &rec.Volumes[i]
		v.Attached = v.Error == "" && !v.Removed && (v.Kind == volumeDirectory || v.Loop != "")
	}
	return writeJSON(p.vmDir(rec.ID).record(), rec)
}

// ensureNetwork makes the VM's namespace, veth and addresses exist.
func (p *Provider) ensureNetwork(ctx context.Context, rec *record, pid int) error {
	n := namesFor(rec.ID)
	if err := netns.EnsureNamespace(ctx, n.Netns, pid); err != nil {
		return err
	}
	addr, err := netip.ParsePrefix(rec.IP)
	if err != nil {
		return fmt.Errorf("VM %s address %q: %w", rec.ID, rec.IP, err)
	}
	return netns.EnsureVeth(ctx, netns.Veth{
		Namespace: n.Netns, Host: n.HostVeth, Guest: GuestInterface,
		HostMAC: n.HostMAC, GuestMAC: n.GuestMAC, Bridge: p.cfg.Bridge,
		Addr: addr, Gateway: p.gateway.Addr(), MTU: p.cfg.MTU,
	})
}

// boot starts the VM: the guest agent's boot step, detached from the
// Supervisor (new session, no parent-death signal, output to the console
// log), in new PID, mount, UTS and IPC namespaces inside the VM's network
// namespace. It returns once the root file system is assembled.
func (p *Provider) boot(ctx context.Context, rec *record) error {
	d := p.vmDir(rec.ID)
	cfg := boot.Config{
		ID:           rec.ID,
		Hostname:     shortHostname(rec.Hostname),
		Root:         d.root(),
		Lower:        []string{p.imageRoot(rec.ImageKey)},
		Upper:        d.upper(),
		Work:         d.work(),
		CgroupProcs:  p.cg.procsFiles(rec.ID),
		CgroupMounts: p.cg.mounts(),
		Agent:        boot.AgentPath,
	}
	for _, s := range rec.Scratch {
		cfg.Mounts = append(cfg.Mounts, boot.Mount{Source: d.scratch(s), Target: s})
	}
	cfg.Mounts = append(cfg.Mounts,
		boot.Mount{Source: d.seed(), Target: seedDir, ReadOnly: true},
		boot.Mount{Source: p.agent, Target: boot.AgentPath, ReadOnly: true})
	mounts, devices := bootVolumes(rec.Volumes)
	cfg.Mounts, cfg.Devices = append(cfg.Mounts, mounts...), devices
	if err := boot.Write(d.bootConfig(), cfg); err != nil {
		return err
	}

	if st, err := os.Stat(d.console()); err == nil && st.Size() > maxConsoleLog {
		_ = os.Truncate(d.console(), 0)
	}
	console, err := os.OpenFile(d.console(), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer console.Close()
	fmt.Fprintf(console, "--- kubevisor: booting %s at %s\n", rec.ID, time.Now().UTC().Format(time.RFC3339))
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return err
	}
	defer readyR.Close()
	cmd := exec.Command(p.agent, "boot", d.bootConfig())
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = console, console
	cmd.ExtraFiles = []*os.File{readyW} // fd 3: guest.ReadyFD
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setsid:     true,
		Cloneflags: syscall.CLONE_NEWNS | syscall.CLONE_NEWPID | syscall.CLONE_NEWUTS | syscall.CLONE_NEWIPC,
	}
	err = startInNetns(cmd, netns.Path(namesFor(rec.ID).Netns))
	readyW.Close()
	if err != nil {
		return fmt.Errorf("starting VM %s: %w", rec.ID, err)
	}
	// Reap it if it ends while this process lives; once the Supervisor is
	// gone, init does.
	go func() { _ = cmd.Wait() }()
	start, _, err := procStartTime(cmd.Process.Pid)
	if err != nil {
		return fmt.Errorf("starting VM %s: %w", rec.ID, err)
	}
	run := runRecord{PID: cmd.Process.Pid, StartTime: start, BootID: bootID(), Started: time.Now().UTC()}
	if err := writeJSON(d.run(), run); err != nil {
		_ = p.kill(run, rec.ID)
		return err
	}

	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(readyR).ReadString('\n')
		line <- strings.TrimSpace(s)
	}()
	timeout := time.NewTimer(p.cfg.BootTimeout)
	defer timeout.Stop()
	select {
	case s := <-line:
		if s == "ok" {
			return nil
		}
		_ = p.kill(run, rec.ID)
		if s == "" {
			s = "the boot step exited; see " + d.console()
		}
		return fmt.Errorf("booting VM %s: %s", rec.ID, s)
	case <-timeout.C:
		_ = p.kill(run, rec.ID)
		return fmt.Errorf("booting VM %s: no answer in %s; see %s", rec.ID, p.cfg.BootTimeout, d.console())
	case <-ctx.Done():
		return ctx.Err() // the VM may still come up; the next pass sees it
	}
}

// startInNetns starts cmd from a thread that has joined the network
// namespace at nsPath, so that the child is born in it. The thread is
// thrown away afterwards (it stays locked when its goroutine ends).
func startInNetns(cmd *exec.Cmd, nsPath string) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		fd, err := unix.Open(nsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
		if err != nil {
			errc <- fmt.Errorf("opening network namespace: %w", err)
			return
		}
		defer unix.Close(fd)
		if err := unix.Setns(fd, unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("joining network namespace: %w", err)
			return
		}
		errc <- cmd.Start()
	}()
	return <-errc
}

// stop powers the VM off cleanly: SIGTERM to the agent, which stops its
// services and everything else, then SIGKILL for what is left after the
// stop timeout.
func (p *Provider) stop(ctx context.Context, rec *record, run runRecord) error {
	_ = p.cg.freeze(rec.ID, false)
	_ = syscall.Kill(run.PID, syscall.SIGTERM)
	deadline := time.NewTimer(p.cfg.StopTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for run.alive() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return p.kill(run, rec.ID)
		case <-tick.C:
		}
	}
	return p.cg.kill(rec.ID, 10*time.Second)
}

// kill ends the VM at once: its PID 1 (which takes its PID namespace
// with it), then anything left in its cgroups.
func (p *Provider) kill(run runRecord, id string) error {
	_ = p.cg.freeze(id, false)
	if run.alive() {
		_ = syscall.Kill(run.PID, syscall.SIGKILL)
	}
	return p.cg.kill(id, 10*time.Second)
}

// teardown removes what a powered-off VM does not need: its processes'
// cgroups and its network namespace and veth. The disk and the address
// stay.
func (p *Provider) teardown(ctx context.Context, rec *record) error {
	var errs []error
	if err := p.cg.kill(rec.ID, 10*time.Second); err != nil {
		errs = append(errs, err)
	} else if err := p.cg.remove(rec.ID); err != nil {
		errs = append(errs, err)
	}
	n := namesFor(rec.ID)
	if err := netns.DeleteNamespace(ctx, n.Netns); err != nil {
		errs = append(errs, err)
	}
	if err := netns.DeleteLink(ctx, n.HostVeth); err != nil {
		errs = append(errs, err)
	}
	_ = os.Remove(p.vmDir(rec.ID).run())
	return errors.Join(errs...)
}

// shortHostname is the kernel host name: at most 64 bytes.
func shortHostname(h string) string {
	if len(h) > 64 {
		h, _, _ = strings.Cut(h, ".")
	}
	if len(h) > 64 {
		h = h[:64]
	}
	return h
}
