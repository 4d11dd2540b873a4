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
	"fmt"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// defaultClassSize is one size of the default VM classes.
type defaultClassSize struct {
	name      string
	cpus      int64
	memoryGiB int64
}

// defaultClassSizes are the sizes of the VM classes a vSphere Supervisor
// ships with, from xsmall to 8xlarge. Source: the "Default VM Classes" table
// of VMware's Tanzu validated-solutions reference design for vSphere with
// Tanzu; VMware's "Using VM Classes" documentation agrees on
// guaranteed-large (4 CPUs, 16 GB) and says a guaranteed class requests
// exactly its hardware.
var defaultClassSizes = []defaultClassSize{
	{name: "xsmall", cpus: 2, memoryGiB: 2},
	{name: "small", cpus: 2, memoryGiB: 4},
	{name: "medium", cpus: 2, memoryGiB: 8},
	{name: "large", cpus: 4, memoryGiB: 16},
	{name: "xlarge", cpus: 4, memoryGiB: 32},
	{name: "2xlarge", cpus: 8, memoryGiB: 64},
	{name: "4xlarge", cpus: 16, memoryGiB: 128},
	{name: "8xlarge", cpus: 32, memoryGiB: 128},
}

// The two reservation types of the default VM classes.
const (
	// BestEffortClassPrefix starts the names of the default classes that
	// reserve nothing, so their VMs may be overcommitted.
	BestEffortClassPrefix = "best-effort-"
	// GuaranteedClassPrefix starts the names of the default classes that
	// reserve all of their CPU and memory.
	GuaranteedClassPrefix = "guaranteed-"
)

// DefaultVirtualMachineClasses returns the VM classes a vSphere Supervisor
// starts with: best-effort-<size> and guaranteed-<size> for each size from
// xsmall to 8xlarge, sixteen in all. Guaranteed classes request (reserve)
// exactly their hardware; best-effort classes request nothing. Each call
// returns new objects that the caller may change.
func DefaultVirtualMachineClasses() []ClusterVirtualMachineClass {
	classes := make([]ClusterVirtualMachineClass, 0, 2*len(defaultClassSizes))
	for _, guaranteed := range []bool{false, true} {
		for _, size := range defaultClassSizes {
			classes = append(classes, defaultClass(size, guaranteed))
		}
	}
	return classes
}

// defaultClass builds the default class of one size and reservation type.
func defaultClass(size defaultClassSize, guaranteed bool) ClusterVirtualMachineClass {
	memory := resource.NewQuantity(size.memoryGiB<<30, resource.BinarySI)
	class := ClusterVirtualMachineClass{
		TypeMeta: metav1.TypeMeta{
			APIVersion: GroupVersion.String(),
			Kind:       "ClusterVirtualMachineClass",
		},
		ObjectMeta: metav1.ObjectMeta{Name: BestEffortClassPrefix + size.name},
		Spec: ClusterVirtualMachineClassSpec{
			Description: fmt.Sprintf("%d vCPUs and %dGi of memory, nothing reserved", size.cpus, size.memoryGiB),
			Hardware: VirtualMachineClassHardware{
				CPUs:   size.cpus,
				Memory: memory.DeepCopy(),
			},
		},
	}
	if guaranteed {
		class.Name = GuaranteedClassPrefix + size.name
		class.Spec.Description = fmt.Sprintf("%d vCPUs and %dGi of memory, all reserved", size.cpus, size.memoryGiB)
		class.Spec.Policies.Resources.Requests = VirtualMachineResourceSpec{
			CPU:    resource.NewQuantity(size.cpus, resource.DecimalSI),
			Memory: memory,
		}
	}
	return class
}
