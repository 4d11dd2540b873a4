/*
Copyright 2026 The kubevisor Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0

Unless required by applicable law or agreed to in writing, software
distributed under the License is distributed on an "AS IS" BASIS,
WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
See the License for the specific language governing permissions and
limitations under the License.
*/

package v1alpha1

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
)

func TestDefaultVirtualMachineClasses(t *testing.T) {
	classes := DefaultVirtualMachineClasses()

	if got, want := len(classes), 16; got != want {
		t.Fatalf("DefaultVirtualMachineClasses() returned %d classes, want %d", got, want)
	}

	byName := make(map[string]ClusterVirtualMachineClass, len(classes))
	for _, c := range classes {
		if _, dup := byName[c.Name]; dup {
			t.Errorf("class name %q appears more than once", c.Name)
		}
		byName[c.Name] = c
	}

	tests := []struct {
		name       string
		cpus       int64
		memory     string
		guaranteed bool
	}{
		{name: "best-effort-xsmall", cpus: 2, memory: "2Gi"},
		{name: "best-effort-small", cpus: 2, memory: "4Gi"},
		{name: "best-effort-medium", cpus: 2, memory: "8Gi"},
		{name: "best-effort-large", cpus: 4, memory: "16Gi"},
		{name: "best-effort-xlarge", cpus: 4, memory: "32Gi"},
		{name: "best-effort-2xlarge", cpus: 8, memory: "64Gi"},
		{name: "best-effort-4xlarge", cpus: 16, memory: "128Gi"},
		{name: "best-effort-8xlarge", cpus: 32, memory: "128Gi"},
		{name: "guaranteed-xsmall", cpus: 2, memory: "2Gi", guaranteed: true},
		{name: "guaranteed-small", cpus: 2, memory: "4Gi", guaranteed: true},
		{name: "guaranteed-medium", cpus: 2, memory: "8Gi", guaranteed: true},
		{name: "guaranteed-large", cpus: 4, memory: "16Gi", guaranteed: true},
		{name: "guaranteed-xlarge", cpus: 4, memory: "32Gi", guaranteed: true},
		{name: "guaranteed-2xlarge", cpus: 8, memory: "64Gi", guaranteed: true},
		{name: "guaranteed-4xlarge", cpus: 16, memory: "128Gi", guaranteed: true},
		{name: "guaranteed-8xlarge", cpus: 32, memory: "128Gi", guaranteed: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := byName[tt.name]
			if !ok {
				t.Fatalf("class %q is missing", tt.name)
			}
			if c.Kind != "ClusterVirtualMachineClass" || c.APIVersion != GroupVersion.String() {
				t.Errorf("type is %s %s, want %s ClusterVirtualMachineClass", c.APIVersion, c.Kind, GroupVersion)
			}
			hw := c.Spec.Hardware
			if hw.CPUs != tt.cpus {
				t.Errorf("hardware.cpus = %d, want %d", hw.CPUs, tt.cpus)
			}
			if want := resource.MustParse(tt.memory); hw.Memory.Cmp(want) != 0 {
				t.Errorf("hardware.memory = %s, want %s", hw.Memory.String(), tt.memory)
			}
			if c.Spec.Description == "" {
				t.Error("description is empty")
			}

			req := c.Spec.Policies.Resources.Requests
			if !tt.guaranteed {
				if req.CPU != nil || req.Memory != nil {
					t.Errorf("best-effort class requests cpu=%v memory=%v, want none", req.CPU, req.Memory)
				}
				return
			}
			if req.CPU == nil || req.CPU.Cmp(*resource.NewQuantity(hw.CPUs, resource.DecimalSI)) != 0 {
				t.Errorf("requests.cpu = %v, want %d (the hardware's cpus)", req.CPU, hw.CPUs)
			}
			if req.Memory == nil || req.Memory.Cmp(hw.Memory) != 0 {
				t.Errorf("requests.memory = %v, want %s (the hardware's memory)", req.Memory, hw.Memory.String())
			}
		})
	}
}

func TestDefaultVirtualMachineClassesAreIndependent(t *testing.T) {
	first := DefaultVirtualMachineClasses()
	first[0].Spec.Hardware.Memory.Add(resource.MustParse("1Gi"))
	for i := range first {
		if q := first[i].Spec.Policies.Resources.Requests.Memory; q != nil {
			q.Add(resource.MustParse("1Gi"))
		}
	}

	second := DefaultVirtualMachineClasses()
	if got, want := second[0].Spec.Hardware.Memory, resource.MustParse("2Gi"); got.Cmp(want) != 0 {
		t.Errorf("changing a returned class changed the next result: memory %s, want 2Gi", got.String())
	}
	for _, c := range second {
		req := c.Spec.Policies.Resources.Requests.Memory
		if req != nil && req.Cmp(c.Spec.Hardware.Memory) != 0 {
			t.Errorf("%s: changing a returned class changed the next result: requests.memory %s", c.Name, req.String())
		}
	}
}
