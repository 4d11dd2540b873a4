package tkc

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/controller/clusteraddons"
	"github.com/kubevisor/kubevisor/internal/tkg"
)

const release = "v1.36.3---vmware.1-kubevisor.1"

func ptr[T any](v T) *T { return &v }

func tkrRef(name string) runv1.TKRReference {
	return runv1.TKRReference{Reference: &corev1.ObjectReference{Name: name}}
}

// minimal is the smallest valid TKC: one control plane node, no pools.
func minimal() *runv1.TanzuKubernetesCluster {
	return &runv1.TanzuKubernetesCluster{
		ObjectMeta: metav1.ObjectMeta{Name: "tkc-1", Namespace: "team-a"},
		Spec: runv1.TanzuKubernetesClusterSpec{Topology: runv1.Topology{
			ControlPlane: runv1.ControlPlane{TopologySettings: runv1.TopologySettings{
				VMClass: "best-effort-small", StorageClass: "gold", TKR: tkrRef(release),
			}},
		}},
	}
}

// full sets every field ToCluster reads.
func full() *runv1.TanzuKubernetesCluster {
	t := minimal()
	t.Spec.Topology.ControlPlane.Replicas = ptr[int32](3)
	t.Spec.Topology.ControlPlane.NodeDrainTimeout = &metav1.Duration{Duration: 5 * time.Minute}
	t.Spec.Topology.ControlPlane.Volumes = []runv1.Volume{{
		Name: "etcd", MountPath: "/var/lib/etcd",
		Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("4Gi")},
	}}
	t.Spec.Topology.NodePools = []runv1.NodePool{{
		Name: "workers", Replicas: ptr[int32](2), FailureDomain: "zone-a",
		Labels: map[string]string{"tier": "web", "app": "shop"},
		Taints: []corev1.Taint{{Key: "dedicated", Value: "web", Effect: corev1.TaintEffectNoSchedule}},
		TopologySettings: runv1.TopologySettings{
			VMClass: "best-effort-large", StorageClass: "silver", TKR: tkrRef(release),
			NodeDrainTimeout: &metav1.Duration{Duration: 90 * time.Second},
			Volumes: []runv1.Volume{{
				Name: "containerd", MountPath: "/var/lib/containerd", StorageClass: "bronze",
				Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("50Gi")},
			}},
		},
	}, {
		Name: "autoscaled", TopologySettings: runv1.TopologySettings{VMClass: "best-effort-small"},
	}}
	t.Spec.Settings = &runv1.Settings{
		Network: &runv1.Network{
			CNI:           &runv1.CNIConfiguration{Name: "calico"},
			Pods:          &runv1.NetworkRanges{CIDRBlocks: []string{"172.20.0.0/16"}},
			Services:      &runv1.NetworkRanges{CIDRBlocks: []string{"10.100.0.0/16"}},
			ServiceDomain: "corp.local",
			Proxy: &runv1.ProxyConfiguration{
				HTTPProxy: ptr("http://proxy:3128"), HTTPSProxy: ptr("http://proxy:3128"),
				NoProxy: []string{"10.0.0.0/8", ".corp.local"},
			},
			Trust: &runv1.TrustConfiguration{AdditionalTrustedCAs: []runv1.TLSCertificate{{Name: "corp-root"}, {Name: "corp-issuing"}}},
		},
		Storage: &runv1.Storage{Classes: []string{"gold", "silver"}, DefaultClass: "gold"},
	}
	return t
}

// vars renders variables as name=json lines, for comparison.
func vars(vs []clusterv1.ClusterVariable) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString(v.Name + "=" + string(v.Value.Raw) + "\n")
	}
	return b.String()
}

func TestToClusterMinimal(t *testing.T) {
	c, err := ToCluster(minimal())
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "tkc-1" || c.Namespace != "team-a" {
		t.Errorf("name = %s/%s, want team-a/tkc-1", c.Namespace, c.Name)
	}
	if len(c.Labels) != 1 || c.Labels[clusteraddons.CNILabel] != clusteraddons.KubevisorCNI {
		t.Errorf("labels = %v, want only the CNI label", c.Labels)
	}
	n := c.Spec.ClusterNetwork
	if strings.Join(n.Pods.CIDRBlocks, ",") != DefaultPodCIDR || strings.Join(n.Services.CIDRBlocks, ",") != DefaultServiceCIDR || n.ServiceDomain != DefaultServiceDomain {
		t.Errorf("clusterNetwork = %+v, want the defaults", n)
	}
	top := c.Spec.Topology
	if top.ClassRef.Name != tkg.ClassName || top.Version != release {
		t.Errorf("classRef, version = %s, %s", top.ClassRef.Name, top.Version)
	}
	if top.ControlPlane.Replicas == nil || *top.ControlPlane.Replicas != 1 {
		t.Errorf("control plane replicas = %v, want 1", top.ControlPlane.Replicas)
	}
	if top.ControlPlane.Deletion.NodeDrainTimeoutSeconds != nil {
		t.Errorf("nodeDrainTimeoutSeconds = %d, want unset", *top.ControlPlane.Deletion.NodeDrainTimeoutSeconds)
	}
	if len(top.Workers.MachineDeployments) != 0 {
		t.Errorf("machineDeployments = %v, want none", top.Workers.MachineDeployments)
	}
	want := "vmClass=\"best-effort-small\"\nstorageClass=\"gold\"\n"
	if got := vars(top.Variables); got != want {
		t.Errorf("variables:\n%s\nwant:\n%s", got, want)
	}
}

