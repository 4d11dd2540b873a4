package bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubevisor/kubevisor/test/framework"
)

// vmEnv is a Supervisor with a namespace bound to the default library and
// the smallest class, for VM benchmarks (local provider; needs root).
type vmEnv struct {
	s  *framework.Supervisor
	ns string
}

func newVMEnv(b *testing.B, opts framework.SupervisorOptions) *vmEnv {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("local VMs need root")
	}
	s := framework.StartSupervisor(b, opts)
	e := &vmEnv{s: s, ns: "bench"}
	e.until(b, 2*time.Minute, func() error {
		_, err := s.Kubectl(context.Background(), []byte(`apiVersion: kubevisor.io/v1alpha1
kind: SupervisorNamespace
metadata: {name: bench}
spec:
  vmClasses: [best-effort-xsmall]
  contentLibraries: [kubevisor-default]
`), "apply", "-f", "-")
		return err
	})
	e.until(b, 2*time.Minute, func() error {
		out, err := s.Kubectl(context.Background(), nil, "get", "vmclass,vmi", "-n", "bench", "-o", "name")
		if err != nil || !strings.Contains(out, "virtualmachineclass") || !strings.Contains(out, "virtualmachineimage") {
			return fmt.Errorf("%q %v", out, err)
		}
		return nil
	})
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		_, _ = s.Kubectl(ctx, nil, "delete", "vm,vmservice", "--all", "-n", "bench", "--wait=true")
	})
	return e
}

func (e *vmEnv) until(b *testing.B, timeout time.Duration, check func() error) {
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
		time.Sleep(100 * time.Millisecond)
	}
}

// vmManifest is a busybox VM serving HTTP on 8080, Ready by a TCP probe.
func vmManifest(name string) string {
	return fmt.Sprintf(`apiVersion: vmoperator.vmware.com/v1alpha3
kind: VirtualMachine
metadata: {name: %[1]s, namespace: bench, labels: {app: bench}}
spec:
  className: best-effort-xsmall
  imageName: kubevisor-busybox
  powerState: PoweredOn
  readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
  bootstrap:
    cloudInit:
      cloudConfig:
        write_files: [{path: /www/index.html, content: "%[1]s\n"}]
        runcmd: ["httpd -p 8080 -h /www"]
`, name)
}

// readyVMs returns the names of the Ready VMs in the namespace.
func (e *vmEnv) readyVMs() map[string]string {
	out, _ := e.s.Kubectl(context.Background(), nil, "get", "vm", "-n", "bench", "-o",
		`jsonpath={range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status} {.status.network.primaryIP4}{"\n"}{end}`)
	ready := map[string]string{}
	for _, l := range strings.Split(out, "\n") {
		f := strings.Fields(l)
		if len(f) == 3 && f[1] == "True" {
			ready[f[0]] = f[2]
		}
	}
	return ready
}

// BenchmarkLocalVMCreateToReady: one VM from kubectl apply to Ready (its
// HTTP server answering), the median of 5.
func BenchmarkLocalVMCreateToReady(b *testing.B) {
	for range b.N {
		e := newVMEnv(b, framework.SupervisorOptions{SmallImagesOnly: true})
		var times []time.Duration
		for i := range 5 {
			name := fmt.Sprintf("single-%d", i)
			start := time.Now()
			if _, err := e.s.Kubectl(context.Background(), []byte(vmManifest(name)), "apply", "-f", "-"); err != nil {
				b.Fatal(err)
			}
			e.until(b, 3*time.Minute, func() error {
				if _, ok := e.readyVMs()[name]; !ok {
					return fmt.Errorf("%s not Ready", name)
				}
				return nil
			})
			times = append(times, time.Since(start))
		}
		med := median(times)
		b.ReportMetric(med.Seconds(), "s/vm-ready-median")
		fmt.Printf("local VM create to Ready: median of 5 = %s; all: %v\n", med.Round(10*time.Millisecond), round(times))
	}
}

