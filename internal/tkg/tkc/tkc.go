package tkc

import (
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/controller/clusteraddons"
	"github.com/kubevisor/kubevisor/internal/tkg"
)

// The names of the builtin ClusterClass's variables a TanzuKubernetesCluster
// sets, as in vSphere 8's tanzukubernetescluster class.
const (
	// VMClassVariable is the VirtualMachineClass of the nodes.
	VMClassVariable = "vmClass"
	// StorageClassVariable is the storage class of the nodes' boot disks.
	StorageClassVariable = "storageClass"
	// ControlPlaneVolumesVariable are extra volumes of the control plane
	// nodes: [{name, mountPath, storageClass, capacity: {storage}}].
	ControlPlaneVolumesVariable = "controlPlaneVolumes"
	// NodePoolVolumesVariable are extra volumes of a node pool's nodes, set
	// as a MachineDeployment override, in the form of ControlPlaneVolumesVariable.
	NodePoolVolumesVariable = "nodePoolVolumes"
	// NodePoolLabelsVariable are the Node labels of a node pool, set as a
	// MachineDeployment override: [{key, value}], sorted by key.
	NodePoolLabelsVariable = "nodePoolLabels"
	// NodePoolTaintsVariable are the Node taints of a node pool, set as a
	// MachineDeployment override: [{key, value, effect}].
	NodePoolTaintsVariable = "nodePoolTaints"
	// DefaultStorageClassVariable is the storage class marked as the
	// default inside the cluster.
	DefaultStorageClassVariable = "defaultStorageClass"
	// StorageClassesVariable are the namespace's storage classes exposed in
	// the cluster.
	StorageClassesVariable = "storageClasses"
	// ProxyVariable is the nodes' HTTP(S) proxy: {httpProxy, httpsProxy, noProxy}.
	ProxyVariable = "proxy"
	// TrustVariable names the extra trusted certificate authorities:
	// {additionalTrustedCAs: [{name}]}. Their PEM data is in the Secret
	// TrustedCASecretName(cluster), under each name.
	TrustVariable = "trust"
)

// Defaults of the cluster network, as on vSphere 8.
const (
	// DefaultPodCIDR is the pod address range when the TKC names none.
	DefaultPodCIDR = "192.168.0.0/16"
	// DefaultServiceCIDR is the service address range when the TKC names none.
	DefaultServiceCIDR = "10.96.0.0/12"
	// DefaultServiceDomain is the services' DNS domain when the TKC names none.
	DefaultServiceDomain = "cluster.local"
)

// TrustedCASecretName is the Secret, in the cluster's namespace, that holds
// the PEM data of the cluster's additional trusted CAs, one key per name in
// spec.settings.network.trust.additionalTrustedCAs. The user creates it.
func TrustedCASecretName(cluster string) string { return cluster + "-user-trusted-ca-secret" }

// SpecError is a TanzuKubernetesCluster that cannot be converted: Field is
// the path of the offending field, Message says what is wrong and how to
// fix it.
type SpecError struct {
	// Field is the path of the field, such as spec.settings.network.cni.name.
	Field string
	// Message follows the field in the error: "is required: ...".
	Message string
}

// Error returns the field followed by the message.
func (e *SpecError) Error() string { return e.Field + " " + e.Message }

