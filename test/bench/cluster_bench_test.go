package bench

import (
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kubevisor/kubevisor/test/framework"
)

// BenchmarkClusterApplyToReadyNodes applies examples/cluster-api (one
// control-plane node, one worker) and measures the time until the guest
// cluster has 2 Ready nodes, the median of 3 clusters made one after
// another; then the resident memory of each node VM and of the Supervisor.
func BenchmarkClusterApplyToReadyNodes(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("workload clusters run on the local provider, which needs root")
	}
	for range b.N {
		s := framework.StartSupervisor(b, framework.SupervisorOptions{})
		ctx := context.Background()
		example := func(file, ns string) []byte {
			data, err := os.ReadFile(filepath.Join("..", "..", "examples", "cluster-api", file))
			if err != nil {
				b.Fatal(err)
			}
			return []byte(strings.ReplaceAll(string(data), "demo", ns))
		}
		var times []time.Duration
		var vmRSS []float64
		for i := range 3 {
			ns := fmt.Sprintf("bench-%d", i)
			waitFor(b, 3*time.Minute, func() error {
				_, err := s.Kubectl(ctx, example("namespace.yaml", ns), "apply", "-f", "-")
				return err
			})
			waitFor(b, 3*time.Minute, func() error {
				out, err := s.Kubectl(ctx, nil, "get", "vmi", "-n", ns, "-o", "jsonpath={.items[*].status.name}")
				if err != nil || !strings.Contains(out, "kubevisor.1") {
					return fmt.Errorf("TKR image not in %s yet: %q %v", ns, out, err)
				}
				return nil
			})
			start := time.Now()
			if _, err := s.Kubectl(ctx, example("cluster.yaml", ns), "apply", "-f", "-"); err != nil {
				b.Fatal(err)
			}
			guest := filepath.Join(b.TempDir(), ns+".kubeconfig")
			waitFor(b, 10*time.Minute, func() error {
				if _, err := os.Stat(guest); err != nil {
					kc, err := s.Kubectl(ctx, nil, "get", "secret", ns+"-kubeconfig", "-n", ns, "-o", "jsonpath={.data.value}")
					if err != nil || kc == "" {
						return fmt.Errorf("no kubeconfig yet")
					}
					data, _ := base64.StdEncoding.DecodeString(kc)
					if err := os.WriteFile(guest, data, 0o600); err != nil {
						return err
					}
				}
				out, err := framework.Kubectl(ctx, guest, nil, "get", "nodes", "-o", `jsonpath={range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{" "}{end}`)
				if err != nil || strings.Count(out, "True") != 2 {
					return fmt.Errorf("nodes Ready: %q %v", out, err)
				}
				return nil
			})
			d := time.Since(start)
			times = append(times, d)
			b.Logf("cluster %d: 2 Ready nodes %s after apply", i+1, d.Round(time.Second))
			if i == 0 {
				vmRSS = append(vmRSS, vmCgroupProcs()...)
			}
			if _, err := s.Kubectl(ctx, nil, "delete", "cluster", ns, "-n", ns, "--wait=true", "--timeout=5m"); err != nil {
				b.Fatal(err)
			}
			_, _ = s.Kubectl(ctx, nil, "delete", "supervisornamespace", ns, "--wait=true")
		}
		med := median(times)
		sup, _ := rssMiB(s.PID())
		b.ReportMetric(med.Seconds(), "s/cluster-2-nodes-ready-median")
		fmt.Printf("Cluster apply to 2 Ready nodes: median of 3 = %s (target <= 60 s); all: %v\n", med.Round(time.Second), round(times))
		fmt.Printf("RSS per node VM (all processes in the VM): %v MiB; Supervisor RSS %.0f MiB\n", formatMiB(vmRSS), sup)
	}
}

// vmCgroupProcs returns the resident memory of each VM: total_rss of its
// memory cgroup (cgroup v1, counting every process in the VM, its pods'
// too).
func vmCgroupProcs() []float64 {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/memory/kubevisor/*")
	var out []float64
	for _, d := range dirs {
		data, err := os.ReadFile(filepath.Join(d, "memory.stat"))
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(l, "total_rss "); ok {
				var n float64
				fmt.Sscan(v, &n)
				out = append(out, n/(1<<20))
			}
		}
	}
	return out
}

func formatMiB(v []float64) []string {
	out := make([]string, len(v))
	for i, x := range v {
		out[i] = fmt.Sprintf("%.0f", x)
	}
	return out
}

func waitFor(b *testing.B, timeout time.Duration, check func() error) {
	b.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("not within %s: %v", timeout, err)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
