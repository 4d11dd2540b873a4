package quota

import (
	"maps"
	"slices"
	"testing"
	"time"
)

func TestCountedVMs(t *testing.T) {
	now := time.Unix(1000, 0)
	later := now.Add(time.Second)
	tests := []struct {
		name     string
		live     []VM
		reserved map[string]reservation
		wantVMs  []VM
		wantKept []string
	}{
		{
			name:    "nothing reserved",
			live:    []VM{{"a", "small"}},
			wantVMs: []VM{{"a", "small"}},
		},
		{
			name:     "admitted VM not visible yet is counted",
			live:     []VM{{"a", "small"}},
			reserved: map[string]reservation{"b": {className: "large", expires: later}},
			wantVMs:  []VM{{"a", "small"}, {"b", "large"}},
			wantKept: []string{"b"},
		},
		{
			name:     "visible VM ends its reservation",
			live:     []VM{{"a", "small"}, {"b", "large"}},
			reserved: map[string]reservation{"b": {className: "large", expires: later}},
			wantVMs:  []VM{{"a", "small"}, {"b", "large"}},
		},
		{
			name:     "class change not visible yet counts the new class",
			live:     []VM{{"a", "small"}},
			reserved: map[string]reservation{"a": {className: "large", expires: later}},
			wantVMs:  []VM{{"a", "large"}},
			wantKept: []string{"a"},
		},
		{
			name:     "expired reservation is dropped",
			live:     []VM{{"a", "small"}},
			reserved: map[string]reservation{"b": {className: "large", expires: now}},
			wantVMs:  []VM{{"a", "small"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			vms, kept := countedVMs(tt.live, tt.reserved, now)
			if !slices.Equal(vms, tt.wantVMs) {
				t.Errorf("VMs = %v, want %v", vms, tt.wantVMs)
			}
			if got := slices.Sorted(maps.Keys(kept)); !slices.Equal(got, tt.wantKept) && len(got)+len(tt.wantKept) > 0 {
				t.Errorf("kept = %v, want %v", got, tt.wantKept)
			}
		})
	}
}
