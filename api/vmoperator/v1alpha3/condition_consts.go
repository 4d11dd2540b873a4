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

// Condition types and reasons of the vmoperator.vmware.com API. The string
// values are those of the public VM Operator API, so clients that wait on a
// condition by name keep working. Every condition carries a reason; when a
// condition is True and nothing more specific applies, its reason is
// TrueReason.

// Reasons shared by several condition types.
const (
	// TrueReason is the reason of a True condition with nothing more to say.
	TrueReason = "True"

	// NotFoundReason: a referenced object (class, image, Secret, policy,
	// network, library) does not exist.
	NotFoundReason = "NotFound"

	// NotReadyReason: a referenced object exists but is not ready yet.
	NotReadyReason = "NotReady"

	// ForbiddenReason: a referenced object may not be used from this
	// namespace (for example a class or library not bound to it).
	ForbiddenReason = "Forbidden"

	// InvalidReason: a referenced object, or the spec, is invalid.
	InvalidReason = "Invalid"

	// UnknownReason: the state cannot be determined, for example because the
	// provider could not be reached.
	UnknownReason = "Unknown"
)

// ReadyConditionType summarises an object's state. On a VirtualMachine it is
// set only by the readiness probe (spec.readinessProbe): True when the probe
// succeeds. Reasons: ReadyReason, NotReadyReason, UnknownReason.
const (
	// ReadyConditionType is the Ready condition.
	ReadyConditionType = "Ready"

	// ReadyReason: the probe succeeded.
	ReadyReason = "Ready"
)

// VirtualMachine prerequisite conditions: each says whether one input the VM
// needs before it can be created or updated is in place. Reasons:
// TrueReason when met; otherwise NotFoundReason, NotReadyReason,
// ForbiddenReason, InvalidReason, or the specific reasons below.
const (
	// VirtualMachineConditionClassReady: spec.className names a usable class.
	VirtualMachineConditionClassReady = "VirtualMachineClassReady"

	// VirtualMachineConditionImageReady: spec.image / spec.imageName names a
	// usable image. Extra reasons: ImageNotSetReason, ImageUnknownKindReason,
	// NotSupportedReason.
	VirtualMachineConditionImageReady = "VirtualMachineImageReady"

	// VirtualMachineConditionVMSetResourcePolicyReady: the resource policy in
	// spec.reserved.resourcePolicyName is ready. (The value repeats the word
	// "Condition", as in the public API.)
	VirtualMachineConditionVMSetResourcePolicyReady = "VirtualMachineConditionVMSetResourcePolicyReady"

	// VirtualMachineConditionStorageReady: the storage class and volumes can
	// be used. Extra reasons: StorageClassRequiredReason,
	// DatastoreNotFoundReason.
	VirtualMachineConditionStorageReady = "VirtualMachineStorageReady"

	// VirtualMachineConditionBootstrapReady: the bootstrap data (Secrets and
	// their keys) is available. Extra reason: RequiredKeyNotFoundReason.
	VirtualMachineConditionBootstrapReady = "VirtualMachineBootstrapReady"

	// VirtualMachineConditionNetworkReady: the VM's networks and interfaces
	// are ready.
	VirtualMachineConditionNetworkReady = "VirtualMachineNetworkReady"

	// VirtualMachineConditionPlacementReady: a host, zone or pool has been
	// chosen for the VM. (The value repeats the word "Condition", as in the
	// public API.)
	VirtualMachineConditionPlacementReady = "VirtualMachineConditionPlacementReady"

	// ImageNotSetReason: neither spec.image nor spec.imageName is set.
	ImageNotSetReason = "NotSet"

	// ImageUnknownKindReason: spec.image.kind is not an image kind.
	ImageUnknownKindReason = "UnknownKind"

	// NotSupportedReason: the request needs something this provider or image
	// does not support.
	NotSupportedReason = "NotSupported"

	// StorageClassRequiredReason: the provider needs spec.storageClass.
	StorageClassRequiredReason = "StorageClassRequired"

	// DatastoreNotFoundReason: no datastore backs the storage class.
	DatastoreNotFoundReason = "DatastoreNotFound"

	// RequiredKeyNotFoundReason: a Secret referenced by bootstrap lacks the
	// key it names.
	RequiredKeyNotFoundReason = "RequiredKeyNotFound"
)

