package supervisornamespace

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/controller/supervisornamespace/derive"
)

// readiness is what a reconcile pass found, as far as the Ready condition
// is concerned.
type readiness struct {
	deleting, conflict, terminating bool
	err                             error
	missingClasses                  []string
	missingPolicies                 []string
	missingLibraries                []string
}

// setReadyCondition sets the Ready condition of sn from what the pass
// found. In order of precedence: deleting; a Namespace of the same name
// that is not ours; our Namespace still being deleted; an error; bound
// names that name nothing (all of them in the message); ready.
func setReadyCondition(sn *kubevisorv1.SupervisorNamespace, r readiness) {
	c := metav1.Condition{
		Type:               kubevisorv1.ReadyCondition,
		Status:             metav1.ConditionFalse,
		ObservedGeneration: sn.Generation,
	}
	var missing []string
	for _, name := range r.missingClasses {
		missing = append(missing, fmt.Sprintf("spec.vmClasses: ClusterVirtualMachineClass %q does not exist", name))
	}
	for _, name := range r.missingPolicies {
		missing = append(missing, fmt.Sprintf("spec.storageClasses: StoragePolicy %q does not exist", name))
	}
	for _, name := range r.missingLibraries {
		missing = append(missing, fmt.Sprintf("spec.contentLibraries: ClusterContentLibrary %q does not exist", name))
	}
	switch {
	case r.deleting:
		c.Reason = kubevisorv1.DeletingReason
		c.Message = fmt.Sprintf("Namespace %s and everything in it are being deleted", sn.Name)
	case r.conflict:
		c.Reason = kubevisorv1.NamespaceConflictReason
		c.Message = fmt.Sprintf("a Namespace %s exists that was not created for this SupervisorNamespace (it lacks the label %s=%s); delete it, or give the SupervisorNamespace another name",
			sn.Name, derive.SupervisorNamespaceLabel, sn.Name)
	case r.terminating:
		c.Reason = kubevisorv1.ReconcileFailedReason
		c.Message = fmt.Sprintf("Namespace %s is still being deleted; it is created again once it is gone", sn.Name)
	case r.err != nil:
		c.Reason = kubevisorv1.ReconcileFailedReason
		c.Message = r.err.Error()
	case len(missing) > 0:
		switch {
		case len(r.missingClasses) > 0:
			c.Reason = kubevisorv1.VirtualMachineClassNotFoundReason
		case len(r.missingPolicies) > 0:
			c.Reason = kubevisorv1.StoragePolicyNotFoundReason
		default:
			c.Reason = kubevisorv1.ContentLibraryNotFoundReason
		}
		c.Message = strings.Join(missing, "; ") + "; everything else is in place"
	default:
		c.Status = metav1.ConditionTrue
		c.Reason = kubevisorv1.NamespaceReadyReason
		c.Message = fmt.Sprintf("Namespace %s, its role bindings, quota, VM classes and content libraries are in place", sn.Name)
	}
	meta.SetStatusCondition(&sn.Status.Conditions, c)
}
