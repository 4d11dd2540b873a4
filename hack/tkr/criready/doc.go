// Command cri-ready waits until a node's container runtime answers the
// Kubernetes Container Runtime Interface: its Version call succeeds and its
// Status reports RuntimeReady. containerd's socket answers ctr before its
// CRI plugin has initialized, and kubeadm's preflight fails at once on a
// runtime that is not ready, so a node whose images are already in
// containerd's store waits for this before running kubeadm.
//
//	cri-ready [-endpoint unix:///run/containerd/containerd.sock] [-timeout 2m]
//
// It exits 0 once the runtime is ready and 1 when the timeout passes first,
// naming the last error.
package main
