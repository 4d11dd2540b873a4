// Command pause is the pod sandbox ("pause") container of kubevisor's
// Kubernetes releases: it holds a pod's namespaces open, reaps the orphans
// that end up with it as their parent (in a pod that shares its process
// namespace, it is PID 1), and exits cleanly on SIGTERM or SIGINT, like
// Kubernetes' own build/pause/linux/pause.c. The TKR builder compiles it
// static (CGO_ENABLED=0) and wraps it in the pause image.
package main
