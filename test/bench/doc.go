// Package bench holds kubevisor's benchmarks. `make bench` runs them once
// each (-benchtime 1x); every benchmark repeats its own measurement as its
// target asks (a median of N, a percentile of M requests) and prints the
// figures. They never fail on a slow machine: they report.
package bench
