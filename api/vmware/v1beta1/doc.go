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

// Package v1beta1 holds the vmware.infrastructure.cluster.x-k8s.io/v1beta1
// API: the Cluster API infrastructure provider of the Supervisor, in the
// shape of Cluster API Provider vSphere (CAPV) in supervisor mode.
//
// Kinds: VSphereCluster and VSphereClusterTemplate (a workload cluster's
// placement and control-plane endpoint), VSphereMachine and
// VSphereMachineTemplate (one node VM each). This is the group and version
// that vSphere 8's builtin ClusterClass "tanzukubernetescluster" references,
// so the spec field names, enum values and defaults follow CAPV's
// apis/vmware/v1beta1.
//
// Status follows Cluster API's v1beta2 contract (status.initialization.
// provisioned, metav1.Condition conditions, failureDomains as a list) and
// keeps status.ready of the v1beta1 contract. The CRDs carry both contract
// labels, each naming this version; Cluster API picks the newest contract
// listed, v1beta2. Condition types and reasons are in condition_consts.go.
//
// The package holds API types only; the controllers are in
// internal/controller/vspherecluster and internal/controller/vspheremachine.
//
// +kubebuilder:object:generate=true
// +groupName=vmware.infrastructure.cluster.x-k8s.io
package v1beta1
