package tanzukubernetescluster

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	runv1 "github.com/kubevisor/kubevisor/api/run/v1alpha3"
)

// observation is what a reconcile pass found out about a TKC's Cluster.
type observation struct {
	// cluster is the TKC's Cluster, or nil when there is none.
	cluster *clusterv1.Cluster
	// updated is set when this pass created or changed the Cluster.
	updated bool
	// invalidSpec is why the TKC cannot be converted to a Cluster.
	invalidSpec error
	// nameConflict is set when the Cluster of the TKC's name is not the
	// TKC's.
	nameConflict bool
}

// computeStatus returns t's status given o. Conditions keep their last
// transition time unless their status changes.
func computeStatus(t *runv1.TanzuKubernetesCluster, o observation) runv1.TanzuKubernetesClusterStatus {
	s := *t.Status.DeepCopy()
	c := o.cluster
	if o.nameConflict {
		c = nil // not ours: mirror nothing of it
	}
	s.Phase = phase(t, o)
	setConditions(&s, t.Generation, c, o)

	s.APIEndpoints = nil
	s.TotalWorkerReplicas = 0
	s.Version = ""
	if ref := t.Spec.Topology.ControlPlane.TKR.Reference; ref != nil {
		s.Version = ref.Name
	}
	if c != nil {
		if ep := c.Spec.ControlPlaneEndpoint; ep.Host != "" {
			s.APIEndpoints = []runv1.APIEndpoint{{Host: ep.Host, Port: ep.Port}}
		}
		if w := c.Status.Workers; w != nil && w.Replicas != nil {
			s.TotalWorkerReplicas = *w.Replicas
		}
		if name := c.Labels[runv1.LabelTKR]; name != "" {
			s.Version = name
		}
	}
	return s
}

// phase summarises the TKC's lifecycle.
func phase(t *runv1.TanzuKubernetesCluster, o observation) runv1.TanzuKubernetesClusterPhase {
	c := o.cluster
	switch {
	case !t.DeletionTimestamp.IsZero():
		return runv1.PhaseDeleting
	case o.nameConflict || (c == nil && o.invalidSpec != nil):
		return runv1.PhaseFailed
	case c == nil:
		return runv1.PhaseCreating
	case c.Status.Phase == string(clusterv1.ClusterPhaseFailed): //nolint:staticcheck // no longer set by v1beta2 controllers, still by conversion from v1beta1
		return runv1.PhaseFailed
	}
	changing := o.updated || !converged(c) ||
		meta.IsStatusConditionTrue(c.Status.Conditions, clusterv1.ClusterRollingOutCondition) ||
		meta.IsStatusConditionTrue(c.Status.Conditions, clusterv1.ClusterScalingUpCondition) ||
		meta.IsStatusConditionTrue(c.Status.Conditions, clusterv1.ClusterScalingDownCondition)
	if meta.IsStatusConditionTrue(c.Status.Conditions, clusterv1.ClusterAvailableCondition) {
		if changing || !sized(t, c) {
			return runv1.PhaseUpdating
		}
		return runv1.PhaseRunning
	}
	// Not available: still coming up, or a cluster that ran before and is
	// now changing or unwell.
	// An update stays an update until the cluster runs again: new nodes
	// make a cluster unavailable for a while (maxUnavailable 0).
	switch t.Status.Phase {
	case runv1.PhaseUpdating:
		return runv1.PhaseUpdating
	case runv1.PhaseRunning, runv1.PhaseUnhealthy:
		if changing {
			return runv1.PhaseUpdating
		}
		return runv1.PhaseUnhealthy
	}
	return runv1.PhaseCreating
}

// converged reports whether Cluster API has acted on the Cluster's latest
// spec: the Cluster's generation is observed and its topology reconciled.
func converged(c *clusterv1.Cluster) bool {
	if c.Status.ObservedGeneration < c.Generation {
		return false
	}
	tr := meta.FindStatusCondition(c.Status.Conditions, clusterv1.ClusterTopologyReconciledCondition)
	return tr == nil || tr.Status == metav1.ConditionTrue
}

