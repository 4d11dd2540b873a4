// Package namespace is `kubevisor namespace`: the administrator's commands
// to create, change, inspect and delete vSphere Namespaces
// (SupervisorNamespace objects). Flags are checked, and refused naming the
// flag, before the Supervisor is contacted; the Supervisor's own validation
// errors are shown as they come.
package namespace
