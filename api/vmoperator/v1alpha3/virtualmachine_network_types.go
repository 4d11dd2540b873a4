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

// VirtualMachineNetworkSpec is a VM's desired network configuration.
type VirtualMachineNetworkSpec struct {
	// hostName is the guest's host name; the VM's name when omitted. It
	// follows RFC 1034 section 3.5 (for Windows guests, at most 15
	// characters).
	// +optional
	// +kubebuilder:validation:MaxLength=63
	HostName string `json:"hostName,omitempty"`

	// domainName is the guest's DNS domain (for Windows guests, the domain
	// to join).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	DomainName string `json:"domainName,omitempty"`

	// disabled leaves the VM without any network interface: neither a
	// default one nor those listed in interfaces.
	// +optional
	Disabled bool `json:"disabled,omitempty"`

	// nameservers are DNS server addresses (IPv4 or IPv6) for the guest.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=64
	Nameservers []string `json:"nameservers,omitempty"`

	// searchDomains are DNS search domains for the guest.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=253
	SearchDomains []string `json:"searchDomains,omitempty"`

	// interfaces are the VM's network interfaces. When empty and disabled is
	// false, the VM gets one interface on the namespace's default network.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=10
	Interfaces []VirtualMachineNetworkInterfaceSpec `json:"interfaces,omitempty"`
}

// VirtualMachineNetworkInterfaceSpec is one desired network interface.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.dhcp4) && self.dhcp4 && has(self.gateway4))",message="gateway4 may not be set when dhcp4 is true",fieldPath=".gateway4"
// +kubebuilder:validation:XValidation:rule="!(has(self.dhcp6) && self.dhcp6 && has(self.gateway6))",message="gateway6 may not be set when dhcp6 is true",fieldPath=".gateway6"
// +kubebuilder:validation:XValidation:rule="!has(self.addresses) || self.addresses.all(a, isCIDR(a))",message="addresses must be IP addresses with a prefix length, e.g. 192.168.0.10/24",fieldPath=".addresses"
// +kubebuilder:validation:XValidation:rule="!(has(self.dhcp4) && self.dhcp4) || !has(self.addresses) || self.addresses.all(a, !isCIDR(a) || cidr(a).ip().family() != 4)",message="addresses may not hold IPv4 addresses when dhcp4 is true",fieldPath=".addresses"
// +kubebuilder:validation:XValidation:rule="!(has(self.dhcp6) && self.dhcp6) || !has(self.addresses) || self.addresses.all(a, !isCIDR(a) || cidr(a).ip().family() != 6)",message="addresses may not hold IPv6 addresses when dhcp6 is true",fieldPath=".addresses"
type VirtualMachineNetworkInterfaceSpec struct {
	// name identifies the interface; with cloud-init and no guestDeviceName
	// it is also the device name in the guest.
	// +required
	// +kubebuilder:validation:Pattern=`^[a-z0-9]{2,}$`
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// network is the network the interface connects to (for example a
	// Network, a VirtualNetwork or a SubnetSet); the namespace's default
	// network when omitted.
	// +optional
	Network *PartialObjectRef `json:"network,omitempty"`

	// guestDeviceName renames the device in the guest (cloud-init only).
	// +optional
	// +kubebuilder:validation:Pattern=`^\w\w+$`
	// +kubebuilder:validation:MaxLength=63
	GuestDeviceName string `json:"guestDeviceName,omitempty"`

	// macAddr is the interface's MAC address; one is generated when omitted.
	// +optional
	// +kubebuilder:validation:Pattern=`^([0-9A-Fa-f]{2}:){5}([0-9A-Fa-f]{2})$`
	MACAddr string `json:"macAddr,omitempty"`

	// addresses are static IPv4 and IPv6 addresses with their prefix length,
	// for example 192.168.0.10/24 or 2001:db8:101::a/64. They need a network
	// that allows manual allocation.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=64
	Addresses []string `json:"addresses,omitempty"`

	// dhcp4 configures IPv4 by DHCP; it excludes IPv4 addresses and gateway4.
	// +optional
	DHCP4 bool `json:"dhcp4,omitempty"`

	// dhcp6 configures IPv6 by DHCP; it excludes IPv6 addresses and gateway6.
	// +optional
	DHCP6 bool `json:"dhcp6,omitempty"`

	// gateway4 is the interface's default IPv4 gateway. The network's gateway
	// is used when omitted; "None" means no gateway.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Gateway4 string `json:"gateway4,omitempty"`

	// gateway6 is the interface's default IPv6 gateway. The network's gateway
	// is used when omitted; "None" means no gateway.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Gateway6 string `json:"gateway6,omitempty"`

	// mtu is the interface's MTU in bytes (cloud-init only).
	// +optional
	// +kubebuilder:validation:Minimum=68
	// +kubebuilder:validation:Maximum=65535
	MTU *int64 `json:"mtu,omitempty"`

	// nameservers are DNS servers for this interface (cloud-init only). When
	// empty, spec.network.nameservers is used unless the cloud-init spec says
	// otherwise.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=64
	Nameservers []string `json:"nameservers,omitempty"`

	// routes are static routes through this interface (cloud-init only).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Routes []VirtualMachineNetworkRouteSpec `json:"routes,omitempty"`

	// searchDomains are DNS search domains for this interface (cloud-init
	// only).
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=253
	SearchDomains []string `json:"searchDomains,omitempty"`
}