// VirtualMachineConditionCreated is True once the VM exists on the provider.
// It never goes back to False. Reason: TrueReason.
const (
	// VirtualMachineConditionCreated is the Created condition.
	VirtualMachineConditionCreated = "VirtualMachineCreated"
)

// GuestBootstrapCondition reports the guest's own view of bootstrap, when
// the guest publishes one; its reason and message come from the guest.
const (
	// GuestBootstrapCondition is the GuestBootstrap condition.
	GuestBootstrapCondition = "GuestBootstrap"
)

// GuestCustomizationCondition reports guest OS customization (LinuxPrep,
// Sysprep) as the guest runs it.
const (
	// GuestCustomizationCondition is the GuestCustomization condition.
	GuestCustomizationCondition = "GuestCustomization"

	// GuestCustomizationIdleReason: no customization was asked for.
	GuestCustomizationIdleReason = "GuestCustomizationIdle"

	// GuestCustomizationPendingReason: customization waits for the guest.
	GuestCustomizationPendingReason = "GuestCustomizationPending"

	// GuestCustomizationRunningReason: customization is running in the guest.
	GuestCustomizationRunningReason = "GuestCustomizationRunning"

	// GuestCustomizationSucceededReason: customization finished.
	GuestCustomizationSucceededReason = "GuestCustomizationSucceeded"

	// GuestCustomizationFailedReason: customization failed in the guest.
	GuestCustomizationFailedReason = "GuestCustomizationFailed"
)

// VirtualMachineToolsCondition reports whether the guest agent (VMware Tools,
// or kubevisor's equivalent for local VMs) is running.
const (
	// VirtualMachineToolsCondition is the VirtualMachineTools condition.
	VirtualMachineToolsCondition = "VirtualMachineTools"

	// VirtualMachineToolsRunningReason: the agent is running.
	VirtualMachineToolsRunningReason = "VirtualMachineToolsRunning"

	// VirtualMachineToolsNotRunningReason: the agent is not running.
	VirtualMachineToolsNotRunningReason = "VirtualMachineToolsNotRunning"
)

// VirtualMachineImage and ClusterVirtualMachineImage use ReadyConditionType:
// True when the image's content is available and may be deployed.
const (
	// VirtualMachineImageNotSyncedReason: the content is not on local
	// storage yet (for example an on-demand subscribed item).
	VirtualMachineImageNotSyncedReason = "VirtualMachineImageNotSynced"

	// VirtualMachineImageProviderNotReadyReason: the provider object (the
	// library item) is not ready.
	VirtualMachineImageProviderNotReadyReason = "VirtualMachineImageProviderNotReady"

	// VirtualMachineImageProviderSecurityNotCompliantReason: the library
	// item fails its library's security policy.
	VirtualMachineImageProviderSecurityNotCompliantReason = "VirtualMachineImageProviderSecurityNotCompliant"

	// VirtualMachineImageV1Alpha1CompatibleCondition is set on images that
	// were prepared for the original (v1alpha1) VM Service bootstrap.
	VirtualMachineImageV1Alpha1CompatibleCondition = "VirtualMachineImageV1Alpha1Compatible"
)

