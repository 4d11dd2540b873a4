package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kubevisor/kubevisor/test/framework"
)

// TestLocalVMs is issue 4's story with the local provider, through kubectl
// against the shared Supervisor: VMs from the default busybox image whose
// cloud-init starts an HTTP server become Ready and answer on their
// address; a LoadBalancer VirtualMachineService spreads requests over both
// and drops a powered-off one within 5 s; the VMs keep serving while the
// Supervisor is killed with SIGKILL and come back adopted, not duplicated;
// and deleting everything leaves nothing on the host.
func TestLocalVMs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the local provider needs root; CI runs this as root")
	}
	s := shared
	ns := "vms-" + fmt.Sprint(time.Now().UnixNano()%1_000_000)
	ctx := ctxFor(t, 10*time.Minute)
	kubectl := func(stdin string, args ...string) string {
		t.Helper()
		var in []byte
		if stdin != "" {
			in = []byte(stdin)
		}
		out, err := s.Kubectl(ctx, in, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// The default classes and library are created as the Supervisor starts.
	eventually(t, time.Minute, "namespace "+ns+" accepted", func() error {
		_, err := s.Kubectl(ctx, []byte(fmt.Sprintf(`apiVersion: kubevisor.io/v1alpha1
kind: SupervisorNamespace
metadata: {name: %s}
spec:
  vmClasses: [best-effort-xsmall]
  contentLibraries: [kubevisor-default]
`, ns)), "apply", "-f", "-")
		return err
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_, _ = s.Kubectl(ctx, nil, "delete", "supervisornamespace", ns, "--ignore-not-found", "--wait=true")
	})
	eventually(t, time.Minute, "the VM class and the busybox image in "+ns, func() error {
		out, err := s.Kubectl(ctx, nil, "get", "vmclass,vmi", "-n", ns, "-o", "name")
		if err != nil || !strings.Contains(out, "virtualmachineclass") || !strings.Contains(out, "virtualmachineimage") {
			return fmt.Errorf("%q %v", out, err)
		}
		return nil
	})

	vms := []string{"web-1", "web-2"}
	for _, name := range vms {
		// The user data comes from a Secret (rawCloudConfig), as Cluster API
		// bootstrap data does. bootcmd runs at every boot, so the server
		// comes back after a power cycle; write_files runs once, and the
		// disk keeps the page.
		kubectl(fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: %[1]s-cloud-init, namespace: %[2]s}
stringData:
  user-data: |
    #cloud-config
    bootcmd:
    - "mkdir -p /www && httpd -p 8080 -h /www"
    write_files:
    - {path: /www/index.html, content: "hello from %[1]s\n"}
---
apiVersion: vmoperator.vmware.com/v1alpha3
kind: VirtualMachine
metadata: {name: %[1]s, namespace: %[2]s, labels: {app: web}}
spec:
  className: best-effort-xsmall
  imageName: kubevisor-busybox
  powerState: PoweredOn
  readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
  bootstrap:
    cloudInit:
      rawCloudConfig: {name: %[1]s-cloud-init, key: user-data}
`, name, ns), "apply", "-f", "-")
	}
	ips := map[string]string{}
	for _, name := range vms {
		eventually(t, 2*time.Minute, name+" Ready", func() error {
			out, err := s.Kubectl(ctx, nil, "get", "vm", name, "-n", ns, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.network.primaryIP4}`)
			f := strings.Fields(out)
			if err != nil || len(f) != 2 || f[0] != "True" {
				return fmt.Errorf("%q %v", out, err)
			}
			ips[name] = f[1]
			return nil
		})
	}
	t.Run("ServesHTTP", func(t *testing.T) {
		for _, name := range vms {
			body, err := httpGet("http://" + ips[name] + ":8080/")
			if err != nil || body != "hello from "+name+"\n" {
				t.Errorf("GET %s (%s): %q %v", name, ips[name], body, err)
			}
		}
	})

	var lbIP string
	t.Run("LoadBalancer", func(t *testing.T) {
		kubectl(fmt.Sprintf(`apiVersion: vmoperator.vmware.com/v1alpha3
kind: VirtualMachineService
metadata: {name: web, namespace: %s}
spec:
  type: LoadBalancer
  selector: {app: web}
  ports: [{name: http, protocol: TCP, port: 80, targetPort: 8080}]
`, ns), "apply", "-f", "-")
		eventually(t, time.Minute, "a load-balancer address", func() error {
			out, err := s.Kubectl(ctx, nil, "get", "vmservice", "web", "-n", ns, "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}")
			if err != nil || out == "" {
				return fmt.Errorf("%q %v", out, err)
			}
			lbIP = out
			return nil
		})
		eventually(t, 30*time.Second, "both VMs behind "+lbIP, func() error {
			seen := lbSpread(lbIP, 20)
			if !seen["web-1"] || !seen["web-2"] {
				return fmt.Errorf("answers from %v", seen)
			}
			return nil
		})

		kubectl("", "patch", "vm", "web-2", "-n", ns, "--type=merge", "-p", `{"spec":{"powerState":"PoweredOff"}}`)
		off := time.Now()
		eventually(t, 5*time.Second, "web-2 out of rotation", func() error {
			if seen := lbSpread(lbIP, 10); seen["web-2"] || !seen["web-1"] {
				return fmt.Errorf("answers from %v", seen)
			}
			return nil
		})
		t.Logf("a powered-off VM left the rotation %s after the power-off request", time.Since(off).Round(100*time.Millisecond))
		kubectl("", "patch", "vm", "web-2", "-n", ns, "--type=merge", "-p", `{"spec":{"powerState":"PoweredOn"}}`)
		eventually(t, time.Minute, "web-2 back in rotation", func() error {
			if seen := lbSpread(lbIP, 20); !seen["web-2"] {
				return fmt.Errorf("answers from %v", seen)
			}
			return nil
		})
	})

	t.Run("SurviveSupervisorSIGKILL", func(t *testing.T) {
		before := guestAgents(t, s)
		// Keep asking both VMs while the Supervisor is down and back.
		var failures, requests atomic.Int64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, name := range vms {
					requests.Add(1)
					if body, err := httpGet("http://" + ips[name] + ":8080/"); err != nil || !strings.Contains(body, name) {
						failures.Add(1)
					}
				}
				time.Sleep(100 * time.Millisecond)
			}
		})
		s.Kill()
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		if err := s.WaitReady(3 * time.Minute); err != nil {
			t.Fatalf("%v\n%s", err, s.Output())
		}
		// Let the controllers resync with the VMs they find.
		time.Sleep(5 * time.Second)
		close(stop)
		wg.Wait()
		if failures.Load() > 0 {
			t.Errorf("%d of %d requests to the VMs failed while the Supervisor restarted", failures.Load(), requests.Load())
		}
		after := guestAgents(t, s)
		if len(after) != len(before) {
			t.Errorf("guest agents before the restart %v, after %v: VMs were duplicated or lost", before, after)
		}
		for id, pid := range before {
			if after[id] != pid {
				t.Errorf("VM %s: guest agent PID %d became %d: the VM was restarted, not adopted", id, pid, after[id])
			}
		}
		t.Logf("%d requests while the Supervisor was killed and restarted, %d failed; %d guest agents, same PIDs", requests.Load(), failures.Load(), len(after))
	})

	t.Run("DeleteLeavesNothing", func(t *testing.T) {
		ids := guestAgents(t, s)
		kubectl("", "delete", "vmservice,vm", "--all", "-n", ns, "--wait=true", "--timeout=2m")
		if lbIP != "" {
			eventually(t, 30*time.Second, "the load-balancer address removed", func() error {
				if out, _ := exec.Command("ip", "-o", "addr").CombinedOutput(); strings.Contains(string(out), " "+lbIP+"/") {
					return fmt.Errorf("%s is still on the host", lbIP)
				}
				return nil
			})
		}
		for id := range ids {
			checkVMGone(t, s, id)
		}
	})
}

