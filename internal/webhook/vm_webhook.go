package webhook

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	admissionv1 "k8s.io/api/admission/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/quota"
)

// VirtualMachinePath is where VirtualMachines are validated.
const VirtualMachinePath = "/validate-vmoperator-vmware-com-v1alpha3-virtualmachine"

// VirtualMachineValidator refuses a VM whose class is not bound to its
// namespace, or whose class would take the namespace over its CPU or
// memory limit.
type VirtualMachineValidator struct {
	// Quota does the checking and serialises it per namespace.
	Quota   *quota.Checker
	decoder admission.Decoder
}

// SetupVirtualMachineAdmission serves the validator on mgr's webhook
// server, checking with checker.
func SetupVirtualMachineAdmission(mgr ctrl.Manager, checker *quota.Checker) {
	v := &VirtualMachineValidator{Quota: checker, decoder: admission.NewDecoder(mgr.GetScheme())}
	mgr.GetWebhookServer().Register(VirtualMachinePath, &admission.Webhook{Handler: v})
}

// Handle validates a create, or an update that changes the VM's class.
// Other updates pass: a VM already admitted keeps its place even when the
// limit has been lowered since, so it can still be changed and deleted.
func (v *VirtualMachineValidator) Handle(ctx context.Context, req admission.Request) admission.Response {
	vm := &vmopv1.VirtualMachine{}
	if err := v.decoder.Decode(req, vm); err != nil {
		return admission.Errored(http.StatusBadRequest, err)
	}
	if req.Operation == admissionv1.Update {
		old := &vmopv1.VirtualMachine{}
		if err := v.decoder.DecodeRaw(req.OldObject, old); err != nil {
			return admission.Errored(http.StatusBadRequest, err)
		}
		if old.Spec.ClassName == vm.Spec.ClassName {
			return admission.Allowed("")
		}
	}
	if vm.Spec.ClassName == "" || !vm.DeletionTimestamp.IsZero() {
		return admission.Allowed("")
	}
	err := v.Quota.Admit(ctx, quota.Admission{
		Namespace: req.Namespace,
		Subject:   fmt.Sprintf("VirtualMachine %q", vm.Name),
		VMs:       []quota.VM{{Name: vm.Name, ClassName: vm.Spec.ClassName}},
		DryRun:    req.DryRun != nil && *req.DryRun,
	})
	var notBound *quota.ClassNotBoundError
	var exceeded *quota.ExceededError
	switch {
	case errors.As(err, &notBound), errors.As(err, &exceeded):
		return admission.Denied(err.Error())
	case err != nil:
		return admission.Errored(http.StatusInternalServerError, err)
	}
	return admission.Allowed("")
}
