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

package v1alpha3

import metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

// VirtualMachineServiceType is how a VirtualMachineService is exposed. It is
// the subset of core Service types the VM Service supports (no NodePort).
// +kubebuilder:validation:Enum=ClusterIP;LoadBalancer;ExternalName
type VirtualMachineServiceType string

const (
	// VirtualMachineServiceTypeClusterIP exposes the service on a cluster IP,
	// reachable inside the Supervisor only.
	VirtualMachineServiceTypeClusterIP VirtualMachineServiceType = "ClusterIP"
	// VirtualMachineServiceTypeLoadBalancer exposes the service on a
	// load-balancer address reachable from outside the Supervisor.
	VirtualMachineServiceTypeLoadBalancer VirtualMachineServiceType = "LoadBalancer"
	// VirtualMachineServiceTypeExternalName makes the service a DNS CNAME for
	// externalName, with no proxying.
	VirtualMachineServiceTypeExternalName VirtualMachineServiceType = "ExternalName"
)

// VirtualMachineServiceSpec is the desired state of a VirtualMachineService.
//
// +kubebuilder:validation:XValidation:rule="self.type != 'ExternalName' || (has(self.externalName) && size(self.externalName) > 0)",message="externalName is required when type is ExternalName",fieldPath=".externalName"
// +kubebuilder:validation:XValidation:rule="self.type != 'ExternalName' || !has(self.clusterIp) || size(self.clusterIp) == 0",message="clusterIp may not be set when type is ExternalName",fieldPath=".clusterIp"
// +kubebuilder:validation:XValidation:rule="self.type != 'LoadBalancer' || !has(self.clusterIp) || self.clusterIp != 'None'",message="clusterIp may not be None when type is LoadBalancer",fieldPath=".clusterIp"
// +kubebuilder:validation:XValidation:rule="!has(self.clusterIp) || size(self.clusterIp) == 0 || self.clusterIp == 'None' || isIP(self.clusterIp)",message="clusterIp must be empty, None or an IP address",fieldPath=".clusterIp"
// +kubebuilder:validation:XValidation:rule="self.type == 'LoadBalancer' || !has(self.loadBalancerSourceRanges) || size(self.loadBalancerSourceRanges) == 0",message="loadBalancerSourceRanges may only be set when type is LoadBalancer",fieldPath=".loadBalancerSourceRanges"
// +kubebuilder:validation:XValidation:rule="!has(self.loadBalancerSourceRanges) || self.loadBalancerSourceRanges.all(r, isCIDR(r))",message="loadBalancerSourceRanges must be CIDRs, e.g. 10.0.0.0/24",fieldPath=".loadBalancerSourceRanges"
// +kubebuilder:validation:XValidation:rule="self.type == 'ExternalName' || (has(self.clusterIp) && self.clusterIp == 'None') || (has(self.ports) && size(self.ports) > 0)",message="ports are required unless type is ExternalName or clusterIp is None",fieldPath=".ports"
// +kubebuilder:validation:XValidation:rule="!has(self.ports) || size(self.ports) <= 1 || self.ports.all(p, size(p.name) > 0)",message="every port needs a name when there is more than one",fieldPath=".ports"
// +kubebuilder:validation:XValidation:rule="!has(self.ports) || self.ports.all(p, self.ports.exists_one(q, q.port == p.port && q.protocol == p.protocol))",message="ports must not repeat a protocol and port pair",fieldPath=".ports"
type VirtualMachineServiceSpec struct {
	// type is how the service is exposed.
	// +required
	Type VirtualMachineServiceType `json:"type"`

	// ports are the ports the service exposes, keyed by name. The name may be
	// empty when there is only one port.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=64
	Ports []VirtualMachineServicePort `json:"ports,omitempty"`

	// selector selects, by label, the VirtualMachines that back the service;
	// only VMs that are ready receive traffic.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	Selector map[string]string `json:"selector,omitempty"`

	// loadBalancerIP asks the load balancer for this address, when it
	// supports choosing one. Only for type LoadBalancer. Deprecated in the
	// core Service API; kept for compatibility.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	LoadBalancerIP string `json:"loadBalancerIP,omitempty"`

	// loadBalancerSourceRanges restricts the client addresses the load
	// balancer accepts, as CIDRs. Only for type LoadBalancer.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=64
	LoadBalancerSourceRanges []string `json:"loadBalancerSourceRanges,omitempty"`

	// clusterIp is the service's cluster IP: an address, "None" for a
	// headless service, or empty to have one assigned. Not for
	// ExternalName services.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	ClusterIP string `json:"clusterIp,omitempty"`

	// externalName is the DNS name an ExternalName service points at (an
	// RFC 1123 host name, optionally with a trailing dot).
	// +optional
	// +kubebuilder:validation:MaxLength=254
	// +kubebuilder:validation:Pattern=`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\.?)?$`
	ExternalName string `json:"externalName,omitempty"`
}

