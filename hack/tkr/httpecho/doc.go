// Command httpecho is the test workload every kubevisor Kubernetes release
// preloads as kubevisor.local/tools/httpecho:1, so that a cluster's network
// can be checked without pulling an image.
//
// Serving (the default), it answers every GET with its pod's name ($POD_NAME,
// or the host name) and a newline, on $PORT (default 8080):
//
//	httpecho [-listen :8080]
//
// As a client, it resolves each URL's host, sends -n GETs to it, each on a
// new connection (so that a Service spreads them over its endpoints), and
// prints one JSON line per URL: the addresses the host resolved to and how
// many answers each name gave. It exits 1 when a lookup or request failed.
//
//	httpecho get [-n 20] [-timeout 5s] URL...
package main