// VirtualMachineNetworkRouteSpec is a static route in the guest.
type VirtualMachineNetworkRouteSpec struct {
	// to is the destination: "default", or an IPv4 or IPv6 network.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	To string `json:"to"`

	// via is the next hop's IPv4 or IPv6 address.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=64
	Via string `json:"via"`

	// metric is the route's priority; lower wins.
	// +optional
	// +kubebuilder:validation:Minimum=1
	Metric int32 `json:"metric,omitempty"`
}

// VirtualMachineNetworkStatus is a VM's observed network state.
type VirtualMachineNetworkStatus struct {
	// config is the network configuration kubevisor resolved and handed to
	// the guest; it is what was asked for, not what the guest reports.
	// +optional
	Config *VirtualMachineNetworkConfigStatus `json:"config,omitempty"`

	// hostName is the host name the guest reports.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	HostName string `json:"hostName,omitempty"`

	// interfaces are the guest's network interfaces as observed.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Interfaces []VirtualMachineNetworkInterfaceStatus `json:"interfaces,omitempty"`

	// ipStacks are the guest's IP stacks as observed.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=8
	IPStacks []VirtualMachineNetworkIPStackStatus `json:"ipStacks,omitempty"`

	// primaryIP4 is the VM's primary IPv4 address: the first interface's
	// address, as configured with cloud-init or as reported by the guest
	// otherwise.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	PrimaryIP4 string `json:"primaryIP4,omitempty"`

	// primaryIP6 is the VM's primary IPv6 address, chosen like primaryIP4.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	PrimaryIP6 string `json:"primaryIP6,omitempty"`
}

// VirtualMachineNetworkConfigStatus is the resolved network configuration.
type VirtualMachineNetworkConfigStatus struct {
	// interfaces are the resolved interfaces.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Interfaces []VirtualMachineNetworkConfigInterfaceStatus `json:"interfaces,omitempty"`

	// dns is the resolved guest-wide DNS configuration.
	// +optional
	DNS *VirtualMachineNetworkConfigDNSStatus `json:"dns,omitempty"`
}

// VirtualMachineNetworkConfigInterfaceStatus is one resolved interface.
type VirtualMachineNetworkConfigInterfaceStatus struct {
	// name matches the interface's name in spec.network.interfaces.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name,omitempty"`

	// ip is the interface's resolved IP configuration.
	// +optional
	IP *VirtualMachineNetworkConfigInterfaceIPStatus `json:"ip,omitempty"`

	// dns is the interface's resolved DNS configuration.
	// +optional
	DNS *VirtualMachineNetworkConfigDNSStatus `json:"dns,omitempty"`
}

