package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubevisor/kubevisor/test/framework"
)

// TestSupervisorSQLite runs the Supervisor acceptance checks against the
// default embedded SQLite datastore.
func TestSupervisorSQLite(t *testing.T) {
	s := shared
	t.Run("APIResources", func(t *testing.T) { checkAPIResources(t, s) })
	t.Run("OpenAPI", func(t *testing.T) { checkOpenAPI(t, s) })
	t.Run("ClusterConversion", func(t *testing.T) { checkClusterConversion(t, s) })
	t.Run("InvalidTKCs", func(t *testing.T) { checkInvalidTKCs(t, s) })
	t.Run("AuthAndEncryption", func(t *testing.T) { checkAuthAndEncryption(t, s, kineEndpoint(s)) })
	t.Run("SurvivesRestartAndSIGKILL", func(t *testing.T) { checkPersistence(t, s) })
}

// TestSupervisorEtcd runs checks 1, 4 and 5 against a real etcd.
func TestSupervisorEtcd(t *testing.T) {
	endpoint := framework.StartEtcd(t)
	s := framework.StartSupervisor(t, framework.SupervisorOptions{DatastoreEndpoint: endpoint, SmallImagesOnly: true})
	t.Run("APIResources", func(t *testing.T) { checkAPIResources(t, s) })
	t.Run("CRDsSettled", func(t *testing.T) { checkCRDsSettled(t, s) })
	t.Run("AuthAndEncryption", func(t *testing.T) { checkAuthAndEncryption(t, s, endpoint) })
	t.Run("SurvivesRestartAndSIGKILL", func(t *testing.T) { checkPersistence(t, s) })
}

// TestSupervisorPostgres runs checks 1, 4 and 5 against a real PostgreSQL.
func TestSupervisorPostgres(t *testing.T) {
	endpoint := framework.StartPostgres(t)
	s := framework.StartSupervisor(t, framework.SupervisorOptions{DatastoreEndpoint: endpoint, SmallImagesOnly: true})
	t.Run("APIResources", func(t *testing.T) { checkAPIResources(t, s) })
	t.Run("CRDsSettled", func(t *testing.T) { checkCRDsSettled(t, s) })
	t.Run("AuthAndEncryption", func(t *testing.T) { checkAuthAndEncryption(t, s, kineEndpoint(s)) })
	t.Run("SurvivesRestartAndSIGKILL", func(t *testing.T) { checkPersistence(t, s) })
}

// kineEndpoint is the etcd API that kine serves for a SQLite or PostgreSQL
// backed Supervisor.
func kineEndpoint(s *framework.Supervisor) string {
	return "unix://" + filepath.Join(s.Opts.DataDir, "kine.sock")
}

func ctxFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// newNamespace creates a namespace for one test and deletes it afterwards.
func newNamespace(t *testing.T, s *framework.Supervisor, prefix string) string {
	t.Helper()
	ctx := ctxFor(t, time.Minute)
	name := fmt.Sprintf("%s-%d", prefix, time.Now().UnixNano()%1_000_000_000)
	if _, err := s.Kubectl(ctx, nil, "create", "namespace", name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_, _ = s.Kubectl(ctx, nil, "delete", "namespace", name, "--wait=false")
	})
	return name
}