// ToCluster returns the Cluster that realises tkc: same name and
// namespace, of the builtin ClusterClass, its topology and variables taken
// from tkc's spec. It sets no owner reference. Errors are *SpecError.
func ToCluster(tkc *runv1.TanzuKubernetesCluster) (*clusterv1.Cluster, error) {
	spec := &tkc.Spec
	var network runv1.Network
	var storage runv1.Storage
	if spec.Settings != nil {
		if spec.Settings.Network != nil {
			network = *spec.Settings.Network
		}
		if spec.Settings.Storage != nil {
			storage = *spec.Settings.Storage
		}
	}
	if network.CNI != nil {
		switch network.CNI.Name {
		case "", "antrea", "calico":
		default:
			return nil, &SpecError{Field: "spec.settings.network.cni.name",
				Message: fmt.Sprintf("is %q, which this Supervisor does not offer: use antrea or calico, or omit it", network.CNI.Name)}
		}
	}

	cp := &spec.Topology.ControlPlane
	release := tkrName(cp.TKR)
	if release == "" {
		return nil, &SpecError{Field: "spec.topology.controlPlane.tkr.reference.name",
			Message: "is required: name a TanzuKubernetesRelease (kubectl get tkr)"}
	}

	cpVolumes, err := volumes(cp.Volumes, cp.StorageClass, "spec.topology.controlPlane.volumes")
	if err != nil {
		return nil, err
	}
	var vars variables
	vars.add(VMClassVariable, cp.VMClass, cp.VMClass != "")
	vars.add(StorageClassVariable, cp.StorageClass, cp.StorageClass != "")
	vars.add(ControlPlaneVolumesVariable, cpVolumes, len(cpVolumes) > 0)
	vars.add(DefaultStorageClassVariable, storage.DefaultClass, storage.DefaultClass != "")
	vars.add(StorageClassesVariable, storage.Classes, len(storage.Classes) > 0)
	if p := proxyOf(network.Proxy); p != nil {
		vars.add(ProxyVariable, p, true)
	}
	if network.Trust != nil && len(network.Trust.AdditionalTrustedCAs) > 0 {
		t := trust{AdditionalTrustedCAs: make([]trustedCA, 0, len(network.Trust.AdditionalTrustedCAs))}
		for _, ca := range network.Trust.AdditionalTrustedCAs {
			t.AdditionalTrustedCAs = append(t.AdditionalTrustedCAs, trustedCA(ca))
		}
		vars.add(TrustVariable, t, true)
	}

	replicas := int32(1)
	if cp.Replicas != nil {
		replicas = *cp.Replicas
	}
	c := &clusterv1.Cluster{
		TypeMeta: metav1.TypeMeta{APIVersion: clusterv1.GroupVersion.String(), Kind: clusterv1.ClusterKind},
		ObjectMeta: metav1.ObjectMeta{
			Name:      tkc.Name,
			Namespace: tkc.Namespace,
			Labels:    map[string]string{clusteraddons.CNILabel: clusteraddons.KubevisorCNI},
		},
		Spec: clusterv1.ClusterSpec{
			ClusterNetwork: clusterv1.ClusterNetwork{
				Pods:          clusterv1.NetworkRanges{CIDRBlocks: cidrs(network.Pods, DefaultPodCIDR)},
				Services:      clusterv1.NetworkRanges{CIDRBlocks: cidrs(network.Services, DefaultServiceCIDR)},
				ServiceDomain: cmp.Or(network.ServiceDomain, DefaultServiceDomain),
			},
			Topology: clusterv1.Topology{
				ClassRef: clusterv1.ClusterClassRef{Name: tkg.ClassName},
				Version:  release,
				ControlPlane: clusterv1.ControlPlaneTopology{
					Replicas: &replicas,
					Deletion: clusterv1.ControlPlaneTopologyMachineDeletionSpec{NodeDrainTimeoutSeconds: seconds(cp.NodeDrainTimeout)},
				},
				Variables: vars.list,
			},
		},
	}
	for i := range spec.Topology.NodePools {
		md, err := machineDeployment(&spec.Topology.NodePools[i], i, release)
		if err != nil {
			return nil, err
		}
		c.Spec.Topology.Workers.MachineDeployments = append(c.Spec.Topology.Workers.MachineDeployments, md)
	}
	return c, nil
}

// machineDeployment is the MachineDeployment topology of the i-th node pool.
func machineDeployment(pool *runv1.NodePool, i int, release string) (clusterv1.MachineDeploymentTopology, error) {
	field := fmt.Sprintf("spec.topology.nodePools[%d]", i)
	if name := tkrName(pool.TKR); name != "" && name != release {
		return clusterv1.MachineDeploymentTopology{}, &SpecError{Field: field + ".tkr.reference.name",
			Message: fmt.Sprintf("is %q but the control plane runs %q: node pools run the control plane's TanzuKubernetesRelease; remove the pool's tkr or set it to %q", name, release, release)}
	}
	vols, err := volumes(pool.Volumes, pool.StorageClass, field+".volumes")
	if err != nil {
		return clusterv1.MachineDeploymentTopology{}, err
	}
	var nodeLabels []label
	for k, v := range pool.Labels {
		nodeLabels = append(nodeLabels, label{Key: k, Value: v})
	}
	slices.SortFunc(nodeLabels, func(a, b label) int { return strings.Compare(a.Key, b.Key) })
	var taints []taint
	for _, t := range pool.Taints {
		taints = append(taints, taint{Key: t.Key, Value: t.Value, Effect: t.Effect})
	}

	var vars variables
	vars.add(VMClassVariable, pool.VMClass, pool.VMClass != "")
	vars.add(StorageClassVariable, pool.StorageClass, pool.StorageClass != "")
	vars.add(NodePoolVolumesVariable, vols, len(vols) > 0)
	vars.add(NodePoolLabelsVariable, nodeLabels, len(nodeLabels) > 0)
	vars.add(NodePoolTaintsVariable, taints, len(taints) > 0)

	var replicas *int32
	if pool.Replicas != nil {
		replicas = new(int32)
		*replicas = *pool.Replicas
	}
	return clusterv1.MachineDeploymentTopology{
		Class:         tkg.WorkerClass,
		Name:          pool.Name,
		FailureDomain: pool.FailureDomain,
		Replicas:      replicas,
		Deletion:      clusterv1.MachineDeploymentTopologyMachineDeletionSpec{NodeDrainTimeoutSeconds: seconds(pool.NodeDrainTimeout)},
		Variables:     clusterv1.MachineDeploymentVariables{Overrides: vars.list},
	}, nil
}