// VirtualMachineNetworkConfigInterfaceIPStatus is an interface's resolved IP
// configuration.
type VirtualMachineNetworkConfigInterfaceIPStatus struct {
	// dhcp says which address families use DHCP.
	// +optional
	DHCP *VirtualMachineNetworkConfigDHCPStatus `json:"dhcp,omitempty"`

	// addresses are the assigned addresses with prefix length.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:MaxLength=64
	Addresses []string `json:"addresses,omitempty"`

	// gateway4 is the default IPv4 gateway.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Gateway4 string `json:"gateway4,omitempty"`

	// gateway6 is the default IPv6 gateway.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Gateway6 string `json:"gateway6,omitempty"`
}

// VirtualMachineNetworkConfigDHCPStatus says which families use DHCP.
type VirtualMachineNetworkConfigDHCPStatus struct {
	// ip4 is the IPv4 DHCP setting.
	// +optional
	IP4 *VirtualMachineNetworkConfigDHCPOptionsStatus `json:"ip4,omitempty"`

	// ip6 is the IPv6 DHCP setting.
	// +optional
	IP6 *VirtualMachineNetworkConfigDHCPOptionsStatus `json:"ip6,omitempty"`
}

// VirtualMachineNetworkConfigDHCPOptionsStatus is one family's DHCP setting.
type VirtualMachineNetworkConfigDHCPOptionsStatus struct {
	// enabled says whether DHCP is used.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
}

// VirtualMachineNetworkConfigDNSStatus is a resolved DNS configuration.
type VirtualMachineNetworkConfigDNSStatus struct {
	// hostName is the host name part of the guest's DNS name.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	HostName string `json:"hostName,omitempty"`

	// domainName is the domain part of the guest's DNS name.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	DomainName string `json:"domainName,omitempty"`

	// nameservers are the DNS servers.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=64
	Nameservers []string `json:"nameservers,omitempty"`

	// searchDomains are the DNS search domains.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=253
	SearchDomains []string `json:"searchDomains,omitempty"`
}

// VirtualMachineNetworkInterfaceStatus is one interface as the guest reports
// it.
type VirtualMachineNetworkInterfaceStatus struct {
	// name matches the interface's name in spec.network.interfaces, when the
	// interface is one of those.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name,omitempty"`

	// deviceKey is the interface's virtual hardware device key.
	// +optional
	DeviceKey int32 `json:"deviceKey,omitempty"`

	// ip is the interface's observed IP configuration.
	// +optional
	IP *VirtualMachineNetworkInterfaceIPStatus `json:"ip,omitempty"`

	// dns is the interface's observed DNS configuration.
	// +optional
	DNS *VirtualMachineNetworkDNSStatus `json:"dns,omitempty"`
}

// VirtualMachineNetworkInterfaceIPStatus is an interface's observed IP
// configuration.
type VirtualMachineNetworkInterfaceIPStatus struct {
	// autoConfigurationEnabled says whether IPv6 router advertisements
	// configure the interface.
	// +optional
	AutoConfigurationEnabled *bool `json:"autoConfigurationEnabled,omitempty"`

	// dhcp is the interface's observed DHCP client state.
	// +optional
	DHCP *VirtualMachineNetworkDHCPStatus `json:"dhcp,omitempty"`

	// addresses are the interface's observed addresses.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	Addresses []VirtualMachineNetworkInterfaceIPAddrStatus `json:"addresses,omitempty"`

	// macAddr is the interface's observed MAC address.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	MACAddr string `json:"macAddr,omitempty"`
}

