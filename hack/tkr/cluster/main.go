package main

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"text/template"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"

	"github.com/kubevisor/kubevisor/config/addons"
	"github.com/kubevisor/kubevisor/internal/apply"
	"github.com/kubevisor/kubevisor/internal/certs"
	"github.com/kubevisor/kubevisor/internal/netns"
	"github.com/kubevisor/kubevisor/internal/provider"
	"github.com/kubevisor/kubevisor/internal/provider/local"
	"github.com/kubevisor/kubevisor/internal/tkr"
)

// Cluster networks, kubevisor's defaults for guest clusters.
const (
	podSubnet     = "100.96.0.0/11"
	serviceSubnet = "100.64.0.0/13"
)

type options struct {
	release, repo, work     string
	bridge, network, cgroup string
	workers                 int
	keep, deleteOnly        bool
	timeout                 time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.release, "release", filepath.Join("build", "tkr", "v1.36.3"), "the release's build directory (hack/tkr/build.sh)")
	flag.StringVar(&o.repo, "repo", ".", "kubevisor's source tree (to build the guest agent)")
	flag.StringVar(&o.work, "work", "/var/tmp/kvtkr-cluster", "working directory: the provider's state (extracted images are kept), PKI, kubeconfig")
	flag.StringVar(&o.bridge, "bridge", "kvtkr0", "host bridge of the VMs")
	flag.StringVar(&o.network, "network", "198.18.248.0/24", "VM network")
	flag.StringVar(&o.cgroup, "cgroup-parent", "kvtkr-cluster", "cgroup the VMs' cgroups go under")
	flag.IntVar(&o.workers, "workers", 1, "worker nodes")
	flag.BoolVar(&o.keep, "keep", false, "leave the cluster running (a later run removes it first; -delete only removes it)")
	flag.BoolVar(&o.deleteOnly, "delete", false, "only delete what earlier runs left, the working directory included")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up after this long")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		logf("FAIL: %v", err)
		os.Exit(1)
	}
}

var started = time.Now()

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%6.1fs cluster: %s\n", time.Since(started).Seconds(), fmt.Sprintf(format, args...))
}

// vmInfo is one node VM.
type vmInfo struct {
	vm     provider.VM
	status provider.Status
}

