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

// VirtualMachineWebConsoleRequestSpec asks for console access to a VM.
type VirtualMachineWebConsoleRequestSpec struct {
	// name is the name of the VM, in the request's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// publicKey is the client's RSA public key, PEM-encoded. The console
	// ticket in status.response is encrypted to it with RSA-OAEP (SHA-512).
	// For compatibility with existing clients the PEM block is of type
	// "PUBLIC KEY" but holds PKCS #1 key bytes.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=16384
	PublicKey string `json:"publicKey"`
}

// VirtualMachineWebConsoleRequestStatus is the answer to a console request.
type VirtualMachineWebConsoleRequestStatus struct {
	// response is the one-time console ticket, encrypted to spec.publicKey
	// and base64-encoded.
	// +optional
	// +kubebuilder:validation:MaxLength=65536
	Response string `json:"response,omitempty"`

	// expiryTime is when the ticket stops working (two minutes after it is
	// issued); the request is deleted once this time has passed.
	// +optional
	ExpiryTime *metav1.Time `json:"expiryTime,omitempty"`

	// proxyAddr is the host (DNS name, IPv4 or IPv6 address) and optional
	// port through which the console is reached, for example
	// "192.0.2.10:443" or "[2001:db8::1]:443".
	// +optional
	// +kubebuilder:validation:MaxLength=261
	ProxyAddr string `json:"proxyAddr,omitempty"`

	// conditions are the request's observed conditions (kubevisor addition).
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=32
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// VirtualMachineWebConsoleRequest asks for a one-time ticket to open a VM's
// console in a web browser.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=virtualmachinewebconsolerequests,scope=Namespaced,categories=vmoperator
// +kubebuilder:printcolumn:name="VM",type="string",JSONPath=".spec.name",description="VM whose console is requested"
// +kubebuilder:printcolumn:name="Proxy",type="string",JSONPath=".status.proxyAddr"
// +kubebuilder:printcolumn:name="Expiry",type="date",JSONPath=".status.expiryTime"
// +kubebuilder:printcolumn:name="Age",type="date",JSONPath=".metadata.creationTimestamp"
type VirtualMachineWebConsoleRequest struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the request.
	// +optional
	Spec VirtualMachineWebConsoleRequestSpec `json:"spec,omitempty,omitzero"`

	// status is the answer.
	// +optional
	Status VirtualMachineWebConsoleRequestStatus `json:"status,omitempty,omitzero"`
}

// GetConditions returns the request's conditions.
func (r *VirtualMachineWebConsoleRequest) GetConditions() []metav1.Condition {
	return r.Status.Conditions
}

// SetConditions replaces the request's conditions.
func (r *VirtualMachineWebConsoleRequest) SetConditions(conditions []metav1.Condition) {
	r.Status.Conditions = conditions
}

// VirtualMachineWebConsoleRequestList is a list of
// VirtualMachineWebConsoleRequests.
//
// +kubebuilder:object:root=true
type VirtualMachineWebConsoleRequestList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard list metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the VirtualMachineWebConsoleRequests.
	Items []VirtualMachineWebConsoleRequest `json:"items"`
}