// VirtualMachineServicePort is one port a VirtualMachineService exposes.
type VirtualMachineServicePort struct {
	// name identifies the port within the service: a DNS label, or empty when
	// the service has a single port.
	// +required
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^([a-z0-9]([-a-z0-9]*[a-z0-9])?)?$`
	Name string `json:"name"`

	// protocol is the port's transport protocol.
	// +optional
	// +kubebuilder:default=TCP
	// +kubebuilder:validation:Enum=TCP;UDP;SCTP
	Protocol string `json:"protocol,omitempty"`

	// port is the port the service listens on.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port int32 `json:"port"`

	// targetPort is the port on the VMs that traffic is sent to.
	// +required
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	TargetPort int32 `json:"targetPort"`
}

// VirtualMachineServiceStatus is the observed state of a
// VirtualMachineService.
type VirtualMachineServiceStatus struct {
	// loadBalancer is the state of the service's load balancer, if any.
	// +optional
	LoadBalancer LoadBalancerStatus `json:"loadBalancer,omitempty,omitzero"`

	// conditions are the service's observed conditions.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// LoadBalancerStatus is the state of a load balancer.
type LoadBalancerStatus struct {
	// ingress are the load balancer's addresses; traffic for the service is
	// sent to them.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	Ingress []LoadBalancerIngress `json:"ingress,omitempty"`
}

// LoadBalancerIngress is one load-balancer address: an IP, a host name, or
// both.
type LoadBalancerIngress struct {
	// ip is the address's IP.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	IP string `json:"ip,omitempty"`

	// hostname is the address's DNS name.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Hostname string `json:"hostname,omitempty"`
}

// VirtualMachineService exposes a set of VirtualMachines on one address, like
// a core Service does for pods. Its controller keeps a selector-less Service
// and Endpoints of the same name, filled with the ready VMs that match the
// selector.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=virtualmachineservices,scope=Namespaced,shortName=vmservice,categories=vmoperator
// +kubebuilder:printcolumn:name="Type",type="string",JSONPath=".spec.type",description="How the service is exposed"
// +kubebuilder:printcolumn:name="External-IP",type="string",JSONPath=".status.loadBalancer.ingress[*].ip",description="Load-balancer addresses"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type VirtualMachineService struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the desired state of the service.
	// +optional
	Spec VirtualMachineServiceSpec `json:"spec,omitempty,omitzero"`

	// status is the observed state of the service.
	// +optional
	Status VirtualMachineServiceStatus `json:"status,omitempty,omitzero"`
}

// GetConditions returns the service's conditions.
func (s *VirtualMachineService) GetConditions() []metav1.Condition {
	return s.Status.Conditions
}

// SetConditions replaces the service's conditions.
func (s *VirtualMachineService) SetConditions(conditions []metav1.Condition) {
	s.Status.Conditions = conditions
}

// VirtualMachineServiceList is a list of VirtualMachineServices.
//
// +kubebuilder:object:root=true
type VirtualMachineServiceList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the VirtualMachineServices.
	Items []VirtualMachineService `json:"items"`
}