func run(ctx context.Context, o options) error {
	if os.Geteuid() != 0 {
		return errors.New("run me as root: the local provider makes namespaces, cgroups and mounts")
	}
	if o.deleteOnly {
		agent := filepath.Join(o.work, "kubevisor-guest")
		if _, err := os.Stat(agent); errors.Is(err, os.ErrNotExist) {
			logf("nothing to delete: %s has no guest agent, so no run made VMs there", o.work)
			return nil
		}
		p, err := local.New(local.Config{StateDir: filepath.Join(o.work, "state"), GuestAgentPath: agent,
			Bridge: o.bridge, Network: o.network, CgroupParent: o.cgroup})
		if err != nil {
			return err
		}
		if err := cleanup(p, o); err != nil {
			return err
		}
		return os.RemoveAll(o.work) // and the extracted images kept between runs
	}
	rootfs := filepath.Join(o.release, "rootfs.tar.gz")
	rel, err := readRelease(rootfs)
	if err != nil {
		return err
	}
	logf("release %s (Kubernetes %s, images under %s)", rel.Name(), rel.Kubernetes, rel.ImageRepository)
	if err := os.MkdirAll(o.work, 0o700); err != nil {
		return err
	}
	agent := filepath.Join(o.work, "kubevisor-guest")
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-o", agent, "./cmd/kubevisor-guest")
	build.Dir, build.Env = o.repo, append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building the guest agent: %w: %s", err, out)
	}
	p, err := local.New(local.Config{
		StateDir: filepath.Join(o.work, "state"), GuestAgentPath: agent,
		Bridge: o.bridge, Network: o.network, CgroupParent: o.cgroup, StopTimeout: 10 * time.Second,
	})
	if err != nil {
		return err
	}
	// What an earlier run left.
	if err := deleteAll(p); err != nil {
		return err
	}
	if !o.keep {
		defer func() {
			if err := cleanup(p, o); err != nil {
				logf("cleanup: %v", err)
			}
		}()
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	pki := filepath.Join(o.work, "pki")
	if err := os.RemoveAll(pki); err != nil {
		return err
	}
	ca, err := certs.LoadOrCreateAuthority(pki, "ca", "kubernetes")
	if err != nil {
		return err
	}
	caKey, err := os.ReadFile(filepath.Join(pki, "ca.key"))
	if err != nil {
		return err
	}
	token := randomToken()
	image := provider.Image{Name: rel.Name(), DiskPath: rootfs}

	// The control plane: kubeadm init.
	cpData, err := render(initTemplate, map[string]any{
		"CACert": string(ca.CertPEM), "CAKey": string(caKey), "Token": token,
		"Kubernetes": rel.Kubernetes, "Repository": rel.ImageRepository,
		"PodSubnet": podSubnet, "ServiceSubnet": serviceSubnet,
	})
	if err != nil {
		return err
	}
	cp := newVM("kvtkr-cp-0", image, cpData, 3<<30)
	start := time.Now()
	if cp.status, err = p.Reconcile(ctx, cp.vm); err != nil {
		return fmt.Errorf("creating VM %s: %w", cp.vm.Name, err)
	}
	logf("VM %s booted at %s in %s (image extracted once, then shared)", cp.vm.Name, cp.status.PrimaryIP4, since(start))
	if cp.status, err = waitBootstrap(ctx, p, cp); err != nil {
		return err
	}
	logf("kubeadm init done %s after the VM booted", since(start))
	endpoint := cp.status.PrimaryIP4 + ":6443"

	cfg, err := adminConfig(ca, endpoint, filepath.Join(o.work, "admin.conf"))
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}

	// The pod network, as a ClusterResourceSet would apply it.
	applyStart := time.Now()
	if err := applyManifest(ctx, cfg, addons.KubevisorCNI()); err != nil {
		return fmt.Errorf("applying the kubevisor-cni add-on: %w", err)
	}
	logf("applied the kubevisor-cni add-on (%s) in %s", addons.KubevisorCNIManifest, since(applyStart))

	// The workers: kubeadm join with a JoinConfiguration file.
	vms := []*vmInfo{cp}
	joinData, err := render(joinTemplate, map[string]any{"Endpoint": endpoint, "Token": token, "CAHash": caHash(ca)})
	if err != nil {
		return err
	}
	for i := 0; i < o.workers; i++ {
		w := newVM(fmt.Sprintf("kvtkr-md-%d", i), image, joinData, 2<<30)
		wStart := time.Now()
		if w.status, err = p.Reconcile(ctx, w.vm); err != nil {
			return fmt.Errorf("creating VM %s: %w", w.vm.Name, err)
		}
		if w.status, err = waitBootstrap(ctx, p, w); err != nil {
			return err
		}
		logf("VM %s (%s) joined %s after it was created", w.vm.Name, w.status.PrimaryIP4, since(wStart))
		vms = append(vms, w)
	}

	if err := checkNodes(ctx, client, vms); err != nil {
		return err
	}
	logf("all %d nodes Ready %s after the control plane's VM was created", len(vms), since(start))
	if err := waitSystemPods(ctx, client, len(vms)); err != nil {
		return err
	}
	logf("all kube-system pods ready %s after the control plane's VM was created", since(start))
	if err := checkWorkload(ctx, client, vms); err != nil {
		return err
	}
	logf("OK: %d-node cluster with kubevisor-cni: Service by name from every node, every pod from every node, %s in all", len(vms), since(start))
	if o.keep {
		logf("KEEP: kubectl --kubeconfig %s get nodes; a later run (without -keep) deletes the cluster", filepath.Join(o.work, "admin.conf"))
	}
	return nil
}

func since(t time.Time) string { return time.Since(t).Round(100 * time.Millisecond).String() }

// readRelease reads /etc/kubevisor/release.json from the root file system.
func readRelease(rootfs string) (tkr.Release, error) {
	var rel tkr.Release
	f, err := os.Open(rootfs)
	if err != nil {
		return rel, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		return rel, err
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			return rel, fmt.Errorf("%s has no etc/kubevisor/release.json: %w", rootfs, err)
		}
		if strings.TrimPrefix(h.Name, "./") == "etc/kubevisor/release.json" {
			if err := json.NewDecoder(tr).Decode(&rel); err != nil {
				return rel, err
			}
			return rel, rel.Validate()
		}
	}
}

