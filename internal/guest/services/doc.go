// Package services is the guest agent's service supervisor, a small
// stand-in for systemd: it starts the services described by JSON files in
// /etc/kubevisor/services, restarts them by policy, holds back those whose
// start condition does not hold yet, and answers systemctl-style commands
// (start, stop, restart, enable, disable, is-active, is-enabled, status,
// daemon-reload) on a unix socket, which the systemctl shim uses, so that
// kubeadm can drive the kubelet as it would under systemd.
package services
