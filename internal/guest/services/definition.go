package services

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Paths inside the guest.
const (
	// Dir holds one <name>.json Definition per service.
	Dir = "/etc/kubevisor/services"
	// LogDir holds each service's <name>.log (stdout and stderr).
	LogDir = "/var/log/kubevisor"
	// Socket is the agent's control socket.
	Socket = "/run/kubevisor/agent.sock"
)

// Restart policies.
const (
	RestartAlways    = "always"
	RestartOnFailure = "on-failure"
	RestartNo        = "no"
)

// Definition is a service file, /etc/kubevisor/services/<name>.json.
type Definition struct {
	// Description is shown by status.
	Description string `json:"description,omitempty"`
	// Command is the argv. An element that is exactly $NAME expands to the
	// variable's value split on white space (zero or more arguments);
	// ${NAME} and $NAME inside an element are replaced in place. Variables
	// come from Env and EnvironmentFiles, as in a systemd unit.
	Command []string `json:"command"`
	// Env lists NAME=value pairs.
	Env []string `json:"env,omitempty"`
	// EnvironmentFiles are read at each start (NAME=value lines, values
	// optionally quoted; later files override). A leading "-" makes a
	// file optional.
	EnvironmentFiles []string `json:"environmentFiles,omitempty"`
	// WorkingDir is the working directory ("/" by default).
	WorkingDir string `json:"workingDir,omitempty"`
	// Restart is always (default), on-failure or no.
	Restart string `json:"restart,omitempty"`
	// RestartSec is the delay before a restart, in seconds (default 1).
	RestartSec float64 `json:"restartSec,omitempty"`
	// TimeoutStopSec is how long stop waits after SIGTERM before SIGKILL,
	// in seconds (default 10).
	TimeoutStopSec float64 `json:"timeoutStopSec,omitempty"`
	// ConditionPathExists lists paths that must all exist for the service
	// to start ("!path": must not exist). A wanted service whose condition
	// fails waits and starts as soon as it holds.
	ConditionPathExists []string `json:"conditionPathExists,omitempty"`
	// Enabled services start at boot. systemctl enable/disable rewrite it.
	Enabled bool `json:"enabled,omitempty"`
	// KillMode is "process-group" (default: stop signals the service's
	// process group) or "process" (only the main process, like
	// containerd's unit, so that its shims survive a restart).
	KillMode string `json:"killMode,omitempty"`
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$`)

// Validate checks a definition.
func (d Definition) Validate() error {
	if len(d.Command) == 0 || d.Command[0] == "" {
		return fmt.Errorf("command is empty")
	}
	switch d.Restart {
	case "", RestartAlways, RestartOnFailure, RestartNo:
	default:
		return fmt.Errorf("restart %q: want always, on-failure or no", d.Restart)
	}
	switch d.KillMode {
	case "", "process-group", "process":
	default:
		return fmt.Errorf("killMode %q: want process-group or process", d.KillMode)
	}
	for _, e := range d.Env {
		if !strings.Contains(e, "=") {
			return fmt.Errorf("env %q: want NAME=value", e)
		}
	}
	if d.RestartSec < 0 || d.TimeoutStopSec < 0 {
		return fmt.Errorf("negative delay")
	}
	return nil
}

func (d Definition) restartDelay() time.Duration {
	if d.RestartSec == 0 {
		return time.Second
	}
	return time.Duration(d.RestartSec * float64(time.Second))
}

func (d Definition) stopTimeout() time.Duration {
	if d.TimeoutStopSec == 0 {
		return 10 * time.Second
	}
	return time.Duration(d.TimeoutStopSec * float64(time.Second))
}

func (d Definition) restartPolicy() string {
	if d.Restart == "" {
		return RestartAlways
	}
	return d.Restart
}

// UnitName strips a ".service" suffix, as systemctl accepts both.
func UnitName(s string) string { return strings.TrimSuffix(s, ".service") }

// Load reads every <name>.json in dir. A file that does not parse is
// reported in errs and skipped.
func Load(dir string) (defs map[string]Definition, errs []error) {
	defs = map[string]Definition{}
	paths, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	sort.Strings(paths)
	for _, p := range paths {
		name := strings.TrimSuffix(filepath.Base(p), ".json")
		d, err := ReadDefinition(p)
		if err == nil && !nameRE.MatchString(name) {
			err = fmt.Errorf("invalid service name %q", name)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		defs[name] = d
	}
	return defs, errs
}

// ReadDefinition reads and validates one service file.
func ReadDefinition(path string) (Definition, error) {
	var d Definition
	b, err := os.ReadFile(path)
	if err != nil {
		return d, err
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return d, fmt.Errorf("parsing %s: %w", path, err)
	}
	if err := d.Validate(); err != nil {
		return d, fmt.Errorf("%s: %w", path, err)
	}
	return d, nil
}

// WriteDefinition writes a service file.
func WriteDefinition(path string, d Definition) error {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// ParseEnvFile parses NAME=value lines (# comments, optional "export ",
// values optionally in single or double quotes).
func ParseEnvFile(b []byte) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
			v = v[1 : len(v)-1]
		}
		out[k] = v
	}
	return out
}

var varRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)`)

// ExpandCommand expands variables in argv the way systemd's ExecStart
// does: a lone $NAME splits into words, other references substitute in
// place; undefined variables are empty.
func ExpandCommand(argv []string, env map[string]string) []string {
	var out []string
	for _, a := range argv {
		if m := varRE.FindStringSubmatch(a); m != nil && m[0] == a && m[2] != "" {
			out = append(out, strings.Fields(env[m[2]])...)
			continue
		}
		out = append(out, varRE.ReplaceAllStringFunc(a, func(ref string) string {
			m := varRE.FindStringSubmatch(ref)
			return env[m[1]+m[2]]
		}))
	}
	return out
}
