package tanzukubernetescluster

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/api/equality"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/tkg"
)

// merge returns a copy of current with the fields a TKC owns taken from
// desired. What admission adds to a Cluster is kept, so that merging an
// unchanged TKC gives back current:
//   - spec.topology.version: the webhook rewrites the release name to a
//     Kubernetes version and labels the Cluster with the release; the
//     version is kept while that label names desired's release.
//   - the TKR_DATA variable is kept wherever it is.
//   - a variable whose value is the same JSON as desired's keeps current's
//     bytes, and variables keep current's order.
//
// Fields the TKC does not set (the control plane endpoint and references,
// API server port, machine health checks, other labels) are left alone.
func merge(current, desired *clusterv1.Cluster) *clusterv1.Cluster {
	out := current.DeepCopy()
	for k, v := range desired.Labels {
		if out.Labels == nil {
			out.Labels = map[string]string{}
		}
		out.Labels[k] = v
	}

	n, want := &out.Spec.ClusterNetwork, desired.Spec.ClusterNetwork
	n.Pods, n.Services, n.ServiceDomain = want.Pods, want.Services, want.ServiceDomain

	top, wantTop := &out.Spec.Topology, &desired.Spec.Topology
	top.ClassRef.Name = wantTop.ClassRef.Name
	if current.Labels[runv1.LabelTKR] != wantTop.Version || top.Version == "" {
		top.Version = wantTop.Version
	}
	top.ControlPlane.Replicas = wantTop.ControlPlane.Replicas
	top.ControlPlane.Deletion.NodeDrainTimeoutSeconds = wantTop.ControlPlane.Deletion.NodeDrainTimeoutSeconds
	top.Variables = mergeVariables(current.Spec.Topology.Variables, wantTop.Variables)

	have := map[string]*clusterv1.MachineDeploymentTopology{}
	for i := range current.Spec.Topology.Workers.MachineDeployments {
		md := &current.Spec.Topology.Workers.MachineDeployments[i]
		have[md.Name] = md
	}
	var mds []clusterv1.MachineDeploymentTopology
	for _, w := range wantTop.Workers.MachineDeployments {
		cur, ok := have[w.Name]
		if !ok {
			mds = append(mds, *w.DeepCopy())
			continue
		}
		md := cur.DeepCopy()
		md.Class, md.Replicas, md.FailureDomain = w.Class, w.Replicas, w.FailureDomain
		md.Deletion.NodeDrainTimeoutSeconds = w.Deletion.NodeDrainTimeoutSeconds
		md.Variables.Overrides = mergeVariables(cur.Variables.Overrides, w.Variables.Overrides)
		mds = append(mds, *md)
	}
	top.Workers.MachineDeployments = mds
	return out
}

// mergeVariables returns desired's variables plus current's TKR_DATA, in
// current's order, with current's bytes where the JSON is the same.
// Variables only current has are dropped: if Cluster API's defaulting adds
// them back, the update is a no-op that the API server does not write.
func mergeVariables(current, desired []clusterv1.ClusterVariable) []clusterv1.ClusterVariable {
	want := map[string]clusterv1.ClusterVariable{}
	for _, v := range desired {
		want[v.Name] = v
	}
	var out []clusterv1.ClusterVariable
	seen := map[string]bool{}
	for _, c := range current {
		if c.Name == tkg.TKRDataVariable {
			out = append(out, c)
			continue
		}
		d, ok := want[c.Name]
		if !ok {
			continue
		}
		seen[c.Name] = true
		if sameJSON(c.Value.Raw, d.Value.Raw) {
			out = append(out, c)
		} else {
			out = append(out, d)
		}
	}
	for _, d := range desired {
		if !seen[d.Name] {
			out = append(out, d)
		}
	}
	return out
}

// sameJSON reports whether a and b encode the same value.
func sameJSON(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return string(a) == string(b)
	}
	return equality.Semantic.DeepEqual(va, vb)
}