func checkAPIResources(t *testing.T, s *framework.Supervisor) {
	out, err := s.Kubectl(ctxFor(t, time.Minute), nil, "api-resources", "-o", "name")
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, line := range strings.Fields(out) {
		have[strings.SplitN(line, ".", 2)[0]] = true
	}
	for _, want := range []string{
		"tanzukubernetesclusters", "tanzukubernetesreleases", "osimages",
		"virtualmachines", "virtualmachineclasses", "virtualmachineimages", "virtualmachineservices",
		"clusters", "clusterclasses", "machinedeployments", "machinehealthchecks", "contentlibraries",
		// And the core API a Supervisor serves.
		"namespaces", "secrets", "services", "persistentvolumeclaims", "storageclasses",
		"resourcequotas", "customresourcedefinitions", "tokenreviews", "roles", "rolebindings",
	} {
		if !have[want] {
			t.Errorf("kubectl api-resources does not list %s", want)
		}
	}
	out, err = s.Kubectl(ctxFor(t, time.Minute), nil, "api-resources", "--api-group=vmoperator.vmware.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, short := range []string{"vm", "vmclass", "vmi", "cvmi", "vmservice"} {
		if !containsWord(out, short) {
			t.Errorf("short name %q is missing from vmoperator.vmware.com:\n%s", short, out)
		}
	}
	out, err = s.Kubectl(ctxFor(t, time.Minute), nil, "api-resources", "--api-group=run.tanzu.vmware.com")
	if err != nil {
		t.Fatal(err)
	}
	for _, short := range []string{"tkc", "tkr"} {
		if !containsWord(out, short) {
			t.Errorf("short name %q is missing from run.tanzu.vmware.com:\n%s", short, out)
		}
	}
}

// checkOpenAPI checks the OpenAPI documents that clients read, through
// kubectl: v3 for built-in types and CRDs (kubectl explain), and the
// aggregated v2, which the Supervisor builds only when first asked for.
// The listing's hashes must not change while nothing changes: clients
// cache documents by them.
func checkOpenAPI(t *testing.T, s *framework.Supervisor) {
	listing, err := s.Kubectl(ctxFor(t, time.Minute), nil, "get", "--raw", "/openapi/v3")
	if err != nil {
		t.Fatal(err)
	}
	for args, want := range map[string]string{
		"explain pods.spec.containers.image":                             "FIELD: image <string>",
		"explain tkc.spec.topology.controlPlane":                         "FIELD: controlPlane <Object>",
		"explain deployments.spec.replicas --output plaintext-openapiv2": "FIELD:    replicas <integer>",
		"explain clusters.spec --api-version cluster.x-k8s.io/v1beta2":   "FIELD: spec <Object>",
	} {
		out, err := s.Kubectl(ctxFor(t, time.Minute), nil, strings.Fields(args)...)
		if err != nil {
			t.Errorf("kubectl %s: %v", args, err)
			continue
		}
		if !strings.Contains(out, want) {
			t.Errorf("kubectl %s does not show %q:\n%s", args, want, out)
		}
	}
	v2, err := s.Kubectl(ctxFor(t, time.Minute), nil, "get", "--raw", "/openapi/v2")
	if err != nil {
		t.Fatal(err)
	}
	for _, def := range []string{`"io.k8s.api.core.v1.Pod"`, `"com.vmware.tanzu.run.v1alpha3.TanzuKubernetesCluster"`, `"io.k8s.kube-aggregator.pkg.apis.apiregistration.v1.APIService"`} {
		if !strings.Contains(v2, def) {
			t.Errorf("/openapi/v2 does not define %s", def)
		}
	}
	again, err := s.Kubectl(ctxFor(t, time.Minute), nil, "get", "--raw", "/openapi/v3")
	if err != nil {
		t.Fatal(err)
	}
	if again != listing {
		t.Errorf("the /openapi/v3 listing changed while no API did:\n%s\nthen\n%s", listing, again)
	}
}

// checkCRDsSettled checks a freshly started Supervisor's CRDs: each is
// established with the names it asked for (kubevisor establishes the ones
// it creates itself, see internal/crds), and none changes afterwards, so
// neither kubevisor nor the API server's CRD controllers disagree about
// them.
func checkCRDsSettled(t *testing.T, s *framework.Supervisor) {
	cfg, err := s.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	api := apiextensionsclient.NewForConfigOrDie(cfg).ApiextensionsV1().CustomResourceDefinitions()
	versions := func() map[string]string {
		list, err := api.List(ctxFor(t, time.Minute), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, crd := range list.Items {
			out[crd.Name] = crd.ResourceVersion
			established := false
			for _, c := range crd.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					established = true
				}
			}
			if !established {
				t.Errorf("CRD %s is not established: %+v", crd.Name, crd.Status.Conditions)
			}
			if !equality.Semantic.DeepEqual(crd.Spec.Names, crd.Status.AcceptedNames) {
				t.Errorf("CRD %s accepted %+v, asked for %+v", crd.Name, crd.Status.AcceptedNames, crd.Spec.Names)
			}
		}
		return out
	}
	before := versions()
	if len(before) < 40 {
		t.Fatalf("only %d CRDs", len(before))
	}
	time.Sleep(5 * time.Second)
	for name, rv := range versions() {
		if before[name] != rv {
			t.Errorf("CRD %s changed after the Supervisor was ready (resourceVersion %s -> %s)", name, before[name], rv)
		}
	}
}

