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

// Package v1alpha1 holds kubevisor's Go types for the image registry API,
// group imageregistry.vmware.com, version v1alpha1: content libraries and
// their items, from which the VM Service makes VirtualMachineImages and
// ClusterVirtualMachineImages.
//
// The types are kubevisor's own, written to be wire-compatible with the
// public image registry operator API (same JSON field names, enum values,
// short names and defaults). Fields marked "kubevisor extension" are not in
// the public API: they let kubevisor's content library service subscribe to
// and publish libraries without vCenter. Conditions use metav1.Condition.
//
// +kubebuilder:object:generate=true
// +groupName=imageregistry.vmware.com
package v1alpha1