// BenchmarkFiftyVMs creates 50 VMs at once and reports the time until all
// are Ready and the resident memory each adds (the processes in the VMs'
// cgroups, plus the Supervisor's growth).
func BenchmarkFiftyVMs(b *testing.B) {
	for range b.N {
		e := newVMEnv(b, framework.SupervisorOptions{SmallImagesOnly: true})
		supBefore, _ := rssMiB(e.s.PID())
		var all strings.Builder
		for i := range 50 {
			all.WriteString(vmManifest(fmt.Sprintf("fleet-%02d", i)))
			all.WriteString("---\n")
		}
		start := time.Now()
		if _, err := e.s.Kubectl(context.Background(), []byte(all.String()), "apply", "-f", "-"); err != nil {
			b.Fatal(err)
		}
		e.until(b, 10*time.Minute, func() error {
			if n := len(e.readyVMs()); n < 50 {
				return fmt.Errorf("%d of 50 Ready", n)
			}
			return nil
		})
		elapsed := time.Since(start)
		supAfter, _ := rssMiB(e.s.PID())
		vmRSS := cgroupRSSMiB(b)
		perVM := vmRSS / 50
		b.ReportMetric(elapsed.Seconds(), "s/50-vms-ready")
		b.ReportMetric(perVM, "MiB/vm-rss")
		fmt.Printf("50 VMs at once: all Ready in %s; RSS per VM %.1f MiB (guest processes); Supervisor RSS %.0f -> %.0f MiB\n",
			elapsed.Round(100*time.Millisecond), perVM, supBefore, supAfter)
	}
}

// cgroupRSSMiB sums the resident memory of every process in kubevisor's VM
// cgroups.
func cgroupRSSMiB(b *testing.B) float64 {
	files, _ := filepath.Glob("/sys/fs/cgroup/pids/kubevisor/*/cgroup.procs")
	total := 0.0
	for _, f := range files {
		data, _ := os.ReadFile(f)
		for _, p := range strings.Fields(string(data)) {
			var pid int
			fmt.Sscan(p, &pid)
			if r, err := rssMiB(pid); err == nil {
				total += r
			}
		}
	}
	return total
}

// BenchmarkLoadBalancerThroughput puts two VMs behind a LoadBalancer
// VirtualMachineService and compares requests per second through the load
// balancer with requests straight to one backend, in the same run.
func BenchmarkLoadBalancerThroughput(b *testing.B) {
	for range b.N {
		e := newVMEnv(b, framework.SupervisorOptions{SmallImagesOnly: true})
		for _, n := range []string{"lb-a", "lb-b"} {
			if _, err := e.s.Kubectl(context.Background(), []byte(vmManifest(n)), "apply", "-f", "-"); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := e.s.Kubectl(context.Background(), []byte(`apiVersion: vmoperator.vmware.com/v1alpha3
kind: VirtualMachineService
metadata: {name: bench, namespace: bench}
spec:
  type: LoadBalancer
  selector: {app: bench}
  ports: [{name: http, protocol: TCP, port: 80, targetPort: 8080}]
`), "apply", "-f", "-"); err != nil {
			b.Fatal(err)
		}
		var lbIP string
		e.until(b, 3*time.Minute, func() error {
			if len(e.readyVMs()) < 2 {
				return fmt.Errorf("VMs not Ready")
			}
			out, err := e.s.Kubectl(context.Background(), nil, "get", "vmservice", "bench", "-n", "bench", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}")
			if err != nil || out == "" {
				return fmt.Errorf("no LB address")
			}
			lbIP = out
			return nil
		})
		direct := e.readyVMs()["lb-a"] + ":8080"
		through := lbIP + ":80"
		e.until(b, 30*time.Second, func() error { _, err := httpGetOnce("http://" + through + "/"); return err })
		const dur = 10 * time.Second
		rpsDirect := loadRPS(direct, dur)
		rpsLB := loadRPS(through, dur)
		ratio := rpsLB / rpsDirect
		b.ReportMetric(rpsDirect, "req/s-direct")
		b.ReportMetric(rpsLB, "req/s-lb")
		b.ReportMetric(ratio, "lb/direct")
		fmt.Printf("load balancer throughput: %.0f req/s through the LB vs %.0f req/s straight to one backend (ratio %.2f), 8 keep-alive clients, %s each\n",
			rpsLB, rpsDirect, ratio, dur)
	}
}

func httpGetOnce(url string) (string, error) {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// loadRPS runs 8 keep-alive HTTP clients against addr for d and returns
// the completed requests per second.
func loadRPS(addr string, d time.Duration) float64 {
	var mu sync.Mutex
	total := 0
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			tr := &http.Transport{MaxIdleConnsPerHost: 1, DialContext: (&net.Dialer{Timeout: 2 * time.Second}).DialContext}
			c := &http.Client{Transport: tr, Timeout: 5 * time.Second}
			n := 0
			for time.Now().Before(deadline) {
				resp, err := c.Get("http://" + addr + "/")
				if err != nil {
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				n++
			}
			mu.Lock()
			total += n
			mu.Unlock()
		})
	}
	wg.Wait()
	return float64(total) / d.Seconds()
}
