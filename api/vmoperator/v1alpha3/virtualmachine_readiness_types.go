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

import "k8s.io/apimachinery/pkg/util/intstr"

// VirtualMachineReadinessProbeSpec decides when a VM counts as Ready. It
// holds at most one action: tcpSocket, guestHeartbeat or guestInfo. Its
// outcome is the VM's Ready condition.
//
// +kubebuilder:validation:XValidation:rule="(has(self.tcpSocket) ? 1 : 0) + (has(self.guestHeartbeat) ? 1 : 0) + (has(self.guestInfo) && size(self.guestInfo) > 0 ? 1 : 0) <= 1",message="only one of tcpSocket, guestHeartbeat and guestInfo may be set"
type VirtualMachineReadinessProbeSpec struct {
	// tcpSocket is Ready when a TCP connection to the port succeeds. It needs
	// network reach from the Supervisor to the VM.
	// +optional
	TCPSocket *TCPSocketAction `json:"tcpSocket,omitempty"`

	// guestHeartbeat is Ready when the guest tools' heartbeat is at least
	// the threshold.
	// +optional
	GuestHeartbeat *GuestHeartbeatAction `json:"guestHeartbeat,omitempty"`

	// guestInfo is Ready when every listed guestinfo key exists and its value
	// matches. The guest sets keys with, for example,
	// "vmware-rpctool 'info-set guestinfo.ready true'".
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=32
	GuestInfo []GuestInfoAction `json:"guestInfo,omitempty"`

	// timeoutSeconds is how long one probe may take; 10 when omitted.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=60
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty"`

	// periodSeconds is how often the probe runs; 10 when omitted.
	// +optional
	// +kubebuilder:validation:Minimum=1
	PeriodSeconds int32 `json:"periodSeconds,omitempty"`
}

// TCPSocketAction probes a TCP port.
type TCPSocketAction struct {
	// port is the port number (1-65535) or IANA service name to connect to.
	// +required
	Port intstr.IntOrString `json:"port"`

	// host is the host to connect to; the VM's primary IP when omitted.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	Host string `json:"host,omitempty"`
}

// GuestHeartbeatStatus is the guest tools' heartbeat colour.
type GuestHeartbeatStatus string

const (
	// GrayHeartbeatStatus means the guest tools are missing or not running.
	GrayHeartbeatStatus GuestHeartbeatStatus = "gray"
	// RedHeartbeatStatus means there is no heartbeat.
	RedHeartbeatStatus GuestHeartbeatStatus = "red"
	// YellowHeartbeatStatus means the heartbeat is intermittent.
	YellowHeartbeatStatus GuestHeartbeatStatus = "yellow"
	// GreenHeartbeatStatus means the guest responds normally.
	GreenHeartbeatStatus GuestHeartbeatStatus = "green"
)

// GuestHeartbeatAction probes the guest tools' heartbeat.
type GuestHeartbeatAction struct {
	// thresholdStatus is the lowest heartbeat colour that counts as Ready.
	// +optional
	// +kubebuilder:default=green
	// +kubebuilder:validation:Enum=yellow;green
	ThresholdStatus GuestHeartbeatStatus `json:"thresholdStatus,omitempty"`
}

// GuestInfoAction probes one guestinfo key.
type GuestInfoAction struct {
	// key is the guestinfo key, without the "guestinfo." prefix that is
	// added to it.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	Key string `json:"key"`

	// value is an RE2 regular expression the key's value must match; any
	// value matches when empty.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Value string `json:"value,omitempty"`
}