func containsWord(text, word string) bool {
	for _, f := range strings.FieldsFunc(text, func(r rune) bool { return r == ' ' || r == ',' || r == '\n' }) {
		if f == word {
			return true
		}
	}
	return false
}

func checkClusterConversion(t *testing.T, s *framework.Supervisor) {
	ns := newNamespace(t, s, "conversion")
	ctx := ctxFor(t, 2*time.Minute)
	v1beta1 := fmt.Sprintf(`apiVersion: cluster.x-k8s.io/v1beta1
kind: Cluster
metadata:
  name: made-as-v1beta1
  namespace: %s
spec:
  paused: true
  clusterNetwork:
    serviceDomain: example.local
    pods:
      cidrBlocks: ["100.96.0.0/11"]
    services:
      cidrBlocks: ["100.64.0.0/13"]
  controlPlaneEndpoint:
    host: 198.19.0.10
    port: 6443
  controlPlaneRef:
    apiVersion: controlplane.cluster.x-k8s.io/v1beta1
    kind: KubeadmControlPlane
    name: made-as-v1beta1-cp
`, ns)
	if _, err := s.Kubectl(ctx, []byte(v1beta1), "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	out, err := s.Kubectl(ctx, nil, "get", "clusters.v1beta2.cluster.x-k8s.io", "made-as-v1beta1", "-n", ns,
		"-o", `jsonpath={.apiVersion} {.spec.clusterNetwork.pods.cidrBlocks[0]} {.spec.controlPlaneEndpoint.host} {.spec.controlPlaneRef.apiGroup} {.spec.controlPlaneRef.kind} {.spec.paused}`)
	if err != nil {
		t.Fatal(err)
	}
	if want := "cluster.x-k8s.io/v1beta2 100.96.0.0/11 198.19.0.10 controlplane.cluster.x-k8s.io KubeadmControlPlane true"; out != want {
		t.Errorf("v1beta1 Cluster read as v1beta2:\n got %q\nwant %q", out, want)
	}

	v1beta2 := fmt.Sprintf(`apiVersion: cluster.x-k8s.io/v1beta2
kind: Cluster
metadata:
  name: made-as-v1beta2
  namespace: %s
spec:
  paused: true
  clusterNetwork:
    pods:
      cidrBlocks: ["10.244.0.0/16"]
  controlPlaneRef:
    apiGroup: controlplane.cluster.x-k8s.io
    kind: KubeadmControlPlane
    name: made-as-v1beta2-cp
`, ns)
	if _, err := s.Kubectl(ctx, []byte(v1beta2), "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	out, err = s.Kubectl(ctx, nil, "get", "clusters.v1beta1.cluster.x-k8s.io", "made-as-v1beta2", "-n", ns,
		"-o", `jsonpath={.apiVersion} {.spec.clusterNetwork.pods.cidrBlocks[0]} {.spec.controlPlaneRef.apiVersion} {.spec.controlPlaneRef.namespace}`)
	if err != nil {
		t.Fatal(err)
	}
	if want := "cluster.x-k8s.io/v1beta1 10.244.0.0/16 controlplane.cluster.x-k8s.io/v1beta2 " + ns; out != want {
		t.Errorf("v1beta2 Cluster read as v1beta1:\n got %q\nwant %q", out, want)
	}
}

