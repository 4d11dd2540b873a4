package guest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kubevisor/kubevisor/internal/guest/boot"
	"github.com/kubevisor/kubevisor/internal/guest/cloudinit"
	"github.com/kubevisor/kubevisor/internal/guest/reaper"
	"github.com/kubevisor/kubevisor/internal/guest/services"
	"github.com/kubevisor/kubevisor/internal/guest/status"
)

// agent is the VM's init.
type agent struct {
	console io.Writer
	reaper  *reaper.Reaper
	sup     *services.Supervisor

	mu sync.Mutex
	st status.Status
}

func (a *agent) logf(format string, args ...any) {
	fmt.Fprintf(a.console, "kubevisor-guest: "+format+"\n", args...)
}

func runAgent(ctx context.Context, console io.Writer) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pid1 := os.Getpid() == 1
	a := &agent{console: console, reaper: reaper.New(pid1)}
	a.sup = &services.Supervisor{Root: "/", Reaper: a.reaper, Log: console}
	now := time.Now()
	a.st = status.Status{Agent: Version, Booted: now, Heartbeat: now, Bootstrap: status.Bootstrap{State: status.BootstrapPending}}
	a.logf("starting (version %s, pid %d)", Version, os.Getpid())

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGPWR)
	// The reaper outlives ctx: shutdown still needs exit statuses.
	reapCtx, stopReaping := context.WithCancel(context.Background())
	defer stopReaping()
	go a.reaper.Run(reapCtx)
	if pid1 {
		ensureMounts(a.logf)
	}
	applySysctls("/", a.logf)
	ensureSystemctl(a.logf)
	a.writeStatus(false)
	go a.heartbeat(ctx)

	if l, err := services.Listen("/"); err != nil {
		a.logf("control socket: %v", err)
	} else {
		go a.sup.Serve(ctx, l)
	}
	go a.bootstrap(ctx)

	sig := <-sigs
	a.logf("received %s: shutting down", sig)
	cancel()
	a.shutdown(pid1)
	return nil
}

// bootstrap runs cloud-init's stages around the start of services.
func (a *agent) bootstrap(ctx context.Context) {
	seed, ok, err := cloudinit.ReadSeed("/")
	if !ok && err == nil {
		a.setBootstrap(status.Bootstrap{State: status.BootstrapNone}, "")
		a.sup.Load()
		a.sup.Run(ctx)
		return
	}
	if err != nil {
		a.logf("cloud-init: %v", err)
	}
	out := a.outputLog()
	applier := &cloudinit.Applier{
		Root: "/", Seed: seed, Out: out,
		Run:         a.runner(out),
		SetHostname: func(h string) error { return unix.Sethostname([]byte(h)) },
	}
	iid := seed.MetaData.InstanceID()
	started := time.Now()
	if prev, done := applier.Previous(); done {
		a.setBootstrap(resultBootstrap(prev, nil), iid)
	} else {
		a.setBootstrap(status.Bootstrap{State: status.BootstrapRunning, Started: &started}, iid)
	}
	applier.Init(ctx)
	// Services start before the final stage, as systemd's multi-user
	// services do before cloud-final (kubeadm in runcmd needs containerd).
	a.sup.Load()
	a.sup.StartWanted()
	go a.sup.Run(ctx)
	res := applier.Final(ctx)
	if err != nil {
		res.Errors = append([]string{err.Error()}, res.Errors...)
	}
	b := resultBootstrap(res, &started)
	if !res.Fresh {
		b.Started = nil
	}
	a.setBootstrap(b, iid)
	if res.Err() != nil {
		a.logf("bootstrap failed: %v", res.Err())
	} else {
		a.logf("bootstrap done")
	}
}

func resultBootstrap(r cloudinit.Result, started *time.Time) status.Bootstrap {
	b := status.Bootstrap{State: status.BootstrapDone, Warnings: r.Warnings, Started: started}
	if !r.Finished.IsZero() {
		f := r.Finished
		b.Finished = &f
	}
	if err := r.Err(); err != nil {
		b.State, b.Error = status.BootstrapError, err.Error()
	}
	return b
}

func (a *agent) setBootstrap(b status.Bootstrap, iid string) {
	a.mu.Lock()
	a.st.Bootstrap, a.st.InstanceID = b, iid
	a.mu.Unlock()
	a.writeStatus(true)
}

// outputLog is cloud-init's output: the console and
// /var/log/cloud-init-output.log.
func (a *agent) outputLog() io.Writer {
	if err := os.MkdirAll(filepath.Dir(cloudinit.OutputLog), 0o755); err == nil {
		if f, err := os.OpenFile(cloudinit.OutputLog, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640); err == nil {
			return io.MultiWriter(a.console, f)
		}
	}
	return a.console
}

