package virtualmachinepublishrequest

import (
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
)

// problem is why a condition is not True: its reason and a message for
// the user that names the field at fault and the fix.
type problem struct {
	reason, message string
}

func (p *problem) Error() string { return p.message }

// prerequisites are the conditions Complete summarises, in the order a
// request passes them.
var prerequisites = []string{
	vmopv1.VirtualMachinePublishRequestConditionSourceValid,
	vmopv1.VirtualMachinePublishRequestConditionTargetValid,
	vmopv1.VirtualMachinePublishRequestConditionUploaded,
	vmopv1.VirtualMachinePublishRequestConditionImageAvailable,
}

// setCondition sets condition typ: True with TrueReason when p is nil,
// False with p's reason and message otherwise.
func setCondition(pr *vmopv1.VirtualMachinePublishRequest, typ string, p *problem) {
	c := metav1.Condition{Type: typ, Status: metav1.ConditionTrue, Reason: vmopv1.TrueReason, ObservedGeneration: pr.Generation}
	if p != nil {
		c.Status, c.Reason, c.Message = metav1.ConditionFalse, p.reason, p.message
	}
	meta.SetStatusCondition(&pr.Status.Conditions, c)
}

// setUploading records the start of a publish attempt at now.
func setUploading(pr *vmopv1.VirtualMachinePublishRequest, message string, now time.Time) {
	pr.Status.Attempts++
	t := metav1.NewTime(now)
	pr.Status.LastAttemptTime = &t
	setCondition(pr, vmopv1.VirtualMachinePublishRequestConditionUploaded, &problem{reason: vmopv1.UploadingReason, message: message})
}

// setCompleteCondition derives Complete from the other conditions: True
// when they all are, which also sets status.ready and, once,
// status.completionTime. Otherwise Complete is False with
// HasNotBeenUploadedReason until the upload is done and
// ImageUnavailableReason after, and its message repeats the first
// condition that is not True.
func setCompleteCondition(pr *vmopv1.VirtualMachinePublishRequest, now time.Time) {
	var pending *metav1.Condition
	for _, typ := range prerequisites {
		c := meta.FindStatusCondition(pr.Status.Conditions, typ)
		if c == nil || c.Status != metav1.ConditionTrue {
			pending = c
			if c == nil {
				pending = &metav1.Condition{Type: typ, Message: "not evaluated yet"}
			}
			break
		}
	}
	if pending == nil {
		setCondition(pr, vmopv1.VirtualMachinePublishRequestConditionComplete, nil)
		pr.Status.Ready = true
		if pr.Status.CompletionTime == nil {
			t := metav1.NewTime(now)
			pr.Status.CompletionTime = &t
		}
		return
	}
	reason := vmopv1.HasNotBeenUploadedReason
	if meta.IsStatusConditionTrue(pr.Status.Conditions, vmopv1.VirtualMachinePublishRequestConditionUploaded) {
		reason = vmopv1.ImageUnavailableReason
	}
	pr.Status.Ready = false
	setCondition(pr, vmopv1.VirtualMachinePublishRequestConditionComplete,
		&problem{reason: reason, message: fmt.Sprintf("%s: %s", pending.Type, pending.Message)})
}

// setFailed finishes the request unsuccessfully at now: Complete is False
// with reason and message, and status.completionTime is set so that the
// request is not acted on again (except for its TTL).
func setFailed(pr *vmopv1.VirtualMachinePublishRequest, reason, message string, now time.Time) {
	pr.Status.Ready = false
	setCondition(pr, vmopv1.VirtualMachinePublishRequestConditionComplete, &problem{reason: reason, message: message})
	if pr.Status.CompletionTime == nil {
		t := metav1.NewTime(now)
		pr.Status.CompletionTime = &t
	}
}

// finished reports whether the request is done, successfully or not.
func finished(pr *vmopv1.VirtualMachinePublishRequest) bool {
	return pr.Status.CompletionTime != nil
}
