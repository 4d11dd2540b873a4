package storagepolicy

import (
	"fmt"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
)

// outcome is what a reconcile pass found, for the Ready condition.
type outcome struct {
	// conflict: a StorageClass of the policy's name is not the policy's.
	conflict bool
	// err is the error the pass ends with.
	err error
}

// setReadyCondition sets the Ready condition of policy from what the pass
// found.
func setReadyCondition(policy *kubevisorv1.StoragePolicy, o outcome) {
	c := metav1.Condition{
		Type:               kubevisorv1.ReadyCondition,
		Status:             metav1.ConditionFalse,
		ObservedGeneration: policy.Generation,
	}
	switch {
	case o.conflict:
		c.Reason = kubevisorv1.StorageClassConflictReason
		c.Message = fmt.Sprintf("a StorageClass %s exists that does not belong to this StoragePolicy; delete it, or give the StoragePolicy another name", policy.Name)
	case o.err != nil:
		c.Reason = kubevisorv1.ReconcileFailedReason
		c.Message = o.err.Error()
	default:
		c.Status = metav1.ConditionTrue
		c.Reason = kubevisorv1.StorageClassCreatedReason
		c.Message = fmt.Sprintf("StorageClass %s (provisioner %s%s) is in place", policy.Name, ProvisionerPrefix, policy.Spec.Provider)
	}
	meta.SetStatusCondition(&policy.Status.Conditions, c)
}
