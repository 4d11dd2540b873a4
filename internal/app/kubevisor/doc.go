// Package kubevisor is the kubevisor command: flags and wiring only. The
// server subcommand starts a Supervisor (internal/supervisor); the other
// subcommands are clients of a running one.
package kubevisor
