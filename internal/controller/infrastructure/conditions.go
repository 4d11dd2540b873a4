package infrastructure

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	vmwarev1 "github.com/kubevisor/kubevisor/api/vmware/v1beta1"
)

// setCondition sets one condition of an object of the given generation.
// The reason is always set; the transition time moves only when the status
// does.
func setCondition(conditions *[]metav1.Condition, generation int64, t string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(conditions, metav1.Condition{
		Type:               t,
		Status:             status,
		ObservedGeneration: generation,
		Reason:             reason,
		Message:            message,
	})
}

// readyCondition summarises the conditions of the given types, in that
// order: False (NotReady, naming each False one and its message) when any
// is False, Unknown (ReadyUnknown) when any is missing or Unknown, True
// (Ready) otherwise.
func readyCondition(conditions []metav1.Condition, types ...string) (metav1.ConditionStatus, string, string) {
	var notReady, unknown []string
	for _, t := range types {
		c := meta.FindStatusCondition(conditions, t)
		switch {
		case c == nil || c.Status == metav1.ConditionUnknown:
			unknown = append(unknown, t)
		case c.Status == metav1.ConditionFalse:
			msg := t + " is False (" + c.Reason + ")"
			if c.Message != "" {
				msg = t + ": " + c.Message
			}
			notReady = append(notReady, msg)
		}
	}
	switch {
	case len(notReady) > 0:
		return metav1.ConditionFalse, vmwarev1.NotReadyReason, strings.Join(notReady, "; ")
	case len(unknown) > 0:
		return metav1.ConditionUnknown, vmwarev1.ReadyUnknownReason, fmt.Sprintf("%s not known yet", strings.Join(unknown, ", "))
	}
	return metav1.ConditionTrue, vmwarev1.ReadyReason, ""
}

// isPaused says whether obj is not to be reconciled: its Cluster is paused
// (spec.paused) or obj has the cluster.x-k8s.io/paused annotation. A
// missing Cluster pauses nothing.
func isPaused(cluster *clusterv1.Cluster, obj metav1.Object) bool {
	if _, ok := obj.GetAnnotations()[clusterv1.PausedAnnotation]; ok {
		return true
	}
	return cluster != nil && ptr.Deref(cluster.Spec.Paused, false)
}

// setPausedCondition reports whether reconciliation is paused, and why.
func setPausedCondition(conditions *[]metav1.Condition, generation int64, cluster *clusterv1.Cluster, obj metav1.Object) {
	switch {
	case cluster != nil && ptr.Deref(cluster.Spec.Paused, false):
		setCondition(conditions, generation, vmwarev1.PausedCondition, metav1.ConditionTrue, vmwarev1.PausedReason, fmt.Sprintf("Cluster %s is paused (spec.paused)", cluster.Name))
	case isPaused(nil, obj):
		setCondition(conditions, generation, vmwarev1.PausedCondition, metav1.ConditionTrue, vmwarev1.PausedReason, "the "+clusterv1.PausedAnnotation+" annotation is set")
	default:
		setCondition(conditions, generation, vmwarev1.PausedCondition, metav1.ConditionFalse, vmwarev1.NotPausedReason, "")
	}
}

// hasCondition reports whether a condition of type t is set.
func hasCondition(conditions []metav1.Condition, t string) bool {
	return meta.FindStatusCondition(conditions, t) != nil
}

// removeCondition removes the condition of type t, if set.
func removeCondition(conditions *[]metav1.Condition, t string) {
	meta.RemoveStatusCondition(conditions, t)
}
