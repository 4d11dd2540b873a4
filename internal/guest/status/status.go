package status

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// In-guest paths of the status file.
const (
	// RuntimePath is rewritten on every heartbeat; it lives on /run, so it
	// describes the current boot only.
	RuntimePath = "/run/kubevisor/status.json"
	// PersistentPath is rewritten when the bootstrap state changes; it is
	// on the VM's disk and survives power off.
	PersistentPath = "/var/lib/kubevisor/status.json"
	// HeartbeatInterval is how often the agent rewrites RuntimePath.
	HeartbeatInterval = 2 * time.Second
	// HeartbeatTimeout is how old a heartbeat may be for the guest to count
	// as alive.
	HeartbeatTimeout = 5 * HeartbeatInterval
)

// Bootstrap states.
const (
	BootstrapPending = "pending"
	BootstrapRunning = "running"
	BootstrapDone    = "done"
	BootstrapError   = "error"
	// BootstrapNone: the VM has no cloud-init seed.
	BootstrapNone = "none"
)

// Status is the content of the status files.
type Status struct {
	// Version is the format's version: 1.
	Version int `json:"version"`
	// Agent is the guest agent's version string.
	Agent string `json:"agent,omitempty"`
	// InstanceID is the cloud-init instance the bootstrap state is about.
	InstanceID string `json:"instanceID,omitempty"`
	// Hostname is the guest's host name.
	Hostname string `json:"hostname,omitempty"`
	// Booted is when the agent started.
	Booted time.Time `json:"booted"`
	// Heartbeat is when the agent last wrote this file.
	Heartbeat time.Time `json:"heartbeat"`
	// Bootstrap is cloud-init's progress.
	Bootstrap Bootstrap `json:"bootstrap"`
	// Services is the state of each supervised service.
	Services map[string]Service `json:"services,omitempty"`
}

// Bootstrap is cloud-init's progress for one instance.
type Bootstrap struct {
	// State is pending, running, done, error or none.
	State string `json:"state"`
	// Error says what failed when State is error.
	Error string `json:"error,omitempty"`
	// Warnings lists what was ignored (unsupported modules...).
	Warnings []string `json:"warnings,omitempty"`
	// Started and Finished time the bootstrap of this instance.
	Started  *time.Time `json:"started,omitempty"`
	Finished *time.Time `json:"finished,omitempty"`
}

// Service is one supervised service's state.
type Service struct {
	// State is active, activating, inactive, waiting or failed.
	State string `json:"state"`
	// PID is the service's main process ID inside the VM.
	PID int `json:"pid,omitempty"`
	// Restarts counts restarts since boot.
	Restarts int `json:"restarts,omitempty"`
	// LastExit describes the last exit ("exit status 1").
	LastExit string `json:"lastExit,omitempty"`
}

// Done reports whether the bootstrap finished successfully (or there was
// nothing to do).
func (s Status) Done() bool {
	return s.Bootstrap.State == BootstrapDone || s.Bootstrap.State == BootstrapNone
}

// Alive reports whether the heartbeat is recent at now.
func (s Status) Alive(now time.Time) bool {
	return !s.Heartbeat.IsZero() && now.Sub(s.Heartbeat) < HeartbeatTimeout
}

// Read reads a status file.
func Read(path string) (Status, error) {
	var s Status
	b, err := os.ReadFile(path)
	if err != nil {
		return s, err
	}
	if err := json.Unmarshal(b, &s); err != nil {
		return s, fmt.Errorf("parsing %s: %w", path, err)
	}
	return s, nil
}

// Write replaces a status file atomically.
func Write(path string, s Status) error {
	s.Version = 1
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(b, '\n'), 0o644)
}

// WriteFileAtomic writes data to a temporary file beside path and renames
// it into place, creating the parent directory.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
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
