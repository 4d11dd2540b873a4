package services

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/kubevisor/kubevisor/internal/guest/reaper"
	"github.com/kubevisor/kubevisor/internal/guest/status"
)

// Service states, with systemd's names.
const (
	StateActive       = "active"
	StateActivating   = "activating"
	StateDeactivating = "deactivating"
	StateInactive     = "inactive"
	StateFailed       = "failed"
)

// ErrNotFound: no such service.
var ErrNotFound = errors.New("unit not found")

// DefaultPath is the PATH services get unless their env sets one.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Supervisor runs services.
type Supervisor struct {
	// Root is the guest's root ("/" in a VM); definitions, logs and
	// conditions are read under it.
	Root string
	// Reaper starts processes.
	Reaper *reaper.Reaper
	// Log receives the supervisor's own messages.
	Log io.Writer

	mu       sync.Mutex
	services map[string]*service
	wake     chan struct{}
}

type service struct {
	name     string
	def      Definition
	defined  bool
	wanted   bool
	stopping bool
	state    string
	proc     *os.Process
	exited   chan struct{}
	restarts int
	lastExit string
	since    time.Time
	next     time.Time
	waiting  string
}

func (s *Supervisor) logf(format string, args ...any) {
	if s.Log != nil {
		fmt.Fprintf(s.Log, "services: "+format+"\n", args...)
	}
}

func (s *Supervisor) path(p string) string { return filepath.Join(s.Root, p) }

func (s *Supervisor) init() {
	if s.services == nil {
		s.services = map[string]*service{}
		s.wake = make(chan struct{}, 1)
	}
}

// Load reads the definitions and marks the enabled services wanted.
func (s *Supervisor) Load() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	s.reloadLocked()
	for _, svc := range s.services {
		if svc.defined && svc.def.Enabled {
			svc.wanted = true
		}
	}
}

func (s *Supervisor) reloadLocked() {
	defs, errs := Load(s.path(Dir))
	for _, err := range errs {
		s.logf("%v", err)
	}
	for _, svc := range s.services {
		svc.defined = false
	}
	for name, d := range defs {
		svc, ok := s.services[name]
		if !ok {
			svc = &service{name: name, state: StateInactive}
			s.services[name] = svc
		}
		svc.def, svc.defined = d, true
	}
}

// Run starts wanted services whose conditions hold, and restarts them by
// policy, until ctx ends. Call Load first.
func (s *Supervisor) Run(ctx context.Context) {
	s.mu.Lock()
	s.init()
	s.mu.Unlock()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		s.StartWanted()
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.wake:
		}
	}
}

// StartWanted starts, now, every wanted service that is not running and
// whose condition holds. Run does this periodically; the agent calls it
// once at boot so that services are up before cloud-init's final stage.
func (s *Supervisor) StartWanted() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	for _, name := range s.namesLocked() {
		s.maybeStartLocked(s.services[name])
	}
}

func (s *Supervisor) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