func TestToClusterFull(t *testing.T) {
	c, err := ToCluster(full())
	if err != nil {
		t.Fatal(err)
	}
	n := c.Spec.ClusterNetwork
	if n.Pods.CIDRBlocks[0] != "172.20.0.0/16" || n.Services.CIDRBlocks[0] != "10.100.0.0/16" || n.ServiceDomain != "corp.local" {
		t.Errorf("clusterNetwork = %+v", n)
	}
	cp := c.Spec.Topology.ControlPlane
	if *cp.Replicas != 3 || *cp.Deletion.NodeDrainTimeoutSeconds != 300 {
		t.Errorf("control plane = replicas %d, drain %d", *cp.Replicas, *cp.Deletion.NodeDrainTimeoutSeconds)
	}
	want := `vmClass="best-effort-small"
storageClass="gold"
controlPlaneVolumes=[{"name":"etcd","mountPath":"/var/lib/etcd","storageClass":"gold","capacity":{"storage":"4Gi"}}]
defaultStorageClass="gold"
storageClasses=["gold","silver"]
proxy={"httpProxy":"http://proxy:3128","httpsProxy":"http://proxy:3128","noProxy":["10.0.0.0/8",".corp.local"]}
trust={"additionalTrustedCAs":[{"name":"corp-root"},{"name":"corp-issuing"}]}
`
	if got := vars(c.Spec.Topology.Variables); got != want {
		t.Errorf("variables:\n%s\nwant:\n%s", got, want)
	}

	mds := c.Spec.Topology.Workers.MachineDeployments
	if len(mds) != 2 {
		t.Fatalf("%d machineDeployments, want 2", len(mds))
	}
	md := mds[0]
	if md.Class != tkg.WorkerClass || md.Name != "workers" || *md.Replicas != 2 || md.FailureDomain != "zone-a" || *md.Deletion.NodeDrainTimeoutSeconds != 90 {
		t.Errorf("machineDeployment = %+v", md)
	}
	wantMD := `vmClass="best-effort-large"
storageClass="silver"
nodePoolVolumes=[{"name":"containerd","mountPath":"/var/lib/containerd","storageClass":"bronze","capacity":{"storage":"50Gi"}}]
nodePoolLabels=[{"key":"app","value":"shop"},{"key":"tier","value":"web"}]
nodePoolTaints=[{"key":"dedicated","value":"web","effect":"NoSchedule"}]
`
	if got := vars(md.Variables.Overrides); got != wantMD {
		t.Errorf("overrides:\n%s\nwant:\n%s", got, wantMD)
	}
	auto := mds[1]
	if auto.Replicas != nil || auto.FailureDomain != "" || auto.Deletion.NodeDrainTimeoutSeconds != nil {
		t.Errorf("autoscaled pool = %+v, want replicas, failure domain and drain timeout unset", auto)
	}
	if got := vars(auto.Variables.Overrides); got != "vmClass=\"best-effort-small\"\n" {
		t.Errorf("autoscaled overrides = %s", got)
	}
	for _, v := range append(c.Spec.Topology.Variables, md.Variables.Overrides...) {
		if !json.Valid(v.Value.Raw) {
			t.Errorf("variable %s is not JSON: %s", v.Name, v.Value.Raw)
		}
	}
}

// TestToClusterDeterministic converts the same TKC repeatedly: map
// iteration must not leak into the variables.
func TestToClusterDeterministic(t *testing.T) {
	first, err := ToCluster(full())
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(first)
	for range 20 {
		c, err := ToCluster(full())
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := json.Marshal(c); string(got) != string(want) {
			t.Fatalf("conversion differs:\n%s\n%s", got, want)
		}
	}
}

