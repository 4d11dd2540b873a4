// Package apply applies objects with server-side apply under kubevisor's
// field manager. Applying an unchanged object changes nothing, so the
// Supervisor re-applies its built-in objects at every start.
package apply
