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

// Package v1alpha1 holds kubevisor's own administration API, group
// kubevisor.io: what a vSphere administrator sets up in vCenter, expressed as
// cluster-scoped objects of the Supervisor.
//
//   - SupervisorNamespace: a vSphere Namespace with its permissions, limits,
//     storage, VM classes and content libraries.
//   - ClusterVirtualMachineClass and StoragePolicy: the VM classes and storage
//     that namespaces are given.
//   - User, Group and OIDCProvider: the Supervisor's built-in single sign-on
//     and the external issuers it trusts.
//   - Zone and LoadBalancerPool: where VMs are placed and the addresses
//     load balancers get.
//
// Only administrators write these objects; controllers turn them into the
// namespaced objects tenants see (Namespaces, role bindings, quotas,
// StorageClasses, vmoperator.vmware.com VirtualMachineClasses, ...).
//
// +kubebuilder:object:generate=true
// +groupName=kubevisor.io
package v1alpha1