func newVM(name string, image provider.Image, userData string, memory int64) *vmInfo {
	id := randomUUID()
	return &vmInfo{vm: provider.VM{
		ID: id, Namespace: "kvtkr", Name: name, Hostname: name,
		Class:      provider.Class{Name: "best-effort-medium", CPUs: 2, MemoryBytes: memory},
		Image:      image,
		PowerState: provider.PoweredOn,
		CloudInit:  &provider.CloudInit{InstanceID: "iid-" + id, UserData: []byte(userData)},
	}}
}

func waitBootstrap(ctx context.Context, p *local.Provider, v *vmInfo) (provider.Status, error) {
	for {
		st, err := p.Status(ctx, v.vm.ID)
		if err != nil {
			return st, err
		}
		if st.BootstrapError != "" {
			return st, fmt.Errorf("VM %s: bootstrap failed: %s (see its /var/log/cloud-init-output.log)", v.vm.Name, st.BootstrapError)
		}
		if st.BootstrapDone {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("VM %s: bootstrap not done: %w", v.vm.Name, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// cleanup deletes the VMs (processes, network namespaces, cgroups, disks),
// the bridge and the cgroup parent.
func cleanup(p *local.Provider, o options) error {
	if err := deleteAll(p); err != nil {
		return err
	}
	if err := netns.DeleteLink(context.Background(), o.bridge); err != nil {
		return err
	}
	for _, h := range []string{"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd"} {
		_ = os.Remove(filepath.Join("/sys/fs/cgroup", h, o.cgroup))
	}
	logf("deleted the VMs (processes, network namespaces, cgroups, disks) and bridge %s", o.bridge)
	return nil
}

func deleteAll(p *local.Provider) error {
	ids, err := p.List(context.Background())
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		errs = append(errs, p.Delete(context.Background(), id))
	}
	return errors.Join(errs...)
}

// The user data, as Cluster API's kubeadm bootstrap provider writes it:
// a jinja cloud-config whose write_files carry the cluster CA and the
// kubeadm configuration, and whose runcmd runs kubeadm.
var initTemplate = `## template: jinja
#cloud-config
write_files:
- path: /etc/kubernetes/pki/ca.crt
  permissions: '0640'
  content: |
{{ indent 4 .CACert }}
- path: /etc/kubernetes/pki/ca.key
  permissions: '0600'
  content: |
{{ indent 4 .CAKey }}
- path: /run/kubeadm/kubeadm.yaml
  permissions: '0640'
  content: |
    apiVersion: kubeadm.k8s.io/v1beta4
    kind: InitConfiguration
    bootstrapTokens:
    - token: {{ .Token }}
      ttl: 1h0m0s
    localAPIEndpoint:
      advertiseAddress: '{{"{{"}} ds.meta_data.kubevisor.address {{"}}"}}'
    nodeRegistration:
      name: '{{"{{"}} local_hostname {{"}}"}}'
      imagePullPolicy: Never
      ignorePreflightErrors: [SystemVerification]
    ---
    apiVersion: kubeadm.k8s.io/v1beta4
    kind: ClusterConfiguration
    kubernetesVersion: {{ .Kubernetes }}
    imageRepository: {{ .Repository }}
    controlPlaneEndpoint: '{{"{{"}} ds.meta_data.kubevisor.address {{"}}"}}:6443'
    networking:
      podSubnet: {{ .PodSubnet }}
      serviceSubnet: {{ .ServiceSubnet }}
    ---
    apiVersion: kubelet.config.k8s.io/v1beta1
    kind: KubeletConfiguration
    cgroupDriver: cgroupfs
    failCgroupV1: false
    ---
    apiVersion: kubeproxy.config.k8s.io/v1alpha1
    kind: KubeProxyConfiguration
    conntrack:
      maxPerCore: 0
runcmd:
- kubeadm init --config /run/kubeadm/kubeadm.yaml
- mkdir -p /run/cluster-api && echo success > /run/cluster-api/bootstrap-success.complete
`

var joinTemplate = `## template: jinja
#cloud-config
write_files:
- path: /run/kubeadm/kubeadm-join-config.yaml
  permissions: '0640'
  content: |
    apiVersion: kubeadm.k8s.io/v1beta4
    kind: JoinConfiguration
    discovery:
      bootstrapToken:
        apiServerEndpoint: {{ .Endpoint }}
        token: {{ .Token }}
        caCertHashes: [{{ .CAHash }}]
    nodeRegistration:
      name: '{{"{{"}} local_hostname {{"}}"}}'
      imagePullPolicy: Never
      ignorePreflightErrors: [SystemVerification]
runcmd:
- kubeadm join --config /run/kubeadm/kubeadm-join-config.yaml
- mkdir -p /run/cluster-api && echo success > /run/cluster-api/bootstrap-success.complete
`

func render(tpl string, data map[string]any) (string, error) {
	t, err := template.New("user-data").Option("missingkey=error").Funcs(template.FuncMap{
		"indent": func(n int, s string) string {
			pad := strings.Repeat(" ", n)
			return pad + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pad)
		},
	}).Parse(tpl)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", err
	}
	return b.String(), nil
}

// randomToken is a kubeadm bootstrap token, [a-z0-9]{6}.[a-z0-9]{16}.
func randomToken() string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 22)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = chars[int(b[i])%len(chars)]
	}
	return string(b[:6]) + "." + string(b[6:])
}

func randomUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// caHash is kubeadm's discovery hash of the cluster CA.
func caHash(ca *certs.Authority) string {
	sum := sha256.Sum256(ca.Cert.RawSubjectPublicKeyInfo)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// adminConfig is a client of the cluster as a member of system:masters,
// with a certificate of the cluster's CA (as Cluster API's kubeconfig
// Secret has it); it is also written to path for people.
func adminConfig(ca *certs.Authority, endpoint, path string) (*rest.Config, error) {
	kp, err := ca.Issue(certs.LeafSpec{CommonName: "kubevisor-tkr-cluster", Organizations: []string{"system:masters"}})
	if err != nil {
		return nil, err
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["kvtkr"] = &clientcmdapi.Cluster{Server: "https://" + endpoint, CertificateAuthorityData: ca.CertPEM}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: kp.CertPEM, ClientKeyData: kp.KeyPEM}
	kc.Contexts["kvtkr"] = &clientcmdapi.Context{Cluster: "kvtkr", AuthInfo: "admin"}
	kc.CurrentContext = "kvtkr"
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return nil, err
	}
	cfg, err := clientcmd.NewDefaultClientConfig(*kc, nil).ClientConfig()
	if err != nil {
		return nil, err
	}
	cfg.Timeout = 30 * time.Second
	return cfg, nil
}

// applyManifest applies a manifest's objects with server-side apply.
func applyManifest(ctx context.Context, cfg *rest.Config, manifest []byte) error {
	objs, err := addons.Objects(manifest)
	if err != nil {
		return err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(client.Discovery()))
	return apply.Objects(ctx, dyn, mapper, objs)
}

