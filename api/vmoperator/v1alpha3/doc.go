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

// Package v1alpha3 holds kubevisor's Go types for the VM Service API,
// group vmoperator.vmware.com, version v1alpha3.
//
// The types are kubevisor's own, written to be wire-compatible with the
// public VM Operator API: every JSON field name, enum value, default and short
// name matches what existing clients (Cluster API Provider vSphere in
// supervisor mode, the paravirtual cloud provider, kubectl users) send and
// read. The package contains API types only; controllers live under
// internal/controller and talk to these objects through controller-runtime.
//
// Kinds: VirtualMachine, VirtualMachineClass, VirtualMachineImage,
// ClusterVirtualMachineImage, VirtualMachineService,
// VirtualMachinePublishRequest, VirtualMachineSetResourcePolicy and
// VirtualMachineWebConsoleRequest. Their condition types and reasons are in
// condition_consts.go.
//
// +kubebuilder:object:generate=true
// +groupName=vmoperator.vmware.com
package v1alpha3
