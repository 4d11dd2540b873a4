package boot

import (
	"encoding/json"
	"fmt"
	"os"
)

// AgentPath is where the guest agent is bound inside every VM; the
// systemctl shim is a symlink to it.
const AgentPath = "/.kubevisor/guest"

// Config tells the boot step how to assemble a VM. Host paths are absolute
// paths on the host; guest paths are absolute inside the VM.
type Config struct {
	// ID is the VM's ID (for messages).
	ID string `json:"id"`
	// Hostname is the VM's initial host name.
	Hostname string `json:"hostname"`
	// Root is the host directory the root file system is assembled on.
	Root string `json:"root"`
	// Lower are the image's read-only layers, uppermost first (host paths).
	Lower []string `json:"lower"`
	// Upper and Work are the overlay's upper and work directories: the
	// VM's disk (host paths).
	Upper string `json:"upper"`
	Work  string `json:"work"`
	// CgroupProcs are the cgroup.procs files of the VM's cgroups, joined
	// before anything else starts (host paths).
	CgroupProcs []string `json:"cgroupProcs,omitempty"`
	// CgroupMounts are the host's cgroup hierarchies (mount points), bound
	// at the same paths inside the VM.
	CgroupMounts []string `json:"cgroupMounts,omitempty"`
	// Mounts are mounted in order after the overlay.
	Mounts []Mount `json:"mounts,omitempty"`
	// Devices are block device nodes to create in the VM's /dev.
	Devices []Device `json:"devices,omitempty"`
	// Agent is the guest path exec'ed as PID 1 (AgentPath by default).
	Agent string `json:"agent,omitempty"`
}

// Mount is one mount into the VM.
type Mount struct {
	// Source is a host path (a directory, a file, or a block device).
	Source string `json:"source"`
	// Target is the guest path.
	Target string `json:"target"`
	// Type is "bind" (default) or a file system type such as "ext4" to
	// mount Source (a block device) with.
	Type string `json:"type,omitempty"`
	// ReadOnly mounts read-only.
	ReadOnly bool `json:"readOnly,omitempty"`
}

// Device is a block device node made inside the VM.
type Device struct {
	// Source is the host device (e.g. /dev/loop3).
	Source string `json:"source"`
	// Target is the guest path of the node.
	Target string `json:"target"`
}

// Read reads a boot config.
func Read(path string) (Config, error) {
	var c Config
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("parsing boot config %s: %w", path, err)
	}
	return c, nil
}

// Write writes a boot config.
func Write(path string, c Config) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}
