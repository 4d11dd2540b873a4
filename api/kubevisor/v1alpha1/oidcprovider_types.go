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

// OIDCProviderSpec describes an external OpenID Connect issuer and how its
// ID tokens map to Kubernetes users and groups.
type OIDCProviderSpec struct {
	// issuerURL is the issuer's URL, which must match the "iss" claim of
	// its tokens; its discovery document is read from
	// <issuerURL>/.well-known/openid-configuration.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="isURL(self) && url(self).getScheme() == 'https' && url(self).getHostname() != '' && !self.contains('?') && !self.contains('#')",message="issuerURL must be an https URL without query or fragment, such as https://login.example.com"
	IssuerURL string `json:"issuerURL,omitempty"`

	// clientID is the client the Supervisor is registered as with the
	// issuer; tokens must carry it in their "aud" claim.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	ClientID string `json:"clientID,omitempty"`

	// usernameClaim is the claim that holds the user name. Defaults to "sub".
	// +optional
	// +kubebuilder:default=sub
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	UsernameClaim string `json:"usernameClaim,omitempty"`

	// groupsClaim is the claim that holds the user's groups. When omitted,
	// users of this issuer belong to no groups.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	GroupsClaim string `json:"groupsClaim,omitempty"`

	// usernamePrefix is put before every user name of this issuer, so they
	// cannot be mistaken for the Supervisor's own users. Defaults to "oidc:";
	// "-" means no prefix.
	// +optional
	// +kubebuilder:default="oidc:"
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	UsernamePrefix string `json:"usernamePrefix,omitempty"`

	// groupsPrefix is put before every group name of this issuer. When
	// omitted, group names are used as they are.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	GroupsPrefix string `json:"groupsPrefix,omitempty"`

	// certificateAuthority is the PEM-encoded CA bundle to trust for the
	// issuer's TLS certificate. When omitted, the host's trusted CAs are used.
	// +optional
	// +kubebuilder:validation:MaxLength=65536
	// +kubebuilder:validation:XValidation:rule="self.contains('-----BEGIN CERTIFICATE-----')",message="certificateAuthority must hold PEM-encoded certificates"
	CertificateAuthority string `json:"certificateAuthority,omitempty"`
}

// OIDCProviderStatus is the observed state of an issuer.
type OIDCProviderStatus struct {
	// conditions describe the issuer; Ready is true once its discovery
	// document and signing keys have been read.
	// +optional
	// +listType=map
	// +listMapKey=type
	// +kubebuilder:validation:MaxItems=16
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}

// OIDCProvider is an external OpenID Connect issuer whose ID tokens the
// Supervisor, and the clusters it creates, accept.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:storageversion
// +kubebuilder:resource:path=oidcproviders,scope=Cluster,shortName=oidc,categories=kubevisor
// +kubebuilder:printcolumn:name="Issuer",type=string,JSONPath=`.spec.issuerURL`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=='Ready')].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type OIDCProvider struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the object's metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec describes the issuer.
	// +required
	Spec OIDCProviderSpec `json:"spec,omitzero"`

	// status is the issuer as observed.
	// +optional
	Status OIDCProviderStatus `json:"status,omitzero"`
}

// OIDCProviderList is a list of OIDCProviders.
//
// +kubebuilder:object:root=true
type OIDCProviderList struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the list's metadata.
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the issuers.
	Items []OIDCProvider `json:"items"`
}
