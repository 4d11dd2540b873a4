package virtualmachineservice

import corev1 "k8s.io/api/core/v1"

// The core Endpoints API is deprecated in favour of EndpointSlices, but a
// VirtualMachineService's contract (vm-operator's) is a selector-less
// Service plus an Endpoints object of the same name, which the
// Supervisor's endpointslice-mirroring controller turns into
// EndpointSlices. This package uses it on purpose, through these names.
type (
	// Endpoints is core/v1 Endpoints.
	Endpoints = corev1.Endpoints //nolint:staticcheck // on purpose, see above
	// EndpointSubset is core/v1 EndpointSubset.
	EndpointSubset = corev1.EndpointSubset //nolint:staticcheck // on purpose, see above
)
