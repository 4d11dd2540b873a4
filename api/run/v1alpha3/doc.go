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

// Package v1alpha3 holds the run.tanzu.vmware.com/v1alpha3 API served by the
// kubevisor Supervisor: TanzuKubernetesCluster (a workload cluster as a
// developer asks for it), TanzuKubernetesRelease (a Kubernetes version that
// clusters can run) and OSImage (a node image that ships one release).
//
// The field names, enum values, labels and condition types match VMware's TKG
// Service so that manifests written for vSphere apply unchanged; the types
// themselves are kubevisor's own. The TKG layer translates a
// TanzuKubernetesCluster into a Cluster API Cluster of the builtin ClusterClass
// and resolves releases and images through the labels declared here.
//
// +kubebuilder:object:generate=true
// +groupName=run.tanzu.vmware.com
package v1alpha3
