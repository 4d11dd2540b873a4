//go:build !linux

package kubevisor

// releaseExecutablePages does nothing off Linux.
func releaseExecutablePages() (int64, error) { return 0, nil }
