package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kubevisor/kubevisor/test/framework"
)

// tkrName is the release `make tkr` builds and the Supervisor publishes.
const tkrName = "v1.36.3---vmware.1-kubevisor.1"

// TestTanzuKubernetesCluster is issue 6's story, through kubectl and the
// kubevisor CLI: bad requests are refused before any VM exists; a TKC
// v1alpha3 becomes Ready while a vSphere 8 style Cluster v1beta1 on the
// builtin class, with a per-pool override, becomes Available; the TKC's
// pool scales through kubectl and through `kubevisor cluster scale`;
// nothing changes once it is Ready; deleting it leaves nothing behind.
func TestTanzuKubernetesCluster(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("workload clusters run on the local provider, which needs root; CI runs this as root")
	}
	s := shared
	ctx := ctxFor(t, 30*time.Minute)
	suffix := time.Now().UnixNano() % 1_000_000
	tkcNS, capiNS := fmt.Sprintf("tkc-%d", suffix), fmt.Sprintf("cc-%d", suffix)
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
	cli := func(args ...string) (string, error) {
		bin, err := framework.Bin("kubevisor")
		if err != nil {
			return "", err
		}
		cmd := exec.CommandContext(ctx, bin, append(args, "--kubeconfig", s.Kubeconfig())...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	// The TKC namespace has room for 4 best-effort-small VMs (2 CPUs each).
	eventually(t, 2*time.Minute, "namespaces accepted", func() error {
		_, err := s.Kubectl(ctx, []byte(supervisorNamespaces(tkcNS, capiNS)), "apply", "-f", "-")
		return err
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
		defer cancel()
		for _, ns := range []string{tkcNS, capiNS} {
			_, _ = s.Kubectl(ctx, nil, "delete", "tkc,clusters", "--all", "-n", ns, "--wait=true")
			_, _ = s.Kubectl(ctx, nil, "delete", "supervisornamespace", ns, "--wait=true")
		}
	})
	eventually(t, 3*time.Minute, "the builtin ClusterClass and the TKR image in "+tkcNS, func() error {
		out, err := s.Kubectl(ctx, nil, "get", "clusterclass", "tanzukubernetescluster", "-n", tkcNS, "-o", "name")
		if err != nil || strings.TrimSpace(out) == "" {
			return fmt.Errorf("clusterclass %q %v", out, err)
		}
		out, err = s.Kubectl(ctx, nil, "get", "tkr", tkrName, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		if err != nil || out != "True" {
			return fmt.Errorf("TKR Ready=%q %v (is the TKR built? make tkr)", out, err)
		}
		return nil
	})

	t.Run("RefusedBeforeAnyVM", func(t *testing.T) {
		cases := []struct {
			name, manifest, want string
		}{
			{"unknown TKR", tkcManifest(tkcNS, "bad-tkr", "v9.99.9---vmware.1-nope.1", "best-effort-small", "local", 1), "no TanzuKubernetesRelease matches"},
			{"VM class not bound", tkcManifest(tkcNS, "bad-class", tkrName, "best-effort-large", "local", 1), "is not bound to namespace"},
			{"storage class not assigned", tkcManifest(tkcNS, "bad-storage", tkrName, "best-effort-small", "gold", 1), "is not assigned to namespace"},
			{"over the CPU limit", tkcManifest(tkcNS, "too-big", tkrName, "best-effort-small", "local", 4), "limit"},
			{"Cluster: unknown TKR", clusterManifest(tkcNS, "bad-cluster", "v9.99.9", "best-effort-small"), "no TanzuKubernetesRelease matches"},
			{"Cluster: VM class not bound", clusterManifest(tkcNS, "bad-cluster", tkrName, "best-effort-large"), "is not bound to namespace"},
		}
		for _, c := range cases {
			out, err := s.Kubectl(ctx, []byte(c.manifest), "apply", "-f", "-")
			if err == nil || !strings.Contains(err.Error()+out, c.want) {
				t.Errorf("%s: want a refusal saying %q, got %v %s", c.name, c.want, err, out)
				continue
			}
			t.Logf("%s: refused: %s", c.name, firstLine(err.Error()))
		}
		if out := kubectl("", "get", "tkc,clusters,virtualmachines", "-n", tkcNS, "-o", "name"); strings.TrimSpace(out) != "" {
			t.Errorf("refused requests left objects behind: %s", out)
		}
	})

	start := time.Now()
	kubectl(tkcManifest(tkcNS, "tkc", tkrName, "best-effort-small", "local", 1), "apply", "-f", "-")
	kubectl(clusterManifest(capiNS, "vs8", tkrName, "best-effort-small"), "apply", "-f", "-")

	var wg sync.WaitGroup
	var capiErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		capiErr = pollUntil(ctx, 12*time.Minute, func() error {
			out, err := s.Kubectl(ctx, nil, "get", "cluster", "vs8", "-n", capiNS, "-o", `jsonpath={.status.conditions[?(@.type=="Available")].status}`)
			if err != nil || out != "True" {
				return fmt.Errorf("Cluster vs8 Available=%q %v", out, err)
			}
			return nil
		})
	}()
	eventually(t, 12*time.Minute, "TKC Ready", func() error {
		out, err := s.Kubectl(ctx, nil, "get", "tkc", "tkc", "-n", tkcNS, "-o", `jsonpath={.status.phase} {.status.conditions[?(@.type=="Ready")].status}`)
		if err != nil || out != "running True" {
			return fmt.Errorf("phase and Ready %q %v", out, err)
		}
		return nil
	})
	t.Logf("TKC Ready %s after apply", time.Since(start).Round(time.Second))
	wg.Wait()

	t.Run("UpdatesAvailable", func(t *testing.T) {
		// The release and a cluster on it name the same updates (TKG's
		// UPDATES AVAILABLE column, and the TKC's condition).
		const cond = `jsonpath={.status.conditions[?(@.type=="UpdatesAvailable")].status} {.status.conditions[?(@.type=="UpdatesAvailable")].message}`
		eventually(t, time.Minute, "UpdatesAvailable on the TKR and the TKC", func() error {
			onTKR, err := s.Kubectl(ctx, nil, "get", "tkr", tkrName, "-o", cond)
			if err != nil {
				return err
			}
			onTKC, err := s.Kubectl(ctx, nil, "get", "tkc", "tkc", "-n", tkcNS, "-o", cond)
			if err != nil {
				return err
			}
			if !strings.HasPrefix(onTKR, "True [") && onTKR != "False " {
				return fmt.Errorf("TKR UpdatesAvailable = %q", onTKR)
			}
			if onTKR != onTKC {
				return fmt.Errorf("TKR UpdatesAvailable %q, TKC %q", onTKR, onTKC)
			}
			return nil
		})
	})

	t.Run("ClusterV1beta1OnTheBuiltinClass", func(t *testing.T) {
		if capiErr != nil {
			out, _ := cli("cluster", "get", "vs8", "-n", capiNS)
			t.Fatalf("%v\n%s", capiErr, out)
		}
		out := kubectl("", "get", "cluster", "vs8", "-n", capiNS, "-o", `jsonpath={.spec.topology.version} {.metadata.labels.run\.tanzu\.vmware\.com/tkr}`)
		if out != "v1.36.3 "+tkrName {
			t.Errorf("resolved version and tkr label = %q", out)
		}
		// The per-pool override chose the workers' class.
		out = kubectl("", "get", "vspheremachines", "-n", capiNS, "-o", `jsonpath={range .items[*]}{.metadata.labels.cluster\.x-k8s\.io/deployment-name}={.spec.className}{"\n"}{end}`)
		if !strings.Contains(out, "=best-effort-xsmall") {
			t.Errorf("no worker uses the overridden class best-effort-xsmall:\n%s", out)
		}
		kubectl("", "delete", "cluster", "vs8", "-n", capiNS, "--wait=true", "--timeout=5m")
	})

	guest := filepath.Join(t.TempDir(), "guest.kubeconfig")
	kc, err := cli("cluster", "kubeconfig", "tkc", "-n", tkcNS)
	if err != nil {
		t.Fatalf("kubevisor cluster kubeconfig: %v\n%s", err, kc)
	}
	if err := os.WriteFile(guest, []byte(kc), 0o600); err != nil {
		t.Fatal(err)
	}
	gk := func(stdin string, args ...string) (string, error) {
		return framework.Kubectl(ctx, guest, nil, args...)
	}
	t.Run("TwoReadyNodes", func(t *testing.T) { checkGuestNodes(t, s, tkcNS, gk, 2) })

	t.Run("ControlPlaneHealthCheck", func(t *testing.T) {
		// vSphere's defaults: nodes get 2 h to start; Ready Unknown for
		// 5 min or False for 12 min is unhealthy.
		out := kubectl("", "get", "machinehealthchecks", "-n", tkcNS, "-o",
			`jsonpath={range .items[*]}{.spec.selector.matchLabels}|{.spec.checks.nodeStartupTimeoutSeconds}|{range .spec.checks.unhealthyNodeConditions[*]}{.type}={.status}:{.timeoutSeconds} {end}{"\n"}{end}`)
		if !strings.Contains(out, "control-plane") || !strings.Contains(out, "|7200|") || !strings.Contains(out, "Ready=Unknown:300") || !strings.Contains(out, "Ready=False:720") {
			t.Errorf("the control plane's MachineHealthCheck is not vSphere's:\n%s", out)
		}
	})

	t.Run("ScaleNodePool", func(t *testing.T) {
		kubectl("", "patch", "tkc", "tkc", "-n", tkcNS, "--type=json", "-p", `[{"op":"replace","path":"/spec/topology/nodePools/0/replicas","value":2}]`)
		checkGuestNodes(t, s, tkcNS, gk, 3)
		out, err := cli("cluster", "scale", "tkc", "-n", tkcNS, "--workers", "1", "--wait", "--timeout", "8m")
		if err != nil {
			t.Fatalf("kubevisor cluster scale: %v\n%s", err, out)
		}
		checkGuestNodes(t, s, tkcNS, gk, 2)
		out = kubectl("", "get", "tkc", "tkc", "-n", tkcNS, "-o", "jsonpath={.status.totalWorkerReplicas}")
		if out != "1" {
			t.Errorf("status.totalWorkerReplicas = %q after scaling to 1", out)
		}
	})

	t.Run("QuietOnceReady", func(t *testing.T) {
		eventually(t, 5*time.Minute, "TKC Ready after scaling", func() error {
			out, err := s.Kubectl(ctx, nil, "get", "tkc", "tkc", "-n", tkcNS, "-o", `jsonpath={.status.phase} {.status.conditions[?(@.type=="Ready")].status}`)
			if err != nil || out != "running True" {
				return fmt.Errorf("phase and Ready %q %v", out, err)
			}
			return nil
		})
		time.Sleep(10 * time.Second)
		tkrVersion := kubectl("", "get", "tkr", tkrName, "-o", "jsonpath={.metadata.resourceVersion}")
		checkQuiet(t, s, tkcNS, "a Ready TKC")
		if now := kubectl("", "get", "tkr", tkrName, "-o", "jsonpath={.metadata.resourceVersion}"); now != tkrVersion {
			t.Errorf("TKR %s changed (resourceVersion %s to %s) while its cluster was Ready", tkrName, tkrVersion, now)
		}
	})

	t.Run("DeleteLeavesNothing", func(t *testing.T) {
		uids := vmUIDs(t, s, tkcNS)
		lb := kubectl("", "get", "vmservice", "-n", tkcNS, "-o", "jsonpath={.items[*].status.loadBalancer.ingress[*].ip}")
		if out, err := cli("cluster", "delete", "tkc", "-n", tkcNS, "--wait", "--timeout", "6m"); err != nil {
			t.Fatalf("kubevisor cluster delete: %v\n%s", err, out)
		}
		if out := kubectl("", "get", "tkc,clusters", "-n", tkcNS, "-o", "name"); strings.TrimSpace(out) != "" {
			t.Errorf("remain after the TKC is deleted: %s", out)
		}
		checkClusterGone(t, s, tkcNS, uids, lb)
	})
}

// supervisorNamespaces are the two namespaces of the TKG test: the TKC's
// with a CPU limit of 8 (four best-effort-small VMs), the Cluster's with
// two VM classes for the per-pool override.
func supervisorNamespaces(tkcNS, capiNS string) string {
	return fmt.Sprintf(`apiVersion: kubevisor.io/v1alpha1
kind: StoragePolicy
metadata: {name: local}
spec: {provider: local-directory}
---
apiVersion: kubevisor.io/v1alpha1
kind: SupervisorNamespace
metadata: {name: %s}
spec:
  vmClasses: [best-effort-small]
  storageClasses: [{name: local}]
  contentLibraries: [kubevisor-default]
  limits: {cpu: "8", memory: 32Gi}
---
apiVersion: kubevisor.io/v1alpha1
kind: SupervisorNamespace
metadata: {name: %s}
spec:
  vmClasses: [best-effort-small, best-effort-xsmall]
  storageClasses: [{name: local}]
  contentLibraries: [kubevisor-default]
`, tkcNS, capiNS)
}

// tkcManifest is a TKC v1alpha3 as users write it for vSphere 8.
func tkcManifest(ns, name, tkr, class, storage string, workers int) string {
	return fmt.Sprintf(`apiVersion: run.tanzu.vmware.com/v1alpha3
kind: TanzuKubernetesCluster
metadata: {name: %[2]s, namespace: %[1]s}
spec:
  topology:
    controlPlane:
      replicas: 1
      vmClass: %[4]s
      storageClass: %[5]s
      tkr: {reference: {name: %[3]s}}
    nodePools:
    - name: workers
      replicas: %[6]d
      vmClass: %[4]s
      storageClass: %[5]s
      tkr: {reference: {name: %[3]s}}
  settings:
    network:
      cni: {name: antrea}
      pods: {cidrBlocks: [192.168.0.0/16]}
      services: {cidrBlocks: [10.96.0.0/12]}
      serviceDomain: cluster.local
`, ns, name, tkr, class, storage, workers)
}

// clusterManifest is a vSphere 8 Cluster v1beta1 on the builtin class,
// with a per-pool override of the workers' VM class.
func clusterManifest(ns, name, version, class string) string {
	return fmt.Sprintf(`apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata: {name: %[2]s, namespace: %[1]s}
spec:
  clusterNetwork:
    services: {cidrBlocks: [10.96.0.0/12]}
    pods: {cidrBlocks: [192.168.0.0/16]}
    serviceDomain: cluster.local
  topology:
    class: tanzukubernetescluster
    version: %[3]s
    controlPlane:
      replicas: 1
    workers:
      machineDeployments:
      - class: node-pool
        name: np-1
        replicas: 1
        variables:
          overrides:
          - name: vmClass
            value: best-effort-xsmall
    variables:
    - name: vmClass
      value: %[4]s
    - name: storageClass
      value: local
`, ns, name, version, class)
}

// pollUntil polls check until it returns nil, timeout passes or ctx ends.
func pollUntil(ctx context.Context, timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Second)
	}
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}
