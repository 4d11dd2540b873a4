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

// ReadyCondition is the one condition type every kind of this package
// reports: whether what the object describes is in place and usable. Its
// reasons, one block per kind, follow.
const ReadyCondition = "Ready"

// Reasons shared by every kind.
const (
	// ReconcileFailedReason: applying the object failed for a reason that
	// retrying may fix; the message has the error.
	ReconcileFailedReason = "ReconcileFailed"
	// DeletingReason: the object is being deleted and what it created is
	// being removed.
	DeletingReason = "Deleting"
)

// SupervisorNamespace Ready reasons.
const (
	// NamespaceReadyReason: the Namespace and everything granted to it are
	// in place.
	NamespaceReadyReason = "NamespaceReady"
	// NamespaceConflictReason: a Namespace of the same name exists that this
	// SupervisorNamespace did not create.
	NamespaceConflictReason = "NamespaceConflict"
	// StoragePolicyNotFoundReason: an entry of spec.storageClasses names no
	// StoragePolicy.
	StoragePolicyNotFoundReason = "StoragePolicyNotFound"
	// VirtualMachineClassNotFoundReason: an entry of spec.vmClasses names no
	// ClusterVirtualMachineClass.
	VirtualMachineClassNotFoundReason = "VirtualMachineClassNotFound"
	// ContentLibraryNotFoundReason: an entry of spec.contentLibraries names
	// no ClusterContentLibrary.
	ContentLibraryNotFoundReason = "ContentLibraryNotFound"
)

// ClusterVirtualMachineClass Ready reasons.
const (
	// ClassPublishedReason: the class has been copied into every namespace
	// it is bound to.
	ClassPublishedReason = "ClassPublished"
	// ClassUnsupportedReason: the VM provider cannot create VMs of this
	// class, for example because the host has fewer CPUs than it asks for.
	ClassUnsupportedReason = "ClassUnsupported"
)

// StoragePolicy Ready reasons.
const (
	// StorageClassCreatedReason: the StorageClass of the policy exists and
	// its provider can create volumes.
	StorageClassCreatedReason = "StorageClassCreated"
	// StorageClassConflictReason: a StorageClass of the same name exists
	// that this policy did not create.
	StorageClassConflictReason = "StorageClassConflict"
	// ProviderUnavailableReason: the provider cannot create volumes, for
	// example because its directory or vCenter policy is missing.
	ProviderUnavailableReason = "ProviderUnavailable"
	// InvalidParametersReason: spec.parameters are wrong for the provider.
	InvalidParametersReason = "InvalidParameters"
)

// User Ready reasons.
const (
	// UserActiveReason: the user can log in.
	UserActiveReason = "UserActive"
	// UserDisabledReason: spec.disabled is set.
	UserDisabledReason = "UserDisabled"
	// PasswordNotSetReason: the user has no password yet, so cannot log in.
	PasswordNotSetReason = "PasswordNotSet"
)

// Group Ready reasons.
const (
	// MembersResolvedReason: every member of the group is an existing User.
	MembersResolvedReason = "MembersResolved"
	// MemberNotFoundReason: a member of the group names no User; the message
	// lists them.
	MemberNotFoundReason = "MemberNotFound"
)

// Zone Ready reasons.
const (
	// ZoneAvailableReason: VMs can be placed in the zone.
	ZoneAvailableReason = "ZoneAvailable"
	// ZoneUnavailableReason: the infrastructure behind the zone cannot host
	// VMs now.
	ZoneUnavailableReason = "ZoneUnavailable"
)

// LoadBalancerPool Ready reasons.
const (
	// PoolAvailableReason: the pool has free addresses.
	PoolAvailableReason = "PoolAvailable"
	// PoolExhaustedReason: every address of the pool has been given out.
	PoolExhaustedReason = "PoolExhausted"
	// AddressesOverlapReason: some addresses are also in another pool.
	AddressesOverlapReason = "AddressesOverlap"
	// InvalidRangeReason: a range's first address is after its last.
	InvalidRangeReason = "InvalidRange"
)

// OIDCProvider Ready reasons.
const (
	// IssuerConfiguredReason: the API server's authentication configuration
	// trusts tokens from the issuer.
	IssuerConfiguredReason = "IssuerConfigured"
	// IssuerConflictReason: the issuer URL or username prefix is already
	// used by another issuer, so this one is left out.
	IssuerConflictReason = "IssuerConflict"
	// DiscoverySucceededReason: the issuer's discovery document and signing
	// keys have been read.
	DiscoverySucceededReason = "DiscoverySucceeded"
	// DiscoveryFailedReason: the discovery document or the signing keys
	// could not be read; the message has the error.
	DiscoveryFailedReason = "DiscoveryFailed"
	// InvalidCertificateAuthorityReason: spec.certificateAuthority holds no
	// usable certificate.
	InvalidCertificateAuthorityReason = "InvalidCertificateAuthority"
)
