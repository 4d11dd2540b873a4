package reaper

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"sync"
	"syscall"
)

// Reaper starts processes and reports their exits.
type Reaper struct {
	reap    bool
	mu      sync.Mutex
	waiters map[int]chan syscall.WaitStatus
}

// New returns a reaper. With reap (PID 1), Run must be running; without,
// each process is waited for with os/exec.
func New(reap bool) *Reaper {
	return &Reaper{reap: reap, waiters: map[int]chan syscall.WaitStatus{}}
}

// Run reaps children until ctx ends.
func (r *Reaper) Run(ctx context.Context) {
	if !r.reap {
		return
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGCHLD)
	defer signal.Stop(sigs)
	for {
		r.reapAll()
		select {
		case <-ctx.Done():
			return
		case <-sigs:
		}
	}
}

func (r *Reaper) reapAll() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		if ch, ok := r.waiters[pid]; ok {
			delete(r.waiters, pid)
			ch <- ws
		}
	}
}

// Start starts cmd; the channel receives its exit status. Give cmd only
// *os.File streams (or none): in reaping mode cmd.Wait is never called.
func (r *Reaper) Start(cmd *exec.Cmd) (<-chan syscall.WaitStatus, error) {
	ch := make(chan syscall.WaitStatus, 1)
	if !r.reap {
		if err := cmd.Start(); err != nil {
			return nil, err
		}
		go func() {
			_ = cmd.Wait()
			ch <- cmd.ProcessState.Sys().(syscall.WaitStatus)
		}()
		return ch, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r.waiters[cmd.Process.Pid] = ch
	return ch, nil
}

// RunCmd runs cmd to its end and returns an error describing a failure.
func (r *Reaper) RunCmd(ctx context.Context, cmd *exec.Cmd) error {
	ch, err := r.Start(cmd)
	if err != nil {
		return err
	}
	select {
	case ws := <-ch:
		return ExitError(ws)
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-ch
		return ctx.Err()
	}
}

// ExitError describes a wait status as an error, nil for success.
func ExitError(ws syscall.WaitStatus) error {
	switch {
	case ws.Exited() && ws.ExitStatus() == 0:
		return nil
	case ws.Signaled():
		return &Error{Status: ws, msg: "killed by signal " + ws.Signal().String()}
	default:
		return &Error{Status: ws, msg: "exit status " + strconv.Itoa(ws.ExitStatus())}
	}
}

// Error is a process's failure.
type Error struct {
	Status syscall.WaitStatus
	msg    string
}

func (e *Error) Error() string { return e.msg }
