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

package v1beta1

// Conditions shared by VSphereCluster and VSphereMachine. The values are
// Cluster API's v1beta2 ones, which CAPV uses too.
const (
	// ReadyCondition summarises the object's other conditions; Cluster API
	// mirrors it into the Cluster's InfrastructureReady or the Machine's
	// InfrastructureReady condition. It is False with DeletingReason while
	// the object is being deleted.
	ReadyCondition = "Ready"
	// ReadyReason: every condition the summary covers is True.
	ReadyReason = "Ready"
	// NotReadyReason: at least one covered condition is False; the message
	// lists them.
	NotReadyReason = "NotReady"
	// ReadyUnknownReason: no covered condition is False but one is Unknown.
	ReadyUnknownReason = "ReadyUnknown"
	// DeletingReason: the object, or the thing the condition is about, is
	// being deleted.
	DeletingReason = "Deleting"

	// PausedCondition is True while the object or its Cluster is paused
	// (Cluster spec.paused, or the cluster.x-k8s.io/paused annotation):
	// nothing else is reconciled meanwhile.
	PausedCondition = "Paused"
	// PausedReason: reconciliation is paused.
	PausedReason = "Paused"
	// NotPausedReason: reconciliation is not paused.
	NotPausedReason = "NotPaused"
)

// VSphereCluster conditions and their reasons. Ready summarises
// ResourcePolicyReady, LoadBalancerReady and, when set, FailureDomainsReady.
const (
	// ResourcePolicyReadyCondition reports the cluster's
	// VirtualMachineSetResourcePolicy (resource pool, folder and cluster
	// module groups of its VMs).
	ResourcePolicyReadyCondition = "ResourcePolicyReady"
	// ResourcePolicyReadyReason: the policy exists as wanted.
	ResourcePolicyReadyReason = "Ready"
	// ResourcePolicyNotReadyReason: the policy could not be created or
	// updated; the message says why.
	ResourcePolicyNotReadyReason = "NotReady"

	// LoadBalancerReadyCondition reports the control-plane endpoint: a
	// VirtualMachineService of type LoadBalancer in front of the
	// control-plane VMs, on port 6443.
	LoadBalancerReadyCondition = "LoadBalancerReady"
	// LoadBalancerReadyReason: the service has its address and
	// spec.controlPlaneEndpoint is set from it.
	LoadBalancerReadyReason = "Ready"
	// LoadBalancerNotReadyReason: the service could not be created or
	// updated, or belongs to something else; the message says why.
	LoadBalancerNotReadyReason = "NotReady"
	// LoadBalancerWaitingForIPReason: the service exists but has no
	// load-balancer address yet.
	LoadBalancerWaitingForIPReason = "WaitingForIP"

	// FailureDomainsReadyCondition is set, False with NotReadyReason, only
	// while the failure domains cannot be computed because
	// spec.failureDomains.controlPlane.selector is invalid; it is removed
	// once they can.
	FailureDomainsReadyCondition = "FailureDomainsReady"
)

// VSphereMachine conditions and their reasons. Ready summarises
// VirtualMachineProvisioned.
const (
	// VirtualMachineProvisionedCondition reports the machine's
	// VirtualMachine, from waiting for its inputs to powered on with an
	// address. While a VM Service prerequisite of the VM is False (class,
	// image, bootstrap data, storage), its reason and message are shown.
	VirtualMachineProvisionedCondition = "VirtualMachineProvisioned"
	// WaitingForOwnerMachineReason: no Machine owns the VSphereMachine yet.
	WaitingForOwnerMachineReason = "WaitingForOwnerMachine"
	// WaitingForControlPlaneInitializedReason: a worker waits for the
	// cluster's first control-plane node before it has bootstrap data.
	WaitingForControlPlaneInitializedReason = "WaitingForControlPlaneInitialized"
	// WaitingForBootstrapDataReason: the Machine has no bootstrap data
	// Secret yet (spec.bootstrap.dataSecretName).
	WaitingForBootstrapDataReason = "WaitingForBootstrapData"
	// VirtualMachineProvisioningReason: the VirtualMachine exists but the VM
	// Service has not created the VM yet.
	VirtualMachineProvisioningReason = "Provisioning"
	// VirtualMachinePoweringOnReason: the VM exists and is not powered on
	// yet.
	VirtualMachinePoweringOnReason = "PoweringOn"
	// VirtualMachineWaitingForNetworkAddressReason: the VM runs but reports
	// no IP address yet.
	VirtualMachineWaitingForNetworkAddressReason = "WaitingForNetworkAddress"
	// VirtualMachineWaitingForBIOSUUIDReason: the VM reports no BIOS UUID
	// yet, so there is no provider ID.
	VirtualMachineWaitingForBIOSUUIDReason = "WaitingForBIOSUUID"
	// VirtualMachineProvisionedReason: the VM runs, has an address and the
	// machine has its provider ID.
	VirtualMachineProvisionedReason = "Provisioned"
	// VirtualMachineNotProvisionedReason: the VirtualMachine or one of its
	// volumes could not be created or updated; the message says why.
	VirtualMachineNotProvisionedReason = "NotProvisioned"
	// VirtualMachineInvalidConfigurationReason: the spec cannot work as
	// written (status.failureReason is set too); fix the spec.
	VirtualMachineInvalidConfigurationReason = "InvalidConfiguration"
)