func httpGet(url string) (string, error) {
	c := &http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// lbSpread asks ip:80 n times (new connections) and returns which VMs
// answered.
func lbSpread(ip string, n int) map[string]bool {
	seen := map[string]bool{}
	for range n {
		if body, err := httpGet("http://" + ip + ":80/"); err == nil {
			seen[strings.TrimPrefix(strings.TrimSpace(body), "hello from ")] = true
		}
	}
	return seen
}

// guestAgents maps each local VM of s to the PID of its guest agent, from
// the provider's state directory and /proc.
func guestAgents(t *testing.T, s *framework.Supervisor) map[string]int {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(s.Opts.DataDir, "vms", "instances", "*"))
	out := map[string]int{}
	for _, d := range dirs {
		id := filepath.Base(d)
		procs, _ := os.ReadFile(filepath.Join("/sys/fs/cgroup/pids/kubevisor", id, "cgroup.procs"))
		for _, line := range strings.Fields(string(procs)) {
			var pid int
			fmt.Sscan(line, &pid)
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
			if strings.Contains(string(cmdline), "guest") || strings.HasPrefix(string(cmdline), "/sbin/init") {
				if _, dup := out[id]; dup {
					t.Errorf("VM %s has two guest agents", id)
				}
				out[id] = pid
			}
		}
	}
	return out
}

// checkVMGone asserts that nothing of local VM id remains: no process,
// cgroup, network namespace, veth or directory.
func checkVMGone(t *testing.T, s *framework.Supervisor, id string) {
	t.Helper()
	if m, _ := filepath.Glob("/sys/fs/cgroup/*/kubevisor/" + id); len(m) > 0 {
		t.Errorf("VM %s: cgroups remain: %v", id, m)
	}
	if _, err := os.Stat(filepath.Join(s.Opts.DataDir, "vms", "instances", id)); err == nil {
		t.Errorf("VM %s: its directory remains", id)
	}
	netns, _ := exec.Command("ip", "netns", "list").CombinedOutput()
	links, _ := exec.Command("ip", "-o", "link").CombinedOutput()
	h := localName(id)
	if strings.Contains(string(netns), "kv-"+h) {
		t.Errorf("VM %s: network namespace kv-%s remains", id, h)
	}
	if strings.Contains(string(links), "kvh"+h) {
		t.Errorf("VM %s: veth kvh%s remains", id, h)
	}
}

// localName is the hash the local provider names a VM's host objects with
// (kv-<h> network namespace, kvh<h> veth): the first 12 hex digits of
// SHA-256("kubevisor-vm:"+id). The test derives it independently so that a
// change of naming in the provider cannot hide leftovers.
func localName(id string) string {
	sum := sha256.Sum256([]byte("kubevisor-vm:" + id))
	return hex.EncodeToString(sum[:])[:12]
}
