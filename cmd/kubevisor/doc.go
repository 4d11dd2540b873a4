// Command kubevisor runs the Supervisor and manages it.
package main