func (s *Supervisor) namesLocked() []string {
	names := make([]string, 0, len(s.services))
	for n := range s.services {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (s *Supervisor) maybeStartLocked(svc *service) {
	if !svc.wanted || !svc.defined || svc.proc != nil || time.Now().Before(svc.next) {
		return
	}
	if unmet := s.unmetCondition(svc.def); unmet != "" {
		if svc.waiting != unmet {
			s.logf("%s: waiting for condition %s", svc.name, unmet)
		}
		svc.waiting, svc.state = unmet, StateActivating
		return
	}
	svc.waiting = ""
	if err := s.startLocked(svc); err != nil {
		s.logf("%s: %v", svc.name, err)
		svc.lastExit = err.Error()
		s.afterExitLocked(svc, true)
	}
}

func (s *Supervisor) unmetCondition(d Definition) string {
	for _, c := range d.ConditionPathExists {
		neg := strings.HasPrefix(c, "!")
		_, err := os.Stat(s.path(strings.TrimPrefix(c, "!")))
		if (err == nil) == neg {
			return "ConditionPathExists=" + c
		}
	}
	return ""
}

// environment builds the service's variables: defaults, env, then the
// environment files.
func (s *Supervisor) environment(d Definition) (map[string]string, error) {
	env := map[string]string{"PATH": DefaultPath, "HOME": "/root", "LANG": "C.UTF-8"}
	for _, e := range d.Env {
		k, v, _ := strings.Cut(e, "=")
		env[k] = v
	}
	for _, f := range d.EnvironmentFiles {
		optional := strings.HasPrefix(f, "-")
		b, err := os.ReadFile(s.path(strings.TrimPrefix(f, "-")))
		if err != nil {
			if optional && os.IsNotExist(err) {
				continue
			}
			return nil, fmt.Errorf("reading environment file: %w", err)
		}
		for k, v := range ParseEnvFile(b) {
			env[k] = v
		}
	}
	return env, nil
}

func (s *Supervisor) startLocked(svc *service) error {
	env, err := s.environment(svc.def)
	if err != nil {
		return err
	}
	argv := ExpandCommand(svc.def.Command, env)
	if len(argv) == 0 {
		return errors.New("command expands to nothing")
	}
	if err := os.MkdirAll(s.path(LogDir), 0o755); err != nil {
		return err
	}
	logf, err := os.OpenFile(s.path(filepath.Join(LogDir, svc.name+".log")), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	if p, ok := env["PATH"]; ok && !strings.Contains(argv[0], "/") {
		if full, err := lookPath(argv[0], p); err == nil {
			cmd.Path, cmd.Err = full, nil
		}
	}
	cmd.Env = make([]string, 0, len(env))
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	sort.Strings(cmd.Env)
	cmd.Dir = svc.def.WorkingDir
	if cmd.Dir == "" {
		cmd.Dir = s.path("/")
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	done, err := s.Reaper.Start(cmd)
	if err != nil {
		return fmt.Errorf("starting %s: %w", argv[0], err)
	}
	svc.proc, svc.state, svc.since, svc.stopping = cmd.Process, StateActive, time.Now(), false
	exited := make(chan struct{})
	svc.exited = exited
	s.logf("%s: started (pid %d)", svc.name, cmd.Process.Pid)
	go func() {
		ws := <-done
		s.mu.Lock()
		defer s.mu.Unlock()
		svc.proc = nil
		close(exited)
		err := reaper.ExitError(ws)
		svc.lastExit = "exit status 0"
		if err != nil {
			svc.lastExit = err.Error()
		}
		s.logf("%s: %s", svc.name, svc.lastExit)
		s.afterExitLocked(svc, err != nil)
	}()
	return nil
}

func lookPath(name, path string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

func (s *Supervisor) afterExitLocked(svc *service, failed bool) {
	svc.since = time.Now()
	switch {
	case svc.stopping || !svc.wanted:
		svc.state, svc.wanted = StateInactive, false
	case svc.def.restartPolicy() == RestartAlways || failed && svc.def.restartPolicy() == RestartOnFailure:
		svc.state, svc.next = StateActivating, time.Now().Add(svc.def.restartDelay())
		svc.restarts++
	case failed:
		svc.state, svc.wanted = StateFailed, false
	default:
		svc.state, svc.wanted = StateInactive, false
	}
	s.poke()
}

// Start makes a service wanted and starts it now if its condition holds.
func (s *Supervisor) Start(name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	svc, ok := s.services[name]
	if !ok || !svc.defined {
		return fmt.Errorf("unit %s.service: %w", name, ErrNotFound)
	}
	svc.wanted = true
	if svc.proc == nil {
		svc.next = time.Time{}
		s.maybeStartLocked(svc)
	}
	return nil
}

// Stop stops a service and waits for it to end: SIGTERM, then SIGKILL
// after its stop timeout.
func (s *Supervisor) Stop(name string) error {
	s.mu.Lock()
	s.init()
	svc, ok := s.services[name]
	if !ok {
		s.mu.Unlock()
		return fmt.Errorf("unit %s.service: %w", name, ErrNotFound)
	}
	svc.wanted = false
	if svc.proc == nil {
		if svc.state != StateFailed {
			svc.state = StateInactive
		}
		s.mu.Unlock()
		return nil
	}
	svc.stopping, svc.state = true, StateDeactivating
	proc, exited, timeout, group := svc.proc, svc.exited, svc.def.stopTimeout(), svc.def.KillMode != "process"
	s.mu.Unlock()

	signal(proc.Pid, syscall.SIGTERM, group)
	select {
	case <-exited:
	case <-time.After(timeout):
		s.logf("%s: did not stop in %s, killing", name, timeout)
		signal(proc.Pid, syscall.SIGKILL, group)
		<-exited
	}
	return nil
}

func signal(pid int, sig syscall.Signal, group bool) {
	if group {
		if err := syscall.Kill(-pid, sig); err == nil {
			return
		}
	}
	_ = syscall.Kill(pid, sig)
}

// Restart stops then starts a service.
func (s *Supervisor) Restart(name string) error {
	if err := s.Stop(name); err != nil {
		return err
	}
	return s.Start(name)
}

// StopAll stops every running service, all at once.
func (s *Supervisor) StopAll() {
	s.mu.Lock()
	s.init()
	names := s.namesLocked()
	s.mu.Unlock()
	var wg sync.WaitGroup
	for _, n := range names {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = s.Stop(n)
		}()
	}
	wg.Wait()
}

// SetEnabled rewrites a service file's enabled field.
func (s *Supervisor) SetEnabled(name string, enabled bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	svc, ok := s.services[name]
	if !ok || !svc.defined {
		return fmt.Errorf("unit %s.service: %w", name, ErrNotFound)
	}
	p := s.path(filepath.Join(Dir, name+".json"))
	d, err := ReadDefinition(p)
	if err != nil {
		return err
	}
	d.Enabled = enabled
	if err := WriteDefinition(p, d); err != nil {
		return err
	}
	svc.def.Enabled = enabled
	return nil
}

// Reload re-reads the definitions (daemon-reload). Running services keep
// running; new definitions apply at their next start.
func (s *Supervisor) Reload() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	s.reloadLocked()
	s.poke()
}

// Info is a service's state as systemctl reports it.
type Info struct {
	Name     string
	Defined  bool
	Enabled  bool
	State    string
	PID      int
	Since    time.Time
	Restarts int
	LastExit string
	Waiting  string
	Def      Definition
}

// Get returns one service's state.
func (s *Supervisor) Get(name string) (Info, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	svc, ok := s.services[name]
	if !ok {
		return Info{Name: name}, false
	}
	return svc.info(), svc.defined
}

func (svc *service) info() Info {
	i := Info{Name: svc.name, Defined: svc.defined, Enabled: svc.def.Enabled, State: svc.state, Since: svc.since,
		Restarts: svc.restarts, LastExit: svc.lastExit, Waiting: svc.waiting, Def: svc.def}
	if svc.proc != nil {
		i.PID = svc.proc.Pid
	}
	return i
}

// List returns every service's state, by name.
func (s *Supervisor) List() []Info {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	var out []Info
	for _, n := range s.namesLocked() {
		out = append(out, s.services[n].info())
	}
	return out
}

// Snapshot is the services' state for the status file.
func (s *Supervisor) Snapshot() map[string]status.Service {
	out := map[string]status.Service{}
	for _, i := range s.List() {
		if !i.Defined && i.PID == 0 {
			continue
		}
		out[i.Name] = status.Service{State: i.State, PID: i.PID, Restarts: i.Restarts, LastExit: i.LastExit}
	}
	return out
}
