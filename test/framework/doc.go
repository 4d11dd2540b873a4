// Package framework holds the helpers of kubevisor's end-to-end tests and
// benchmarks: it starts real Supervisors from the built binary (and, when
// asked, real etcd and PostgreSQL servers from the machine's packages),
// runs the real kubectl against them, and waits for conditions with
// deadlines instead of sleeping.
package framework
