// Package vmclass provides the VM classes a Supervisor starts with: at
// every start, before it is ready, it creates each of the default
// ClusterVirtualMachineClasses (best-effort-* and guaranteed-*, xsmall to
// 8xlarge) that does not exist. A class that exists is never changed, so an
// administrator's edits stay; a default class the administrator deleted
// comes back at the next start.
//
// Binding classes to namespaces is the supervisornamespace controller's.
package vmclass