// poll calls f every 500 ms until it returns true or an error, or ctx
// ends; what describes the wait in errors, and last is f's last reason.
func poll(ctx context.Context, what string, f func() (bool, string, error)) error {
	var last string
	for {
		ok, reason, err := f()
		if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if ok {
			return nil
		}
		last = reason
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: %w (last: %s)", what, ctx.Err(), last)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// checkNodes waits for every VM's Node to be Ready and checks its
// providerID, InternalIP and pod CIDR.
func checkNodes(ctx context.Context, client kubernetes.Interface, vms []*vmInfo) error {
	var nodes *corev1.NodeList
	err := poll(ctx, "waiting for Ready nodes", func() (bool, string, error) {
		var err error
		nodes, err = client.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		ready := 0
		for _, n := range nodes.Items {
			for _, c := range n.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					ready++
				}
			}
		}
		return ready == len(vms) && len(nodes.Items) == len(vms), fmt.Sprintf("%d of %d nodes Ready", ready, len(vms)), nil
	})
	if err != nil {
		return err
	}
	byName := map[string]corev1.Node{}
	for _, n := range nodes.Items {
		byName[n.Name] = n
	}
	for _, v := range vms {
		n, ok := byName[v.vm.Hostname]
		if !ok {
			return fmt.Errorf("no Node %s", v.vm.Hostname)
		}
		internal := ""
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP {
				internal = a.Address
			}
		}
		want := "vsphere://" + v.status.BIOSUUID
		logf("node %-11s providerID %s  InternalIP %s  podCIDR %s  kubelet %s", n.Name, n.Spec.ProviderID, internal, n.Spec.PodCIDR, n.Status.NodeInfo.KubeletVersion)
		switch {
		case n.Spec.ProviderID != want:
			return fmt.Errorf("node %s: providerID %q, want %q (the VM's BIOS UUID)", n.Name, n.Spec.ProviderID, want)
		case internal != v.status.PrimaryIP4:
			return fmt.Errorf("node %s: InternalIP %q, want the VM's address %s", n.Name, internal, v.status.PrimaryIP4)
		case n.Spec.PodCIDR == "":
			return fmt.Errorf("node %s has no pod CIDR", n.Name)
		}
	}
	return nil
}

// waitSystemPods waits until every kube-system pod is running and ready,
// with CoreDNS and one kube-proxy and kubevisor-cni pod per node.
func waitSystemPods(ctx context.Context, client kubernetes.Interface, nodes int) error {
	var pods *corev1.PodList
	err := poll(ctx, "waiting for kube-system pods", func() (bool, string, error) {
		var err error
		pods, err = client.CoreV1().Pods("kube-system").List(ctx, metav1.ListOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		count := map[string]int{}
		var notReady []string
		for _, p := range pods.Items {
			if !podReady(&p) {
				notReady = append(notReady, p.Name+" ("+string(p.Status.Phase)+")")
				continue
			}
			for _, prefix := range []string{"coredns-", "kube-proxy-", "kubevisor-cni-"} {
				if strings.HasPrefix(p.Name, prefix) {
					count[prefix]++
				}
			}
		}
		ok := len(notReady) == 0 && count["coredns-"] >= 1 && count["kube-proxy-"] == nodes && count["kubevisor-cni-"] == nodes
		return ok, fmt.Sprintf("ready: %v; not ready: %v", count, notReady), nil
	})
	if err != nil {
		return err
	}
	var lines []string
	for _, p := range pods.Items {
		lines = append(lines, fmt.Sprintf("  %-45s %-12s %s", p.Name, p.Spec.NodeName, p.Status.PodIP))
	}
	sort.Strings(lines)
	fmt.Fprintln(os.Stderr, strings.Join(lines, "\n"))
	return nil
}

func podReady(p *corev1.Pod) bool {
	if p.Status.Phase != corev1.PodRunning {
		return false
	}
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// checkWorkload runs httpecho behind a ClusterIP Service, one pod per
// node, and from a client pod on every node asks the Service by its short
// and full names and every pod by its address.
func checkWorkload(ctx context.Context, client kubernetes.Interface, vms []*vmInfo) error {
	const ns, name = "default", "httpecho"
	labels := map[string]string{"app": name}
	replicas := int32(len(vms))
	if replicas > 2 {
		replicas = 2
	}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					// One pod per node, control plane included.
					Affinity: &corev1.Affinity{PodAntiAffinity: &corev1.PodAntiAffinity{
						RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{
							LabelSelector: &metav1.LabelSelector{MatchLabels: labels}, TopologyKey: corev1.LabelHostname,
						}},
					}},
					Tolerations: []corev1.Toleration{{Key: "node-role.kubernetes.io/control-plane", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
					Containers: []corev1.Container{{
						Name: name, Image: tkr.HTTPEchoImage, ImagePullPolicy: corev1.PullNever,
						Env:            []corev1.EnvVar{{Name: "POD_NAME", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.name"}}}},
						Ports:          []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
						ReadinessProbe: &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromString("http")}}, PeriodSeconds: 1},
					}},
				},
			},
		},
	}
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: labels,
			Ports:    []corev1.ServicePort{{Name: "http", Port: 80, TargetPort: intstr.FromString("http")}},
		},
	}
	start := time.Now()
	if _, err := client.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	svc, err := client.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	var backends []corev1.Pod
	err = poll(ctx, "waiting for the httpecho pods", func() (bool, string, error) {
		pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=" + name})
		if err != nil {
			return false, err.Error(), nil
		}
		backends = backends[:0]
		var states []string
		for _, p := range pods.Items {
			states = append(states, p.Name+"@"+p.Spec.NodeName+":"+string(p.Status.Phase))
			if podReady(&p) {
				backends = append(backends, p)
			}
		}
		return len(backends) == int(replicas), strings.Join(states, ", "), nil
	})
	if err != nil {
		return err
	}
	logf("Deployment %s: %d pods ready in %s, Service %s at %s", name, len(backends), since(start), name, svc.Spec.ClusterIP)
	urls := []string{"http://" + name + "/", "http://" + name + "." + ns + ".svc.cluster.local/"}
	want := map[string]string{} // pod URL -> pod name
	for _, b := range backends {
		logf("  backend %s on %s at %s", b.Name, b.Spec.NodeName, b.Status.PodIP)
		u := "http://" + b.Status.PodIP + ":8080/"
		urls = append(urls, u)
		want[u] = b.Name
	}
	for _, v := range vms {
		node := v.vm.Hostname
		results, err := runClient(ctx, client, ns, node, urls)
		if err != nil {
			return err
		}
		for _, r := range results {
			if len(r.Errors) > 0 {
				return fmt.Errorf("from node %s, %s: %v", node, r.URL, r.Errors)
			}
			if podName, ok := want[r.URL]; ok {
				if len(r.Answers) != 1 || r.Answers[podName] == 0 {
					return fmt.Errorf("from node %s, pod %s at %s answered %v", node, podName, r.URL, r.Answers)
				}
				continue
			}
			if len(r.Addresses) != 1 || r.Addresses[0] != svc.Spec.ClusterIP {
				return fmt.Errorf("from node %s, %s resolved to %v, want the Service's %s", node, r.URL, r.Addresses, svc.Spec.ClusterIP)
			}
			for _, b := range backends {
				if r.Answers[b.Name] == 0 {
					return fmt.Errorf("from node %s, %s: answers %v, none from %s (on %s)", node, r.URL, r.Answers, b.Name, b.Spec.NodeName)
				}
			}
		}
		summary, _ := json.Marshal(results[:2])
		logf("from node %s: %s", node, summary)
	}
	return nil
}

