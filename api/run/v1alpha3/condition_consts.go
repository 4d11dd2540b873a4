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

// ReadyCondition is the condition type, shared by every kind of this
// package, that summarises whether the object is ready for use.
const ReadyCondition = "Ready"

// TanzuKubernetesCluster conditions and their reasons. Ready is a summary of
// the other conditions in this block, taken in the order they are listed.
const (
	// ControlPlaneReadyCondition reports whether the control plane nodes are
	// up and the cluster's API answers.
	ControlPlaneReadyCondition = "ControlPlaneReady"
	// WaitingForClusterInfrastructureReason: the networks and load balancer
	// the nodes need are not ready yet.
	WaitingForClusterInfrastructureReason = "WaitingForClusterInfrastructure"
	// WaitingForControlPlaneInitializedReason: the first control plane node
	// is being set up.
	WaitingForControlPlaneInitializedReason = "WaitingForControlPlaneInitialized"
	// WaitingForControlPlaneReason: the control plane exists but is not
	// ready, for example while it scales or rolls out.
	WaitingForControlPlaneReason = "WaitingForControlPlane"

	// NodePoolsReadyCondition reports whether every node pool has its
	// nodes up to date and ready.
	NodePoolsReadyCondition = "NodePoolsReady"
	// NodePoolsUnknownReason: the state of the node pools is not known yet.
	NodePoolsUnknownReason = "NodePoolsUnknown"
	// NodePoolsUpdatingReason: a node pool is scaling or rolling out.
	NodePoolsUpdatingReason = "NodePoolsUpdating"
	// NodePoolsFailedReason: nodes of a pool could not be created.
	NodePoolsFailedReason = "NodePoolsFailed"

	// NodesHealthyCondition reports whether every Node of the cluster is
	// healthy.
	NodesHealthyCondition = "NodesHealthy"
	// WaitingForNodesHealthyReason: some Nodes are not healthy yet.
	WaitingForNodesHealthyReason = "WaitingForNodesHealthy"

	// AddonsReadyCondition summarises the add-ons (CNI, CSI, cloud provider,
	// DNS, kube-proxy, authentication) installed in the cluster.
	AddonsReadyCondition = "AddonsReady"
	// AddonsReconciliationFailedReason: an add-on could not be installed or
	// updated.
	AddonsReconciliationFailedReason = "AddonsReconciliationFailed"

	// StorageClassSyncedCondition reports whether the namespace's storage
	// classes have been copied into the cluster.
	StorageClassSyncedCondition = "StorageClassSynced"
	// StorageClassSyncFailedReason: copying the storage classes failed.
	StorageClassSyncFailedReason = "StorageClassSyncFailed"

	// RoleBindingSyncedCondition reports whether the namespace's permissions
	// have been copied into the cluster as role bindings.
	RoleBindingSyncedCondition = "RoleBindingSynced"
	// RoleBindingSyncFailedReason: copying the role bindings failed.
	RoleBindingSyncFailedReason = "RoleBindingSyncFailed"

	// ProviderServiceAccountsReadyCondition reports whether the service
	// accounts that in-cluster components use to reach the Supervisor exist.
	ProviderServiceAccountsReadyCondition = "ProviderServiceAccountsReady"
	// ProviderServiceAccountsReconciliationFailedReason: creating those
	// service accounts, roles or secrets failed.
	ProviderServiceAccountsReconciliationFailedReason = "ProviderServiceAccountsReconciliationFailed"

	// ServiceDiscoveryReadyCondition reports whether the cluster can discover
	// the Supervisor's services.
	ServiceDiscoveryReadyCondition = "ServiceDiscoveryReady"
	// SupervisorHeadlessServiceSetupFailedReason: the headless service that
	// points at the Supervisor's API could not be set up in the cluster.
	SupervisorHeadlessServiceSetupFailedReason = "SupervisorHeadlessServiceSetupFailed"

	// TanzuKubernetesReleaseCompatibleCondition mirrors the Compatible
	// condition of the cluster's TanzuKubernetesRelease.
	TanzuKubernetesReleaseCompatibleCondition = "TanzuKubernetesReleaseCompatible"

	// WaitingForConditionsReason: Ready is not true because some of the
	// conditions it summarises are not reported yet.
	WaitingForConditionsReason = "WaitingForConditions"
	// InvalidSpecReason: Ready is false because the cluster's spec cannot
	// be turned into a Cluster API Cluster; the message names the field.
	InvalidSpecReason = "InvalidSpec"
	// ClusterNameConflictReason: Ready is false because a Cluster API Cluster
	// of the same name, not created for this TanzuKubernetesCluster, already
	// exists in the namespace.
	ClusterNameConflictReason = "ClusterNameConflict"
)