// VirtualMachinePublishRequest conditions, in the order the request passes
// them. Complete is True when all the others are.
const (
	// VirtualMachinePublishRequestConditionSourceValid: spec.source names a
	// VM that exists and has been created. Reasons:
	// SourceVirtualMachineNotExistReason, SourceVirtualMachineNotCreatedReason.
	VirtualMachinePublishRequestConditionSourceValid = "SourceValid"

	// VirtualMachinePublishRequestConditionTargetValid: spec.target names a
	// writable, ready library without an item of the target name. Reasons:
	// TargetContentLibraryNotExistReason,
	// TargetContentLibraryNotWritableReason,
	// TargetContentLibraryNotReadyReason, TargetItemAlreadyExistsReason.
	VirtualMachinePublishRequestConditionTargetValid = "TargetValid"

	// VirtualMachinePublishRequestConditionUploaded: the VM's content has
	// been stored as the library item. Reasons: UploadTaskNotStartedReason,
	// UploadTaskQueuedReason, UploadingReason, UploadItemIDInvalidReason,
	// UploadFailureReason.
	VirtualMachinePublishRequestConditionUploaded = "Uploaded"

	// VirtualMachinePublishRequestConditionImageAvailable: a
	// VirtualMachineImage exists for the new item. Reason:
	// TargetVirtualMachineImageNotFoundReason.
	VirtualMachinePublishRequestConditionImageAvailable = "ImageAvailable"

	// VirtualMachinePublishRequestConditionComplete: the request finished.
	// Reasons: HasNotBeenUploadedReason, ImageUnavailableReason.
	VirtualMachinePublishRequestConditionComplete = "Complete"

	// SourceVirtualMachineNotExistReason: the source VM does not exist.
	SourceVirtualMachineNotExistReason = "SourceVirtualMachineNotExist"

	// SourceVirtualMachineNotCreatedReason: the source VM exists in the API
	// but not yet on the provider.
	SourceVirtualMachineNotCreatedReason = "SourceVirtualMachineNotCreated"

	// TargetContentLibraryNotExistReason: the target library does not exist.
	TargetContentLibraryNotExistReason = "TargetContentLibraryNotExist"

	// TargetContentLibraryNotWritableReason: the target library is not
	// writable.
	TargetContentLibraryNotWritableReason = "TargetContentLibraryNotWritable"

	// TargetContentLibraryNotReadyReason: the target library is not ready.
	TargetContentLibraryNotReadyReason = "TargetContentLibraryNotReady"

	// TargetItemAlreadyExistsReason: the target library already has an item
	// of the target name.
	TargetItemAlreadyExistsReason = "TargetItemAlreadyExists"

	// TargetVirtualMachineImageNotFoundReason: no image exists yet for the
	// published item.
	TargetVirtualMachineImageNotFoundReason = "VirtualMachineImageNotFound"

	// UploadTaskNotStartedReason: the publish task has not started.
	UploadTaskNotStartedReason = "NotStarted"

	// UploadTaskQueuedReason: the publish task is queued.
	UploadTaskQueuedReason = "Queued"

	// UploadingReason: the publish task is running.
	UploadingReason = "Uploading"

	// UploadItemIDInvalidReason: the publish task finished but reported no
	// usable item ID.
	UploadItemIDInvalidReason = "ItemIDInvalid"

	// UploadFailureReason: the publish task failed.
	UploadFailureReason = "UploadFailure"

	// HasNotBeenUploadedReason: the request is not complete because the
	// upload has not finished.
	HasNotBeenUploadedReason = "HasNotBeenUploaded"

	// ImageUnavailableReason: the request is not complete because the image
	// is not available yet.
	ImageUnavailableReason = "ImageUnavailable"
)

// VirtualMachineService conditions. ServiceReadyConditionType mirrors the
// Ready condition of the underlying core Service when it has one.
const (
	// ServiceReadyConditionType is the VirtualMachineServiceServiceReady
	// condition (from later public API versions).
	ServiceReadyConditionType = "VirtualMachineServiceServiceReady"

	// ServiceReadyNotPresentReason: the underlying Service has no Ready
	// condition; the status is then Unknown.
	ServiceReadyNotPresentReason = "ServiceReadyNotPresent"
)
