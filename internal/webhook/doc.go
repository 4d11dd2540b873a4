// Package webhook serves the Supervisor's admission and conversion
// webhooks from inside its process, over TLS on a loopback port that only
// the embedded API server calls.
//
// Conversion covers every Cluster API kind (v1beta1 and older spokes to
// the v1beta2 hub) using Cluster API's own converters. Admission checks what
// the CRD schemas cannot: that a SupervisorNamespace names VM classes,
// storage policies and content libraries that exist, and that a
// VirtualMachine uses a class bound to its namespace and fits the
// namespace's CPU and memory limits.
package webhook
