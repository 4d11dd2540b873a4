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

// Condition types and reasons of the imageregistry.vmware.com API. The
// values of the public API are kept; those marked "kubevisor extension" are
// kubevisor's own. Every condition carries a reason; when a condition is
// True and nothing more specific applies, its reason is TrueReason.

// ReadyConditionType summarises a library's or item's state: True when it
// can be used. Reasons: TrueReason; DeletingReason, DeletedReason; on items
// ContentLibraryRefValidationFailedReason,
// ClusterContentLibraryRefValidationFailedReason,
// ContentLibraryItemFileUnavailableReason, ContentDigestMismatchReason.
const (
	// ReadyConditionType is the Ready condition.
	ReadyConditionType = "Ready"

	// TrueReason is the reason of a True condition with nothing more to say.
	TrueReason = "True"

	// DeletingReason: the object is being deleted.
	DeletingReason = "Deleting"

	// DeletedReason: the underlying library or item was deleted.
	DeletedReason = "Deleted"

	// ContentLibraryRefValidationFailedReason: the item's ContentLibrary is
	// missing or unusable.
	ContentLibraryRefValidationFailedReason = "ContentLibraryRefValidationFailed"

	// ClusterContentLibraryRefValidationFailedReason: the item's
	// ClusterContentLibrary is missing or unusable.
	ClusterContentLibraryRefValidationFailedReason = "ClusterContentLibraryRefValidationFailed"

	// ContentLibraryItemFileUnavailableReason: one of the item's files
	// cannot be read.
	ContentLibraryItemFileUnavailableReason = "ContentLibraryItemFileUnavailable"

	// ContentDigestMismatchReason: a downloaded or stored file does not
	// match its recorded SHA-256 digest. kubevisor extension.
	ContentDigestMismatchReason = "ContentDigestMismatch"
)

// SubscriptionSyncedCondition reports, on a library with spec.subscription,
// whether its items mirror the publisher's latest item list. kubevisor
// extension.
const (
	// SubscriptionSyncedCondition is the SubscriptionSynced condition.
	SubscriptionSyncedCondition = "SubscriptionSynced"

	// SubscriptionSyncingReason: a synchronisation is running.
	SubscriptionSyncingReason = "Syncing"

	// SubscriptionSyncFailedReason: the last synchronisation failed; the
	// message says why.
	SubscriptionSyncFailedReason = "SyncFailed"

	// SubscriptionCertificateUntrustedReason: the publisher's certificate is
	// not trusted by the system roots or spec.subscription.caBundle.
	SubscriptionCertificateUntrustedReason = "CertificateUntrusted"
)