// clientResult is one line of httpecho get's output.
type clientResult struct {
	URL       string         `json:"url"`
	Addresses []string       `json:"addresses"`
	Answers   map[string]int `json:"answers"`
	Errors    []string       `json:"errors"`
}

// runClient runs httpecho get on node and returns what it printed.
func runClient(ctx context.Context, client kubernetes.Interface, ns, node string, urls []string) ([]clientResult, error) {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "httpecho-client-" + node, Namespace: ns},
		Spec: corev1.PodSpec{
			NodeName:      node,
			RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{
				Name: "get", Image: tkr.HTTPEchoImage, ImagePullPolicy: corev1.PullNever,
				Args: append([]string{"get", "-n", "30"}, urls...),
			}},
		},
	}
	if _, err := client.CoreV1().Pods(ns).Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		return nil, err
	}
	err := poll(ctx, "waiting for the client pod on "+node, func() (bool, string, error) {
		p, err := client.CoreV1().Pods(ns).Get(ctx, pod.Name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error(), nil
		}
		return p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed, string(p.Status.Phase), nil
	})
	if err != nil {
		return nil, err
	}
	logs, err := client.CoreV1().Pods(ns).GetLogs(pod.Name, &corev1.PodLogOptions{}).Stream(ctx)
	if err != nil {
		return nil, fmt.Errorf("logs of %s: %w", pod.Name, err)
	}
	defer logs.Close()
	out, err := io.ReadAll(logs)
	if err != nil {
		return nil, err
	}
	var results []clientResult
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var r clientResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			return nil, fmt.Errorf("client on %s printed %q", node, out)
		}
		results = append(results, r)
	}
	if len(results) != len(urls) {
		return nil, fmt.Errorf("client on %s printed %q", node, out)
	}
	return results, nil
}