// TanzuKubernetesRelease conditions and their reasons. Ready is true when
// the release is both Valid and Compatible. UpdatesAvailable is also set on
// TanzuKubernetesClusters, where its message lists the newer releases.
const (
	// CompatibleCondition reports whether this Supervisor can run clusters of
	// the release (or, on an OSImage, boot the image).
	CompatibleCondition = "Compatible"

	// ValidCondition reports whether the release's definition is complete:
	// the objects it points at exist and agree with it.
	ValidCondition = "Valid"
	// MissingOSImageReason: an OSImage listed by the release does not exist.
	MissingOSImageReason = "MissingOSImage"
	// OSImageVersionMismatchReason: an OSImage ships a different Kubernetes
	// version than the release.
	OSImageVersionMismatchReason = "OSImageVersionMismatch"
	// TKRVersionMismatchReason: the release's Kubernetes version is not a
	// prefix of its own version.
	TKRVersionMismatchReason = "TKRVersionMismatch"
	// MissingBootstrapPackageReason: a bootstrap package listed by the
	// release does not exist.
	MissingBootstrapPackageReason = "MissingBootstrapPackage"
	// MissingClusterBootstrapTemplateReason: the release has no
	// ClusterBootstrapTemplate of the same name.
	MissingClusterBootstrapTemplateReason = "MissingClusterBootstrapTemplate"

	// UpdatesAvailableCondition is true when newer releases exist that the
	// release (or cluster) can be upgraded to; its message names them.
	UpdatesAvailableCondition = "UpdatesAvailable"
	// AlreadyUpToDateReason: no newer release exists.
	AlreadyUpToDateReason = "AlreadyUpToDate"
	// TKRNotFoundReason: the release the object uses could not be found.
	TKRNotFoundReason = "TKRNotFound"
	// CannotParseTKRReason: the release's version could not be parsed, so
	// newer releases cannot be told apart.
	CannotParseTKRReason = "CannotParseTKR"
)

// OSImage conditions: an OSImage reports CompatibleCondition and
// ReadyCondition, with the reasons below.
const (
	// ImageNotFoundReason: the image the OSImage points at is not in any
	// content library of the Supervisor.
	ImageNotFoundReason = "ImageNotFound"
	// UnsupportedImageTypeReason: this Supervisor's VM provider cannot boot
	// images of the OSImage's type.
	UnsupportedImageTypeReason = "UnsupportedImageType"
)

// TanzuKubernetesClusterPhase is a one-word summary of where a
// TanzuKubernetesCluster is in its life.
// +kubebuilder:validation:Enum=creating;running;updating;updateFailed;unhealthy;deleting;failed
type TanzuKubernetesClusterPhase string

// The phases of a TanzuKubernetesCluster.
const (
	// PhaseCreating: the cluster is being created.
	PhaseCreating TanzuKubernetesClusterPhase = "creating"
	// PhaseRunning: the control plane, the node pools and the add-ons are
	// ready.
	PhaseRunning TanzuKubernetesClusterPhase = "running"
	// PhaseUpdating: the cluster is rolling out a change, such as an upgrade.
	PhaseUpdating TanzuKubernetesClusterPhase = "updating"
	// PhaseUpdateFailed: a rollout failed; someone likely has to step in.
	PhaseUpdateFailed TanzuKubernetesClusterPhase = "updateFailed"
	// PhaseUnhealthy: the cluster was running but is not healthy now.
	PhaseUnhealthy TanzuKubernetesClusterPhase = "unhealthy"
	// PhaseDeleting: the cluster is being deleted.
	PhaseDeleting TanzuKubernetesClusterPhase = "deleting"
	// PhaseFailed: creating the cluster failed; someone likely has to step
	// in.
	PhaseFailed TanzuKubernetesClusterPhase = "failed"
)
