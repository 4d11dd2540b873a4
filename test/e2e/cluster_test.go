package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kubevisor/kubevisor/test/framework"
)

// TestWorkloadCluster is issue 5's story: the Cluster API manifest set of
// examples/cluster-api (one KubeadmControlPlane replica, a one-replica
// MachineDeployment) becomes a real Kubernetes cluster on local VMs; its
// pods run and answer through a Service found by CoreDNS; the
// MachineDeployment scales up and down; clusterctl describes it; nothing
// changes once it is Available; and deleting it leaves nothing behind.
func TestWorkloadCluster(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("workload clusters run on the local provider, which needs root; CI runs this as root")
	}
	s := shared
	ns := fmt.Sprintf("wc-%d", time.Now().UnixNano()%1_000_000)
	ctx := ctxFor(t, 25*time.Minute)
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
	example := func(file string) string {
		data, err := os.ReadFile(filepath.Join("..", "..", "examples", "cluster-api", file))
		if err != nil {
			t.Fatal(err)
		}
		return strings.ReplaceAll(string(data), "demo", ns)
	}

	eventually(t, 2*time.Minute, "namespace "+ns+" accepted", func() error {
		_, err := s.Kubectl(ctx, []byte(example("namespace.yaml")), "apply", "-f", "-")
		return err
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		_, _ = s.Kubectl(ctx, nil, "delete", "clusters", "--all", "-n", ns, "--wait=true")
		_, _ = s.Kubectl(ctx, nil, "delete", "supervisornamespace", ns, "--wait=true")
	})
	eventually(t, 3*time.Minute, "the TKR image in "+ns, func() error {
		out, err := s.Kubectl(ctx, nil, "get", "vmi", "-n", ns, "-o", "jsonpath={.items[*].status.name}")
		if err != nil || !strings.Contains(out, "v1.36.3---vmware.1-kubevisor.1") {
			return fmt.Errorf("images %q %v (is the TKR built? make tkr)", out, err)
		}
		return nil
	})

	start := time.Now()
	kubectl(example("cluster.yaml"), "apply", "-f", "-")
	eventually(t, 10*time.Minute, "Cluster Available", func() error {
		out, err := s.Kubectl(ctx, nil, "get", "cluster", ns, "-n", ns, "-o", `jsonpath={.status.conditions[?(@.type=="Available")].status}`)
		if err != nil || out != "True" {
			return fmt.Errorf("Available=%q %v", out, err)
		}
		return nil
	})
	t.Logf("Cluster Available %s after apply", time.Since(start).Round(time.Second))
	out := kubectl("", "get", "kcp", "-n", ns, "-o", `jsonpath={.items[0].status.conditions[?(@.type=="Available")].status}`)
	if out != "True" {
		t.Errorf("KubeadmControlPlane Available = %q", out)
	}

	guest := filepath.Join(t.TempDir(), "guest.kubeconfig")
	kc := kubectl("", "get", "secret", ns+"-kubeconfig", "-n", ns, "-o", "jsonpath={.data.value}")
	writeBase64(t, guest, kc)
	gk := func(stdin string, args ...string) (string, error) {
		var in []byte
		if stdin != "" {
			in = []byte(stdin)
		}
		return framework.Kubectl(ctx, guest, in, args...)
	}

	t.Run("NodesReadyWithProviderIDs", func(t *testing.T) { checkGuestNodes(t, s, ns, gk, 2) })

	t.Run("DeploymentAndServiceDNS", func(t *testing.T) {
		if _, err := gk(httpEchoWorkload, "apply", "-f", "-"); err != nil {
			t.Fatal(err)
		}
		eventually(t, 3*time.Minute, "the Deployment's replicas", func() error {
			out, err := gk("", "get", "deployment", "web", "-o", "jsonpath={.status.availableReplicas}")
			if err != nil || out != "2" {
				return fmt.Errorf("available %q %v", out, err)
			}
			return nil
		})
		// A client pod asks the Service by name: CoreDNS resolves it and
		// kube-proxy spreads the requests over both pods.
		var answers map[string]int
		eventually(t, 2*time.Minute, "answers through the Service", func() error {
			_, _ = gk("", "delete", "pod", "client", "--ignore-not-found", "--wait=true")
			if _, err := gk("", "run", "client", "--image=kubevisor.local/tools/httpecho:1", "--image-pull-policy=Never", "--restart=Never",
				"--command", "--", "httpecho", "get", "-n", "20", "http://web.default.svc.cluster.local/"); err != nil {
				return err
			}
			if err := waitPodDone(ctx, gk, "client"); err != nil {
				return err
			}
			logs, err := gk("", "logs", "client")
			if err != nil {
				return err
			}
			answers, err = countAnswers(logs)
			if err != nil {
				return fmt.Errorf("%v: %s", err, logs)
			}
			if len(answers) < 2 {
				return fmt.Errorf("answers from %v, want both pods", answers)
			}
			return nil
		})
		t.Logf("20 requests to web.default.svc.cluster.local were answered by %v", answers)
	})

	t.Run("ScaleMachineDeployment", func(t *testing.T) {
		md := ns + "-workers"
		kubectl("", "scale", "machinedeployment", md, "-n", ns, "--replicas=2")
		checkGuestNodes(t, s, ns, gk, 3)
		before := vmUIDs(t, s, ns)
		kubectl("", "scale", "machinedeployment", md, "-n", ns, "--replicas=1")
		eventually(t, 5*time.Minute, "one worker node gone", func() error {
			out, err := gk("", "get", "nodes", "-o", "name")
			if err != nil {
				return err
			}
			if n := len(strings.Fields(out)); n != 2 {
				return fmt.Errorf("%d nodes", n)
			}
			if n := len(vmUIDs(t, s, ns)); n != 2 {
				return fmt.Errorf("%d VMs", n)
			}
			return nil
		})
		after := vmUIDs(t, s, ns)
		for uid := range before {
			if !after[uid] {
				checkVMGone(t, s, uid)
			}
		}
	})

	t.Run("ClusterctlDescribe", func(t *testing.T) {
		bin, err := framework.Bin(filepath.Join("tools", "clusterctl"))
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.CommandContext(ctx, bin, "describe", "cluster", ns, "-n", ns, "--kubeconfig", s.Kubeconfig())
		outb, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("clusterctl describe: %v\n%s", err, outb)
		}
		for _, want := range []string{"Cluster " + ns + "/" + ns, "VSphereCluster " + ns + "/" + ns, "KubeadmControlPlane " + ns + "/" + ns + "-control-plane", "MachineDeployment " + ns + "/" + ns + "-workers", "Machine " + ns + "/" + ns + "-workers-"} {
			if !strings.Contains(string(outb), want) {
				t.Errorf("clusterctl describe does not show %s:\n%s", want, outb)
			}
		}
		t.Logf("clusterctl describe cluster:\n%s", outb)
	})

	t.Run("QuietOnceAvailable", func(t *testing.T) {
		// Give the scale-down a moment to settle, then watch for 60 s.
		time.Sleep(10 * time.Second)
		checkQuiet(t, s, ns, "an Available cluster")
	})

	t.Run("DeleteLeavesNothing", func(t *testing.T) {
		uids := vmUIDs(t, s, ns)
		lb := kubectl("", "get", "vmservice", "-n", ns, "-o", "jsonpath={.items[*].status.loadBalancer.ingress[*].ip}")
		pvs := kubectl("", "get", "pvc", "-n", ns, "-o", "jsonpath={.items[*].spec.volumeName}")
		kubectl("", "delete", "cluster", ns, "-n", ns, "--wait=true", "--timeout=5m")
		checkClusterGone(t, s, ns, uids, lb)
		for _, pv := range strings.Fields(pvs) {
			if _, err := os.Stat(filepath.Join(s.Opts.DataDir, "volumes", pv)); err == nil {
				t.Errorf("volume %s remains", pv)
			}
		}
	})
}