// sized reports whether the Cluster has the nodes t asks for: every
// replica of the control plane and of the node pools exists, is up to date
// and available. Cluster API's rollout conditions turn True only once a
// MachineDeployment has been changed; this closes the moment before that.
func sized(t *runv1.TanzuKubernetesCluster, c *clusterv1.Cluster) bool {
	var workers int32
	for _, p := range t.Spec.Topology.NodePools {
		if p.Replicas == nil {
			return c.Status.Workers != nil // a pool sized elsewhere (autoscaler)
		}
		workers += *p.Replicas
	}
	cp := int32(1)
	if r := t.Spec.Topology.ControlPlane.Replicas; r != nil {
		cp = *r
	}
	all := func(want int32, counts ...*int32) bool {
		for _, n := range counts {
			if n == nil && want != 0 || n != nil && *n != want {
				return false
			}
		}
		return true
	}
	if s := c.Status.ControlPlane; s == nil || !all(cp, s.DesiredReplicas, s.Replicas, s.UpToDateReplicas, s.AvailableReplicas) {
		return false
	}
	if s := c.Status.Workers; s == nil || !all(workers, s.DesiredReplicas, s.Replicas, s.UpToDateReplicas, s.AvailableReplicas) {
		return s == nil && workers == 0
	}
	return true
}

// setConditions sets Ready, ControlPlaneReady and NodePoolsReady from the
// Cluster's Available, ControlPlaneAvailable and WorkersAvailable.
func setConditions(s *runv1.TanzuKubernetesClusterStatus, generation int64, c *clusterv1.Cluster, o observation) {
	set := func(typ string, status metav1.ConditionStatus, reason, message string) {
		meta.SetStatusCondition(&s.Conditions, metav1.Condition{
			Type: typ, Status: status, Reason: reason, Message: message, ObservedGeneration: generation,
		})
	}
	mirror := func(typ, from, unknownReason string) {
		src := meta.FindStatusCondition(c.Status.Conditions, from)
		if src == nil {
			set(typ, metav1.ConditionUnknown, unknownReason, fmt.Sprintf("the Cluster reports no %s condition yet", from))
			return
		}
		reason := src.Reason
		if reason == "" {
			reason = unknownReason
		}
		set(typ, src.Status, reason, src.Message)
	}

	if c == nil {
		set(runv1.ControlPlaneReadyCondition, metav1.ConditionFalse, runv1.WaitingForClusterInfrastructureReason, "the Cluster does not exist yet")
		set(runv1.NodePoolsReadyCondition, metav1.ConditionUnknown, runv1.NodePoolsUnknownReason, "the Cluster does not exist yet")
	} else {
		mirror(runv1.ControlPlaneReadyCondition, clusterv1.ClusterControlPlaneAvailableCondition, runv1.WaitingForControlPlaneInitializedReason)
		mirror(runv1.NodePoolsReadyCondition, clusterv1.ClusterWorkersAvailableCondition, runv1.NodePoolsUnknownReason)
	}
	switch {
	case o.invalidSpec != nil:
		set(runv1.ReadyCondition, metav1.ConditionFalse, runv1.InvalidSpecReason, o.invalidSpec.Error())
	case o.nameConflict:
		set(runv1.ReadyCondition, metav1.ConditionFalse, runv1.ClusterNameConflictReason,
			fmt.Sprintf("a Cluster named %s exists in the namespace but does not belong to this TanzuKubernetesCluster: delete it, or give the TanzuKubernetesCluster another name", o.cluster.Name))
	case c == nil:
		set(runv1.ReadyCondition, metav1.ConditionFalse, runv1.WaitingForConditionsReason, "the Cluster does not exist yet")
	default:
		mirror(runv1.ReadyCondition, clusterv1.ClusterAvailableCondition, runv1.WaitingForConditionsReason)
	}
}
