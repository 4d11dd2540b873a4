package services

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kubevisor/kubevisor/internal/guest/reaper"
)

func TestExpandCommand(t *testing.T) {
	env := map[string]string{"ARGS": "--a=1  --b", "ONE": "x y", "EMPTY": ""}
	tests := []struct {
		in, want []string
	}{
		{[]string{"/bin/k", "$ARGS", "$EMPTY", "--c"}, []string{"/bin/k", "--a=1", "--b", "--c"}},
		{[]string{"/bin/k", "${ONE}"}, []string{"/bin/k", "x y"}},
		{[]string{"/bin/k", "--v=$ONE", "--w=${NOPE}z"}, []string{"/bin/k", "--v=x y", "--w=z"}},
		{[]string{"/bin/k", "$$"}, []string{"/bin/k", "$$"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.in, " "), func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ExpandCommand(tt.in, env)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseEnvFile(t *testing.T) {
	got := ParseEnvFile([]byte(`# kubeadm
KUBELET_KUBEADM_ARGS="--container-runtime-endpoint=unix:///run/containerd/containerd.sock --node-ip=198.18.0.2"
export A='b c'
B = d
noequals
`))
	want := map[string]string{
		"KUBELET_KUBEADM_ARGS": "--container-runtime-endpoint=unix:///run/containerd/containerd.sock --node-ip=198.18.0.2",
		"A":                    "b c",
		"B":                    "d",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"good.json":     `{"command": ["/bin/true"], "enabled": true, "restart": "on-failure"}`,
		"empty.json":    `{"command": []}`,
		"badrest.json":  `{"command": ["/bin/true"], "restart": "sometimes"}`,
		"unknown.json":  `{"command": ["/bin/true"], "exec": "x"}`,
		"syntax.json":   `{`,
		"notjson.txt":   `ignored`,
		"bad name.json": `{"command": ["/bin/true"]}`,
	}
	for n, c := range files {
		os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644)
	}
	defs, errs := Load(dir)
	if len(defs) != 1 || !defs["good"].Enabled || defs["good"].Restart != RestartOnFailure {
		t.Errorf("defs = %+v", defs)
	}
	if len(errs) != 5 {
		t.Errorf("errs = %v, want 5", errs)
	}
}

// testSupervisor runs a supervisor over a temporary root.
func testSupervisor(t *testing.T, defs map[string]Definition) (*Supervisor, string) {
	t.Helper()
	root := t.TempDir()
	for n, d := range defs {
		if err := WriteDefinition(filepath.Join(root, Dir, n+".json"), d); err != nil {
			t.Fatal(err)
		}
	}
	s := &Supervisor{Root: root, Reaper: reaper.New(false)}
	s.Load()
	ctx, cancel := context.WithCancel(context.Background())
	go s.Run(ctx)
	t.Cleanup(func() {
		cancel()
		s.StopAll()
	})
	return s, root
}

func eventually(t *testing.T, what string, f func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !f() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func state(s *Supervisor, name string) string {
	i, _ := s.Get(name)
	return i.State
}

func TestSupervisor(t *testing.T) {
	s, root := testSupervisor(t, map[string]Definition{
		// Writes its expanded arguments, then runs until stopped.
		"kubelet": {
			Command:             []string{"/bin/sh", "-c", `echo "$0 $*" >> ` + "ROOT/args; exec sleep 60", "$KUBELET_ARGS"},
			EnvironmentFiles:    []string{"-/var/lib/kubelet/kubeadm-flags.env"},
			Env:                 []string{"KUBELET_ARGS=--default"},
			ConditionPathExists: []string{"/var/lib/kubelet/config.yaml"},
			Enabled:             true,
			RestartSec:          0.1,
			TimeoutStopSec:      2,
		},
		"crashy":  {Command: []string{"/bin/sh", "-c", "echo x >> ROOT/crashes; exit 1"}, Enabled: true, Restart: RestartOnFailure, RestartSec: 0.05},
		"oneshot": {Command: []string{"/bin/true"}, Restart: RestartOnFailure},
		"failing": {Command: []string{"/bin/false"}, Restart: RestartNo},
	})
	// Services write to files under root: patch the placeholder.
	for _, n := range []string{"kubelet", "crashy"} {
		p := filepath.Join(root, Dir, n+".json")
		b, _ := os.ReadFile(p)
		os.WriteFile(p, bytes.ReplaceAll(b, []byte("ROOT"), []byte(root)), 0o644)
	}
	s.Control([]string{"daemon-reload"})

	// crashy restarts on failure; kubelet waits for its config.
	eventually(t, "crashy to restart", func() bool {
		b, _ := os.ReadFile(filepath.Join(root, "crashes"))
		return strings.Count(string(b), "x") >= 3
	})
	if got := state(s, "kubelet"); got != StateActivating {
		t.Fatalf("kubelet state = %s before its condition holds, want activating", got)
	}
	resp := s.Control([]string{"status", "kubelet"})
	if resp.ExitCode != 3 || !strings.Contains(resp.Stdout, "waiting: ConditionPathExists=/var/lib/kubelet/config.yaml") {
		t.Errorf("status = %+v", resp)
	}

	// kubeadm writes its files; the kubelet starts with their arguments.
	os.MkdirAll(filepath.Join(root, "var/lib/kubelet"), 0o755)
	os.WriteFile(filepath.Join(root, "var/lib/kubelet/kubeadm-flags.env"), []byte(`KUBELET_ARGS="--node-ip=198.18.0.2 --v=2"`+"\n"), 0o644)
	os.WriteFile(filepath.Join(root, "var/lib/kubelet/config.yaml"), nil, 0o644)
	eventually(t, "kubelet to start", func() bool { return state(s, "kubelet") == StateActive })
	eventually(t, "kubelet's arguments", func() bool {
		b, _ := os.ReadFile(filepath.Join(root, "args"))
		return strings.Contains(string(b), "--node-ip=198.18.0.2 --v=2")
	})

	// systemctl verbs, through the socket as the shim sends them.
	l, err := Listen(root)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go s.Serve(ctx, l)
	ctl := func(args ...string) (string, string, int) {
		var out, errOut bytes.Buffer
		code := Systemctl(root, args, &out, &errOut)
		return out.String(), errOut.String(), code
	}
	type want struct {
		args   []string
		stdout string
		stderr string
		code   int
	}
	for _, w := range []want{
		{args: []string{"is-active", "kubelet"}, stdout: "active\n"},
		{args: []string{"is-active", "-q", "oneshot"}, code: 3},
		{args: []string{"is-enabled", "kubelet.service"}, stdout: "enabled\n"},
		{args: []string{"is-enabled", "oneshot"}, stdout: "disabled\n", code: 1},
		{args: []string{"enable", "oneshot"}},
		{args: []string{"is-enabled", "oneshot"}, stdout: "enabled\n"},
		{args: []string{"start", "nope"}, stderr: "Failed to start nope.service: Unit nope.service not found.\n", code: 5},
		{args: []string{"status", "nope"}, stderr: "Unit nope.service could not be found.\n", code: 4},
		{args: []string{"frobnicate"}, stderr: "Unknown command verb frobnicate.\n", code: 1},
		{args: []string{"start", "failing"}},
	} {
		stdout, stderr, code := ctl(w.args...)
		if stdout != w.stdout || stderr != w.stderr || code != w.code {
			t.Errorf("systemctl %v = %q, %q, %d; want %q, %q, %d", w.args, stdout, stderr, code, w.stdout, w.stderr, w.code)
		}
	}
	if d, _ := ReadDefinition(filepath.Join(root, Dir, "oneshot.json")); !d.Enabled {
		t.Errorf("enable did not persist")
	}
	eventually(t, "failing to fail", func() bool { return state(s, "failing") == StateFailed })

	// restart gives a new process; stop ends it.
	before, _ := s.Get("kubelet")
	if _, stderr, code := ctl("restart", "kubelet"); code != 0 {
		t.Fatalf("restart: %s", stderr)
	}
	after, _ := s.Get("kubelet")
	if after.PID == 0 || after.PID == before.PID || after.State != StateActive {
		t.Errorf("after restart: %+v (before pid %d)", after, before.PID)
	}
	if _, stderr, code := ctl("stop", "kubelet"); code != 0 {
		t.Fatalf("stop: %s", stderr)
	}
	if i, _ := s.Get("kubelet"); i.State != StateInactive || i.PID != 0 {
		t.Errorf("after stop: %+v", i)
	}
	if err := syscall.Kill(after.PID, 0); err == nil {
		t.Errorf("kubelet process %d still exists after stop", after.PID)
	}
	time.Sleep(300 * time.Millisecond) // a stopped service is not restarted
	if got := state(s, "kubelet"); got != StateInactive {
		t.Errorf("stopped kubelet came back: %s", got)
	}
}

func TestSystemctlWithoutAgent(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := Systemctl(t.TempDir(), []string{"start", "kubelet"}, &out, &errOut); code != 1 || !strings.Contains(errOut.String(), "kubevisor guest agent") {
		t.Errorf("code %d, stderr %q", code, errOut.String())
	}
}
