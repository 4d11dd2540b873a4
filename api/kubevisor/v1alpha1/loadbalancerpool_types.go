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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// LoadBalancerPoolSpec lists the addresses a pool hands out.
type LoadBalancerPoolSpec struct {
	// description tells people where the addresses come from.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Description string `json:"description,omitempty"`

	// addresses are the addresses of the pool, each a CIDR such as
	// 198.18.128.0/24 or an inclusive range such as
	// 198.18.128.10-198.18.128.99 (both ends of one IP family).
	// +required
	// +listType=set
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=100
	// +kubebuilder:validation:items:XValidation:rule="isCIDR(self) || (self.split('-').size() == 2 && isIP(self.split('-')[0]) && isIP(self.split('-')[1]) && ip(self.split('-')[0]).family() == ip(self.split('-')[1]).family())",message="must be a CIDR such as 198.18.128.0/24 or a range such as 198.18.128.10-198.18.128.99"
	Addresses []string `json:"addresses,omitempty"`
}

// LoadBalancerPoolStatus is the observed state of a pool.
type LoadBalancerPoolStatus struct {
	// conditions describe the pool; Ready is true when its addresses are
	// valid, do not overlap other pools, and some are still free.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// allocated is the number of addresses given to load balancers.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Allocated int64 `json:"allocated,omitempty"`

	// available is the number of addresses still free. It stops at the
	// largest int64 for very large IPv6 pools.
	// +optional
	// +kubebuilder:validation:Minimum=0
	Available int64 `json:"available,omitempty"`
}

// LoadBalancerPool is a set of addresses that Services and
// VirtualMachineServices of type LoadBalancer get their external address
// from, as the load-balancer IP ranges of a vSphere Supervisor are.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=loadbalancerpools,scope=Cluster,shortName=lbpool,categories=kubevisor
// +kubebuilder:printcolumn:name="Allocated",type=integer,JSONPath=`.status.allocated`
// +kubebuilder:printcolumn:name="Available",type=integer,JSONPath=`.status.available`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=='Ready')].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type LoadBalancerPool struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec lists the pool's addresses.
	// +required
	Spec LoadBalancerPoolSpec `json:"spec,omitzero"`

	// status is the pool as observed.
	// +optional
	Status LoadBalancerPoolStatus `json:"status,omitzero"`
}

// LoadBalancerPoolList is a list of LoadBalancerPools.
//
// +kubebuilder:object:root=true
type LoadBalancerPoolList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the list's metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the pools.
	Items []LoadBalancerPool `json:"items"`
}
