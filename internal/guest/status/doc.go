// Package status is the guest agent's report to the host: a JSON file the
// agent rewrites inside the VM and the local provider reads from outside,
// through /proc/<pid>/root while the VM runs and from the VM's disk when it
// does not.
package status
