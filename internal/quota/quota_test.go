package quota

import (
	"errors"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
)

func q(s string) *resource.Quantity {
	v := resource.MustParse(s)
	return &v
}

func res(cpus int64, memory string) Resources { return NewResources(cpus, *q(memory)) }

func TestSum(t *testing.T) {
	classes := map[string]Resources{"small": res(2, "4Gi"), "large": res(4, "16Gi")}
	tests := []struct {
		name        string
		vms         []VM
		wantCPU     string
		wantMemory  string
		wantUnknown int
	}{
		{name: "none", wantCPU: "0", wantMemory: "0"},
		{name: "one", vms: []VM{{"a", "small"}}, wantCPU: "2", wantMemory: "4Gi"},
		{name: "mixed", vms: []VM{{"a", "small"}, {"b", "large"}, {"c", "small"}}, wantCPU: "8", wantMemory: "24Gi"},
		{name: "unknown class counts nothing", vms: []VM{{"a", "small"}, {"b", "gone"}}, wantCPU: "2", wantMemory: "4Gi", wantUnknown: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, unknown := Sum(tt.vms, classes)
			if got.CPU.Cmp(*q(tt.wantCPU)) != 0 || got.Memory.Cmp(*q(tt.wantMemory)) != 0 {
				t.Errorf("Sum = %s CPU, %s memory; want %s, %s", got.CPU.String(), got.Memory.String(), tt.wantCPU, tt.wantMemory)
			}
			if len(unknown) != tt.wantUnknown {
				t.Errorf("unknown = %v, want %d of them", unknown, tt.wantUnknown)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	vm := Request{Namespace: "team-a", Subject: `VirtualMachine "vm-2"`, Count: 1}
	cluster := Request{Namespace: "team-a", Subject: `TanzuKubernetesCluster "prod"`, Count: 3}
	source := "SupervisorNamespace team-a"
	tests := []struct {
		name      string
		req       Request
		limits    Limits
		inUse     Resources
		requested Resources
		wantErr   string
	}{
		{name: "no limits", req: vm, limits: Limits{Source: source}, inUse: res(100, "1Ti"), requested: res(4, "16Gi")},
		{name: "fits exactly", req: vm, limits: Limits{CPU: q("4"), Memory: q("8Gi"), Source: source}, inUse: res(2, "4Gi"), requested: res(2, "4Gi")},
		{
			name: "over the CPU limit", req: vm, limits: Limits{CPU: q("4"), Source: source},
			inUse: res(2, "4Gi"), requested: res(4, "16Gi"),
			wantErr: `VirtualMachine "vm-2" exceeds the CPU limit of namespace team-a: this VM needs 4 CPUs, 2 are in use, the limit (SupervisorNamespace team-a spec.limits.cpu) is 4`,
		},
		{
			name: "fractional CPU limit, one CPU in use", req: vm, limits: Limits{CPU: q("2500m"), Source: source},
			inUse: res(1, "1Gi"), requested: res(2, "1Gi"),
			wantErr: `VirtualMachine "vm-2" exceeds the CPU limit of namespace team-a: this VM needs 2 CPUs, 1 is in use, the limit (SupervisorNamespace team-a spec.limits.cpu) is 2.5`,
		},
		{
			name: "over the memory limit", req: vm, limits: Limits{CPU: q("16"), Memory: q("20Gi"), Source: source},
			inUse: res(2, "8Gi"), requested: res(4, "16Gi"),
			wantErr: `VirtualMachine "vm-2" exceeds the memory limit of namespace team-a: this VM needs 16Gi of memory, 8Gi is in use, the limit (SupervisorNamespace team-a spec.limits.memory) is 20Gi`,
		},
		{
			name: "several VMs at once", req: cluster, limits: Limits{CPU: q("10"), Source: source},
			inUse: res(0, "0"), requested: res(12, "48Gi"),
			wantErr: `TanzuKubernetesCluster "prod" exceeds the CPU limit of namespace team-a: these 3 VMs need 12 CPUs, 0 are in use, the limit (SupervisorNamespace team-a spec.limits.cpu) is 10`,
		},
		{
			name: "CPU is reported before memory", req: vm, limits: Limits{CPU: q("1"), Memory: q("1Gi"), Source: source},
			inUse: res(0, "0"), requested: res(1, "2Gi"),
			wantErr: `VirtualMachine "vm-2" exceeds the memory limit of namespace team-a: this VM needs 2Gi of memory, 0 is in use, the limit (SupervisorNamespace team-a spec.limits.memory) is 1Gi`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.req, tt.limits, tt.inUse, tt.requested)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Check = %v, want nil", err)
				}
				return
			}
			var exceeded *ExceededError
			if !errors.As(err, &exceeded) {
				t.Fatalf("Check = %v, want an *ExceededError", err)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("message\n got: %s\nwant: %s", err, tt.wantErr)
			}
		})
	}
}

func TestClassNotBoundError(t *testing.T) {
	err := &ClassNotBoundError{Namespace: "team-a", Class: "guaranteed-small", Subject: `VirtualMachine "vm-3"`}
	want := `VirtualMachine "vm-3": VirtualMachineClass "guaranteed-small" is not bound to namespace team-a: use a class bound to it (kubectl get virtualmachineclasses -n team-a), or ask the administrator to bind it (kubevisor namespace update team-a --vm-class guaranteed-small)`
	if err.Error() != want {
		t.Errorf("message\n got: %s\nwant: %s", err, want)
	}
}