const validTKC = `apiVersion: run.tanzu.vmware.com/v1alpha3
kind: TanzuKubernetesCluster
metadata:
  name: %s
  namespace: %s
spec:
  topology:
    controlPlane:
      replicas: 1
      vmClass: best-effort-small
      storageClass: local
      tkr:
        reference:
          name: v1.36.3---vmware.1-kubevisor.1
    nodePools:
    - name: workers
      replicas: 1
      vmClass: best-effort-small
      storageClass: local
  settings:
    network:
      cni:
        name: antrea
      pods:
        cidrBlocks: ["100.96.0.0/11"]
      services:
        cidrBlocks: ["100.64.0.0/13"]
`

func checkInvalidTKCs(t *testing.T, s *framework.Supervisor) {
	ns := newNamespace(t, s, "tkc-validation")
	ctx := ctxFor(t, 2*time.Minute)
	valid := fmt.Sprintf(validTKC, "valid", ns)
	// The schema accepts it; the TKG admission webhook, which runs after
	// the schema, may still refuse it here (no release, no VM class bound
	// to this plain namespace), and must say so.
	if _, err := s.Kubectl(ctx, []byte(valid), "apply", "--dry-run=server", "-f", "-"); err != nil &&
		!strings.Contains(err.Error(), `admission webhook "tanzukubernetesclusters.run.tanzu.vmware.com" denied the request`) {
		t.Fatalf("the valid TKC is refused by its schema: %v", err)
	}
	tests := []struct {
		name      string
		old, new  string
		wantField string
	}{
		{"negative replicas", "  nodePools:\n    - name: workers\n      replicas: 1", "  nodePools:\n    - name: workers\n      replicas: -1", "spec.topology.nodePools[0].replicas"},
		{"no vmClass", "      replicas: 1\n      vmClass: best-effort-small\n      storageClass: local\n      tkr:", "      replicas: 1\n      storageClass: local\n      tkr:", "spec.topology.controlPlane.vmClass"},
		{"unknown CNI", "name: antrea", "name: flannel", "spec.settings.network.cni.name"},
		{"pods CIDR not a CIDR", `cidrBlocks: ["100.96.0.0/11"]`, `cidrBlocks: ["100.96.0.0"]`, "spec.settings.network.pods.cidrBlocks[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			manifest := strings.Replace(fmt.Sprintf(validTKC, "invalid", ns), tt.old, tt.new, 1)
			if manifest == fmt.Sprintf(validTKC, "invalid", ns) {
				t.Fatalf("test bug: %q not found in the manifest", tt.old)
			}
			out, err := s.Kubectl(ctx, []byte(manifest), "apply", "-f", "-")
			if err == nil {
				t.Fatalf("the API server accepted a TKC with %s:\n%s", tt.name, out)
			}
			if !strings.Contains(err.Error(), tt.wantField) {
				t.Errorf("the refusal does not name %s:\n%v", tt.wantField, err)
			}
			t.Logf("refused: %v", err)
		})
	}
	if out, err := s.Kubectl(ctx, nil, "get", "tkc", "-n", ns, "-o", "name"); err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("refused TKCs exist after all: %q %v", out, err)
	}
}

// checkAuthAndEncryption checks that an unauthenticated request gets 401
// and that a Secret's value is stored encrypted, by reading the datastore
// directly through its etcd API at endpoint.
func checkAuthAndEncryption(t *testing.T, s *framework.Supervisor, endpoint string) {
	anon, err := s.AnonymousClient()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/api/v1/namespaces", "/apis/run.tanzu.vmware.com/v1alpha3/tanzukubernetesclusters", "/version"} {
		resp, err := anon.Get(s.Server() + path)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("unauthenticated GET %s: got %s, want 401", path, resp.Status)
		}
	}

	ns := newNamespace(t, s, "encryption")
	ctx := ctxFor(t, time.Minute)
	cfg, err := s.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	plaintext := fmt.Sprintf("plain-secret-value-%d", time.Now().UnixNano())
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "s"},
		StringData: map[string]string{"password": plaintext},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	etcd, err := clientv3.New(clientv3.Config{Endpoints: []string{endpoint}, DialTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer etcd.Close()
	key := "/registry/secrets/" + ns + "/s"
	resp, err := etcd.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Kvs) != 1 {
		t.Fatalf("datastore has %d values at %s, want 1", len(resp.Kvs), key)
	}
	raw := resp.Kvs[0].Value
	if strings.Contains(string(raw), plaintext) {
		t.Fatalf("the Secret's value is stored in plaintext at %s", key)
	}
	if !strings.HasPrefix(string(raw), "k8s:enc:secretbox:v1:") {
		t.Errorf("the Secret at %s is not secretbox-encrypted: %q...", key, raw[:min(len(raw), 32)])
	}
}