// runner runs cloud-init's scripts, their output copied to out.
func (a *agent) runner(out io.Writer) cloudinit.Runner {
	return func(ctx context.Context, argv, env []string) error {
		r, w, err := os.Pipe()
		if err != nil {
			return err
		}
		go func() {
			_, _ = io.Copy(out, r)
			r.Close()
		}()
		cmd := exec.Command(argv[0], argv[1:]...)
		cmd.Env = append(append(os.Environ(), "HOME=/root"), env...)
		cmd.Dir = "/"
		cmd.Stdout, cmd.Stderr = w, w
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		err = a.reaper.RunCmd(ctx, cmd)
		w.Close()
		return err
	}
}

func (a *agent) heartbeat(ctx context.Context) {
	t := time.NewTicker(status.HeartbeatInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.writeStatus(false)
		}
	}
}

// writeStatus rewrites the runtime status file and, when persist is set,
// the copy on the VM's disk.
func (a *agent) writeStatus(persist bool) {
	a.mu.Lock()
	a.st.Heartbeat = time.Now()
	a.st.Services = a.sup.Snapshot()
	if h, err := os.Hostname(); err == nil {
		a.st.Hostname = h
	}
	st := a.st
	a.mu.Unlock()
	if err := status.Write(status.RuntimePath, st); err != nil {
		a.logf("writing status: %v", err)
	}
	if persist {
		if err := status.Write(status.PersistentPath, st); err != nil {
			a.logf("writing status: %v", err)
		}
	}
}

// shutdown stops services, then every other process, and syncs.
func (a *agent) shutdown(pid1 bool) {
	a.sup.StopAll()
	if pid1 {
		_ = syscall.Kill(-1, syscall.SIGTERM)
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) && !errors.Is(syscall.Kill(-1, 0), syscall.ESRCH) {
			reapNow()
			time.Sleep(50 * time.Millisecond)
		}
		_ = syscall.Kill(-1, syscall.SIGKILL)
		reapNow()
	}
	a.mu.Lock()
	a.st.Heartbeat = time.Time{}
	a.st.Services = nil
	st := a.st
	a.mu.Unlock()
	_ = status.Write(status.PersistentPath, st)
	_ = os.Remove(status.RuntimePath)
	syscall.Sync()
	a.logf("stopped")
}

func reapNow() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err != nil || pid <= 0 {
			return
		}
	}
}

// ensureMounts mounts the API file systems a boot without the boot step
// (another init path) may have left out.
func ensureMounts(logf func(string, ...any)) {
	mounted := map[string]bool{}
	if b, err := os.ReadFile("/proc/self/mountinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if f := strings.Fields(l); len(f) > 4 {
				mounted[f[4]] = true
			}
		}
	}
	for _, m := range []struct{ target, fstype, data string }{
		{"/proc", "proc", ""}, {"/sys", "sysfs", ""}, {"/dev", "devtmpfs", "mode=755"},
		{"/dev/pts", "devpts", "newinstance,ptmxmode=0666"}, {"/run", "tmpfs", "mode=755"},
	} {
		if mounted[m.target] {
			continue
		}
		_ = os.MkdirAll(m.target, 0o755)
		if err := unix.Mount(m.fstype, m.target, m.fstype, 0, m.data); err != nil {
			logf("mounting %s: %v", m.target, err)
		}
	}
}

// applySysctls applies /etc/sysctl.d/*.conf then /etc/sysctl.conf, as
// systemd-sysctl does; a key prefixed with "-" may fail silently.
func applySysctls(root string, logf func(string, ...any)) {
	files, _ := filepath.Glob(filepath.Join(root, "etc/sysctl.d/*.conf"))
	sort.Strings(files)
	files = append(files, filepath.Join(root, "etc/sysctl.conf"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(b), "\n") {
			line = strings.TrimSpace(line)
			if line == "" || line[0] == '#' || line[0] == ';' {
				continue
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			quiet := strings.HasPrefix(k, "-")
			k = strings.TrimPrefix(k, "-")
			p := filepath.Join(root, "proc/sys", strings.ReplaceAll(k, ".", "/"))
			if err := os.WriteFile(p, []byte(v+"\n"), 0o644); err != nil && !quiet {
				logf("sysctl %s=%s: %v", k, v, err)
			}
		}
	}
}

// ensureSystemctl links systemctl to the agent when the image has none.
func ensureSystemctl(logf func(string, ...any)) {
	if _, err := exec.LookPath("systemctl"); err == nil {
		return
	}
	for _, dir := range []string{"/usr/bin", "/bin"} {
		if st, err := os.Stat(dir); err == nil && st.IsDir() {
			if err := os.Symlink(boot.AgentPath, filepath.Join(dir, "systemctl")); err != nil {
				logf("linking systemctl: %v", err)
			}
			return
		}
	}
}