func TestToClusterSettings(t *testing.T) {
	tests := []struct {
		name   string
		edit   func(*runv1.TanzuKubernetesCluster)
		want   string // variables after vmClass and storageClass
		labels string
	}{
		{name: "antrea", edit: func(t *runv1.TanzuKubernetesCluster) {
			t.Spec.Settings = &runv1.Settings{Network: &runv1.Network{CNI: &runv1.CNIConfiguration{Name: "antrea"}}}
		}},
		{name: "empty CNI name", edit: func(t *runv1.TanzuKubernetesCluster) {
			t.Spec.Settings = &runv1.Settings{Network: &runv1.Network{CNI: &runv1.CNIConfiguration{}}}
		}},
		{name: "empty proxy is omitted", edit: func(t *runv1.TanzuKubernetesCluster) {
			t.Spec.Settings = &runv1.Settings{Network: &runv1.Network{Proxy: &runv1.ProxyConfiguration{HTTPProxy: ptr("")}}}
		}},
		{name: "no-proxy list only", edit: func(t *runv1.TanzuKubernetesCluster) {
			t.Spec.Settings = &runv1.Settings{Network: &runv1.Network{Proxy: &runv1.ProxyConfiguration{NoProxy: []string{"localhost"}}}}
		}, want: `proxy={"noProxy":["localhost"]}` + "\n"},
		{name: "empty trust is omitted", edit: func(t *runv1.TanzuKubernetesCluster) {
			t.Spec.Settings = &runv1.Settings{Network: &runv1.Network{Trust: &runv1.TrustConfiguration{}}}
		}},
		{name: "storage classes without a default", edit: func(t *runv1.TanzuKubernetesCluster) {
			t.Spec.Settings = &runv1.Settings{Storage: &runv1.Storage{Classes: []string{"gold"}}}
		}, want: `storageClasses=["gold"]` + "\n"},
		{name: "volume without a storage class and node storage class", edit: func(t *runv1.TanzuKubernetesCluster) {
			t.Spec.Topology.ControlPlane.StorageClass = ""
			t.Spec.Topology.ControlPlane.Volumes = []runv1.Volume{{Name: "etcd", MountPath: "/var/lib/etcd",
				Capacity: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("4096Mi")}}}
		}, want: `controlPlaneVolumes=[{"name":"etcd","mountPath":"/var/lib/etcd","capacity":{"storage":"4Gi"}}]` + "\n"},
		{name: "pool tkr equal to the control plane's", edit: func(t *runv1.TanzuKubernetesCluster) {
			t.Spec.Topology.NodePools = []runv1.NodePool{{Name: "p", TopologySettings: runv1.TopologySettings{VMClass: "c", TKR: tkrRef(release)}}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tkc := minimal()
			tt.edit(tkc)
			c, err := ToCluster(tkc)
			if err != nil {
				t.Fatal(err)
			}
			got := vars(c.Spec.Topology.Variables)
			got = strings.TrimPrefix(got, "vmClass=\"best-effort-small\"\n")
			got = strings.TrimPrefix(got, "storageClass=\"gold\"\n")
			if got != tt.want {
				t.Errorf("variables:\n%s\nwant:\n%s", got, tt.want)
			}
			if c.Labels[clusteraddons.CNILabel] != clusteraddons.KubevisorCNI {
				t.Errorf("labels = %v", c.Labels)
			}
		})
	}
}

func TestToClusterErrors(t *testing.T) {
	tests := []struct {
		name      string
		edit      func(*runv1.TanzuKubernetesCluster)
		wantField string
		wantText  string
	}{
		{
			name: "unknown CNI",
			edit: func(t *runv1.TanzuKubernetesCluster) {
				t.Spec.Settings = &runv1.Settings{Network: &runv1.Network{CNI: &runv1.CNIConfiguration{Name: "cilium"}}}
			},
			wantField: "spec.settings.network.cni.name", wantText: `"cilium"`,
		},
		{
			name:      "no TKR reference",
			edit:      func(t *runv1.TanzuKubernetesCluster) { t.Spec.Topology.ControlPlane.TKR = runv1.TKRReference{} },
			wantField: "spec.topology.controlPlane.tkr.reference.name", wantText: "is required: name a TanzuKubernetesRelease (kubectl get tkr)",
		},
		{
			name:      "empty TKR name",
			edit:      func(t *runv1.TanzuKubernetesCluster) { t.Spec.Topology.ControlPlane.TKR = tkrRef("") },
			wantField: "spec.topology.controlPlane.tkr.reference.name", wantText: "is required",
		},
		{
			name: "pool on another release",
			edit: func(t *runv1.TanzuKubernetesCluster) {
				t.Spec.Topology.NodePools = []runv1.NodePool{
					{Name: "a", TopologySettings: runv1.TopologySettings{VMClass: "c"}},
					{Name: "b", TopologySettings: runv1.TopologySettings{VMClass: "c", TKR: tkrRef("v1.35.0---vmware.1-kubevisor.1")}},
				}
			},
			wantField: "spec.topology.nodePools[1].tkr.reference.name", wantText: `"v1.35.0---vmware.1-kubevisor.1" but the control plane runs`,
		},
		{
			name: "volume without a size",
			edit: func(t *runv1.TanzuKubernetesCluster) {
				t.Spec.Topology.NodePools = []runv1.NodePool{{Name: "a", TopologySettings: runv1.TopologySettings{
					VMClass: "c", Volumes: []runv1.Volume{{Name: "v", MountPath: "/v"}},
				}}}
			},
			wantField: "spec.topology.nodePools[0].volumes[0].capacity.storage", wantText: "is required",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tkc := minimal()
			tt.edit(tkc)
			c, err := ToCluster(tkc)
			var specErr *SpecError
			if !errors.As(err, &specErr) {
				t.Fatalf("ToCluster = %v, %v; want a *SpecError", c, err)
			}
			if specErr.Field != tt.wantField || !strings.Contains(err.Error(), tt.wantText) || !strings.HasPrefix(err.Error(), tt.wantField+" ") {
				t.Errorf("error = %q (field %s), want field %s and %q", err, specErr.Field, tt.wantField, tt.wantText)
			}
		})
	}
}