// checkPersistence restarts the Supervisor cleanly and then kills it with
// SIGKILL in the middle of a burst of writes: every object and every
// acknowledged write must be there afterwards.
func checkPersistence(t *testing.T, s *framework.Supervisor) {
	ns := newNamespace(t, s, "persistence")
	ctx := ctxFor(t, 10*time.Minute)
	// A custom resource that no controller acts on, next to a core one.
	if _, err := s.Kubectl(ctx, []byte(fmt.Sprintf(`apiVersion: bootstrap.cluster.x-k8s.io/v1beta2
kind: KubeadmConfigTemplate
metadata: {name: survivor, namespace: %s}
spec: {template: {spec: {format: cloud-config}}}
`, ns)), "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Kubectl(ctx, nil, "create", "configmap", "survivor", "-n", ns, "--from-literal=k=v"); err != nil {
		t.Fatal(err)
	}

	restart := func(kill bool) {
		t.Helper()
		if kill {
			s.Kill()
		} else if err := s.Stop(60 * time.Second); err != nil {
			t.Fatal(err)
		}
		if err := s.Start(); err != nil {
			t.Fatal(err)
		}
		if err := s.WaitReady(3 * time.Minute); err != nil {
			t.Fatalf("after restart: %v\n%s", err, s.Output())
		}
	}

	restart(false)
	for _, obj := range []string{"kubeadmconfigtemplate/survivor", "configmap/survivor"} {
		if _, err := s.Kubectl(ctx, nil, "get", obj, "-n", ns); err != nil {
			t.Errorf("%s did not survive a restart: %v", obj, err)
		}
	}

	// A burst of creates from 8 writers; SIGKILL once 150 are acknowledged.
	cfg, err := s.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(cfg)
	var (
		mu    sync.Mutex
		acked []string
		count atomic.Int64
		wg    sync.WaitGroup
	)
	burstCtx, stopBurst := context.WithCancel(ctx)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; burstCtx.Err() == nil && i < 2000; i++ {
				name := fmt.Sprintf("burst-%d-%d", w, i)
				_, err := cs.CoreV1().ConfigMaps(ns).Create(burstCtx, &corev1.ConfigMap{
					ObjectMeta: metav1.ObjectMeta{Name: name},
					Data:       map[string]string{"i": fmt.Sprint(i)},
				}, metav1.CreateOptions{})
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				acked = append(acked, name)
				mu.Unlock()
				count.Add(1)
			}
		}()
	}
	deadline := time.Now().Add(2 * time.Minute)
	for count.Load() < 150 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	s.Kill()
	stopBurst()
	wg.Wait()
	if len(acked) < 150 {
		t.Fatalf("only %d writes were acknowledged before the kill", len(acked))
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if err := s.WaitReady(3 * time.Minute); err != nil {
		t.Fatalf("after SIGKILL: %v\n%s", err, s.Output())
	}
	cs = kubernetes.NewForConfigOrDie(cfg)
	list, err := cs.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	present := map[string]bool{}
	for _, cm := range list.Items {
		present[cm.Name] = true
	}
	var lost []string
	for _, name := range acked {
		if !present[name] {
			lost = append(lost, name)
		}
	}
	if len(lost) > 0 {
		t.Fatalf("%d of %d acknowledged writes were lost after SIGKILL, e.g. %v", len(lost), len(acked), lost[:min(5, len(lost))])
	}
	t.Logf("all %d acknowledged writes survived SIGKILL", len(acked))
}