const httpEchoWorkload = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      topologySpreadConstraints:
      - {maxSkew: 1, topologyKey: kubernetes.io/hostname, whenUnsatisfiable: ScheduleAnyway, labelSelector: {matchLabels: {app: web}}}
      containers:
      - name: echo
        image: kubevisor.local/tools/httpecho:1
        imagePullPolicy: Never
        env: [{name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}]
        ports: [{containerPort: 8080}]
        readinessProbe: {httpGet: {path: /, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`

// checkGuestNodes waits for want Ready nodes whose providerIDs are those
// of the cluster's Machines.
func checkGuestNodes(t *testing.T, s *framework.Supervisor, ns string, gk func(string, ...string) (string, error), want int) {
	t.Helper()
	eventually(t, 8*time.Minute, fmt.Sprintf("%d Ready nodes with the Machines' providerIDs", want), func() error {
		out, err := gk("", "get", "nodes", "-o", `jsonpath={range .items[*]}{.metadata.name} {.spec.providerID} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}`)
		if err != nil {
			return err
		}
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if len(lines) != want {
			return fmt.Errorf("%d nodes: %q", len(lines), out)
		}
		machines, err := s.Kubectl(context.Background(), nil, "get", "machines", "-n", ns, "-o", `jsonpath={.items[*].spec.providerID}`)
		if err != nil {
			return err
		}
		for _, l := range lines {
			f := strings.Fields(l)
			if len(f) != 3 || f[2] != "True" || !strings.HasPrefix(f[1], "vsphere://") {
				return fmt.Errorf("node %q", l)
			}
			if !strings.Contains(machines, f[1]) {
				return fmt.Errorf("node %s's providerID %s matches no Machine (%s)", f[0], f[1], machines)
			}
		}
		return nil
	})
}

func waitPodDone(ctx context.Context, gk func(string, ...string) (string, error), name string) error {
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		out, err := gk("", "get", "pod", name, "-o", "jsonpath={.status.phase}")
		if err == nil && (out == "Succeeded" || out == "Failed") {
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
	return fmt.Errorf("pod %s did not finish", name)
}

// countAnswers reads httpecho get's JSON result lines (one per URL:
// {"url", "addresses", "answers": {pod: count}, "errors"}) and adds up
// which pod answered how often.
func countAnswers(logs string) (map[string]int, error) {
	counts := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		var r struct {
			Answers map[string]int `json:"answers"`
			Errors  []string       `json:"errors"`
		}
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			continue
		}
		for pod, n := range r.Answers {
			counts[pod] += n
		}
	}
	if len(counts) == 0 {
		return nil, fmt.Errorf("no answers")
	}
	return counts, nil
}

// vmUIDs returns the UIDs of the VirtualMachines in ns.
func vmUIDs(t *testing.T, s *framework.Supervisor, ns string) map[string]bool {
	t.Helper()
	out, err := s.Kubectl(context.Background(), nil, "get", "virtualmachines", "-n", ns, "-o", "jsonpath={.items[*].metadata.uid}")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for _, uid := range strings.Fields(out) {
		m[uid] = true
	}
	return m
}

// resourceVersions maps kind/name to resourceVersion for every object in
// ns, except Events and Leases, whose job is to change.
func resourceVersions(t *testing.T, s *framework.Supervisor, ns string) map[string]string {
	t.Helper()
	ctx := context.Background()
	kinds, err := s.Kubectl(ctx, nil, "api-resources", "--namespaced", "--verbs=list", "-o", "name")
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, kind := range strings.Fields(kinds) {
		switch kind {
		case "events", "events.events.k8s.io", "leases.coordination.k8s.io":
			continue
		}
		out, err := s.Kubectl(ctx, nil, "get", kind, "-n", ns, "-o", `jsonpath={range .items[*]}{.metadata.name}={.metadata.resourceVersion}{"\n"}{end}`)
		if err != nil {
			continue
		}
		for _, l := range strings.Fields(out) {
			name, rv, _ := strings.Cut(l, "=")
			m[kind+"/"+name] = rv
		}
	}
	return m
}

func writeBase64(t *testing.T, path, b64 string) {
	t.Helper()
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// checkQuiet fails the test when any object in ns changes its
// resourceVersion within 60 s: controllers of a converged cluster (what)
// must go quiet.
func checkQuiet(t *testing.T, s *framework.Supervisor, ns, what string) {
	t.Helper()
	before := resourceVersions(t, s, ns)
	time.Sleep(60 * time.Second)
	after := resourceVersions(t, s, ns)
	var changed []string
	for k, v := range after {
		if before[k] != v {
			changed = append(changed, k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			changed = append(changed, k+" (gone)")
		}
	}
	sort.Strings(changed)
	if len(changed) > 0 {
		t.Errorf("resourceVersions changed within 60 s of %s: %v", what, changed)
	}
	t.Logf("%d objects in %s kept their resourceVersion for 60 s", len(before), ns)
}

// checkClusterGone checks that a deleted cluster left nothing in ns or on
// the host: no Machines, infrastructure or bootstrap objects, VMs,
// services or claims; none of the sandboxes of the VMs uids; none of the
// load-balancer addresses lbIPs (space-separated).
func checkClusterGone(t *testing.T, s *framework.Supervisor, ns string, uids map[string]bool, lbIPs string) {
	t.Helper()
	for _, kind := range []string{"machines", "vspheremachines", "virtualmachines", "virtualmachineservices", "persistentvolumeclaims", "kubeadmconfigs"} {
		out, err := s.Kubectl(context.Background(), nil, "get", kind, "-n", ns, "-o", "name")
		if err != nil || strings.TrimSpace(out) != "" {
			t.Errorf("%s remain after the cluster is deleted: %q %v", kind, out, err)
		}
	}
	for uid := range uids {
		checkVMGone(t, s, uid)
	}
	addrs, _ := exec.Command("ip", "-o", "addr").CombinedOutput()
	for _, ip := range strings.Fields(lbIPs) {
		if strings.Contains(string(addrs), " "+ip+"/") {
			t.Errorf("load-balancer address %s is still on the host", ip)
		}
	}
}
