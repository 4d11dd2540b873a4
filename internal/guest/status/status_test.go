package status

import (
	"path/filepath"
	"testing"
	"time"
)

func TestStatus(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name        string
		st          Status
		done, alive bool
	}{
		{"fresh heartbeat, done", Status{Heartbeat: now.Add(-time.Second), Bootstrap: Bootstrap{State: BootstrapDone}}, true, true},
		{"stale heartbeat", Status{Heartbeat: now.Add(-HeartbeatTimeout), Bootstrap: Bootstrap{State: BootstrapRunning}}, false, false},
		{"no seed counts as done", Status{Bootstrap: Bootstrap{State: BootstrapNone}}, true, false},
		{"error is not done", Status{Heartbeat: now, Bootstrap: Bootstrap{State: BootstrapError, Error: "x"}}, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.st.Done() != tt.done || tt.st.Alive(now) != tt.alive {
				t.Errorf("Done() = %v, Alive() = %v; want %v, %v", tt.st.Done(), tt.st.Alive(now), tt.done, tt.alive)
			}
		})
	}
	p := filepath.Join(t.TempDir(), "run/kubevisor/status.json")
	in := Status{InstanceID: "i", Heartbeat: now, Bootstrap: Bootstrap{State: BootstrapDone}}
	if err := Write(p, in); err != nil {
		t.Fatal(err)
	}
	out, err := Read(p)
	if err != nil || out.Version != 1 || out.InstanceID != "i" || !out.Heartbeat.Equal(now) || !out.Done() {
		t.Errorf("Read(Write()) = %+v, %v", out, err)
	}
}