// tkrName is the name of the release ref points at, or "".
func tkrName(ref runv1.TKRReference) string {
	if ref.Reference == nil {
		return ""
	}
	return ref.Reference.Name
}

// volume is an entry of the controlPlaneVolumes and nodePoolVolumes variables.
type volume struct {
	Name         string   `json:"name"`
	MountPath    string   `json:"mountPath"`
	StorageClass string   `json:"storageClass,omitempty"`
	Capacity     capacity `json:"capacity"`
}

// capacity is the size of a volume.
type capacity struct {
	Storage string `json:"storage"`
}

// volumes converts the volumes at field, defaulting their storage class to
// the nodes' storageClass.
func volumes(in []runv1.Volume, storageClass, field string) ([]volume, error) {
	var out []volume
	for i, v := range in {
		size, ok := v.Capacity[corev1.ResourceStorage]
		if !ok {
			return nil, &SpecError{Field: fmt.Sprintf("%s[%d].capacity.storage", field, i),
				Message: "is required: give the volume's size, such as 10Gi"}
		}
		out = append(out, volume{
			Name:         v.Name,
			MountPath:    v.MountPath,
			StorageClass: cmp.Or(v.StorageClass, storageClass),
			Capacity:     capacity{Storage: size.String()},
		})
	}
	return out, nil
}

// label is an entry of the nodePoolLabels variable.
type label struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// taint is an entry of the nodePoolTaints variable.
type taint struct {
	Key    string             `json:"key"`
	Value  string             `json:"value,omitempty"`
	Effect corev1.TaintEffect `json:"effect"`
}

// proxy is the value of the proxy variable.
type proxy struct {
	HTTPProxy  string   `json:"httpProxy,omitempty"`
	HTTPSProxy string   `json:"httpsProxy,omitempty"`
	NoProxy    []string `json:"noProxy,omitempty"`
}

// proxyOf converts p, or returns nil when it configures nothing.
func proxyOf(p *runv1.ProxyConfiguration) *proxy {
	if p == nil {
		return nil
	}
	out := &proxy{NoProxy: p.NoProxy}
	if p.HTTPProxy != nil {
		out.HTTPProxy = *p.HTTPProxy
	}
	if p.HTTPSProxy != nil {
		out.HTTPSProxy = *p.HTTPSProxy
	}
	if out.HTTPProxy == "" && out.HTTPSProxy == "" && len(out.NoProxy) == 0 {
		return nil
	}
	return out
}

// trust is the value of the trust variable.
type trust struct {
	AdditionalTrustedCAs []trustedCA `json:"additionalTrustedCAs"`
}

// trustedCA names one additional trusted CA.
type trustedCA struct {
	Name string `json:"name"`
}

// variables collects ClusterVariables in the order they are added.
type variables struct {
	list []clusterv1.ClusterVariable
}

// add appends the variable name with value v when set is true. The values
// are plain Go data, so marshalling cannot fail.
func (vs *variables) add(name string, v any, set bool) {
	if !set {
		return
	}
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshalling variable %s: %v", name, err)) // unreachable: strings, slices and structs only
	}
	vs.list = append(vs.list, clusterv1.ClusterVariable{Name: name, Value: apiextensionsv1.JSON{Raw: raw}})
}

// cidrs returns the ranges r names, or def.
func cidrs(r *runv1.NetworkRanges, def string) []string {
	if r == nil || len(r.CIDRBlocks) == 0 {
		return []string{def}
	}
	return slices.Clone(r.CIDRBlocks)
}

// seconds converts a duration to whole seconds; nil stays nil.
func seconds(d *metav1.Duration) *int32 {
	if d == nil {
		return nil
	}
	s := int32(min(d.Seconds(), math.MaxInt32))
	return &s
}