// VirtualMachineNetworkInterfaceIPAddrStatus is one observed address.
type VirtualMachineNetworkInterfaceIPAddrStatus struct {
	// address is the address with its prefix length.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Address string `json:"address,omitempty"`

	// lifetime is when the address expires.
	// +optional
	Lifetime *metav1.Time `json:"lifetime,omitempty"`

	// origin is how the address was configured.
	// +optional
	// +kubebuilder:validation:Enum=dhcp;linklayer;manual;other;random
	Origin string `json:"origin,omitempty"`

	// state is the address's state.
	// +optional
	// +kubebuilder:validation:Enum=deprecated;duplicate;inaccessible;invalid;preferred;tentative;unknown
	State string `json:"state,omitempty"`
}

// VirtualMachineNetworkDHCPStatus is the observed DHCP client state.
type VirtualMachineNetworkDHCPStatus struct {
	// ip4 is the IPv4 DHCP client state.
	// +optional
	IP4 VirtualMachineNetworkDHCPOptionsStatus `json:"ip4,omitempty,omitzero"`

	// ip6 is the IPv6 DHCP client state.
	// +optional
	IP6 VirtualMachineNetworkDHCPOptionsStatus `json:"ip6,omitempty,omitzero"`
}

// VirtualMachineNetworkDHCPOptionsStatus is one family's DHCP client state.
type VirtualMachineNetworkDHCPOptionsStatus struct {
	// config holds platform-specific DHCP client settings.
	// +optional
	// +listType=map
	// +listMapKey=key
	// +kubebuilder:validation:MaxItems=64
	Config []KeyValuePair `json:"config,omitempty"`

	// enabled says whether the DHCP client runs.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
}

// VirtualMachineNetworkDNSStatus is an observed DNS client configuration.
type VirtualMachineNetworkDNSStatus struct {
	// dhcp says whether DHCP supplied the settings.
	// +optional
	DHCP bool `json:"dhcp,omitempty"`

	// hostName is the host name part of the DNS name.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	HostName string `json:"hostName,omitempty"`

	// domainName is the domain part of the DNS name.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	DomainName string `json:"domainName,omitempty"`

	// nameservers are the DNS servers.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=64
	Nameservers []string `json:"nameservers,omitempty"`

	// searchDomains are the DNS search domains.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:items:MaxLength=253
	SearchDomains []string `json:"searchDomains,omitempty"`
}

// VirtualMachineNetworkIPStackStatus is one observed guest IP stack.
type VirtualMachineNetworkIPStackStatus struct {
	// dhcp is the stack-wide DHCP client state.
	// +optional
	DHCP *VirtualMachineNetworkDHCPStatus `json:"dhcp,omitempty"`

	// dns is the stack-wide DNS client configuration.
	// +optional
	DNS *VirtualMachineNetworkDNSStatus `json:"dns,omitempty"`

	// ipRoutes is the stack's routing table.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	IPRoutes []VirtualMachineNetworkIPRouteStatus `json:"ipRoutes,omitempty"`

	// kernelConfig holds the stack's kernel settings (for example sysctl
	// values), keyed by an index.
	// +optional
	// +listType=map
	// +listMapKey=key
	// +kubebuilder:validation:MaxItems=1024
	KernelConfig []KeyValuePair `json:"kernelConfig,omitempty"`
}

// VirtualMachineNetworkIPRouteStatus is one observed route.
type VirtualMachineNetworkIPRouteStatus struct {
	// gateway is where matching packets are sent next.
	// +optional
	Gateway VirtualMachineNetworkIPRouteGatewayStatus `json:"gateway,omitempty,omitzero"`

	// networkAddress is the destination network with prefix length.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	NetworkAddress string `json:"networkAddress,omitempty"`
}

// VirtualMachineNetworkIPRouteGatewayStatus is a route's next hop.
type VirtualMachineNetworkIPRouteGatewayStatus struct {
	// device is the guest device the route uses.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Device string `json:"device,omitempty"`

	// address is the gateway's address.
	// +optional
	// +kubebuilder:validation:MaxLength=64
	Address string `json:"address,omitempty"`
}
