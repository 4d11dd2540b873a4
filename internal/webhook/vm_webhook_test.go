package webhook

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/webhook/admission"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/quota"
	"github.com/kubevisor/kubevisor/internal/scheme"
)

func TestVirtualMachineValidator(t *testing.T) {
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	limit := resource.MustParse("4")
	class := func(name string, cpus int64) *vmopv1.VirtualMachineClass {
		return &vmopv1.VirtualMachineClass{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team-a"},
			Spec:       vmopv1.VirtualMachineClassSpec{Hardware: vmopv1.VirtualMachineClassHardware{Cpus: cpus, Memory: resource.MustParse("4Gi")}},
		}
	}
	vm := func(name, class string) *vmopv1.VirtualMachine {
		return &vmopv1.VirtualMachine{
			TypeMeta:   metav1.TypeMeta{APIVersion: vmopv1.GroupVersion.String(), Kind: "VirtualMachine"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team-a"},
			Spec:       vmopv1.VirtualMachineSpec{ClassName: class},
		}
	}
	existing := []client.Object{
		&kubevisorv1.SupervisorNamespace{
			ObjectMeta: metav1.ObjectMeta{Name: "team-a"},
			Spec:       kubevisorv1.SupervisorNamespaceSpec{Limits: kubevisorv1.ResourceLimits{CPU: &limit}},
		},
		class("small", 2), class("large", 4),
		vm("running", "small"),
	}
	tests := []struct {
		name        string
		op          admissionv1.Operation
		vm, old     *vmopv1.VirtualMachine
		wantAllowed bool
		wantMessage string
	}{
		{name: "fits", op: admissionv1.Create, vm: vm("new", "small"), wantAllowed: true},
		{
			name: "over the CPU limit", op: admissionv1.Create, vm: vm("new", "large"),
			wantMessage: `VirtualMachine "new" exceeds the CPU limit of namespace team-a: this VM needs 4 CPUs, 2 are in use, the limit (SupervisorNamespace team-a spec.limits.cpu) is 4`,
		},
		{
			name: "class not bound", op: admissionv1.Create, vm: vm("new", "guaranteed-small"),
			wantMessage: `VirtualMachineClass "guaranteed-small" is not bound to namespace team-a`,
		},
		{name: "no class", op: admissionv1.Create, vm: vm("imported", ""), wantAllowed: true},
		{name: "update keeping the class", op: admissionv1.Update, old: vm("running", "small"), vm: vm("running", "small"), wantAllowed: true},
		{name: "resize within the limit", op: admissionv1.Update, old: vm("running", "small"), vm: vm("running", "large"), wantAllowed: true},
		{
			name: "resize to an unbound class", op: admissionv1.Update, old: vm("running", "small"), vm: vm("running", "huge"),
			wantMessage: `VirtualMachineClass "huge" is not bound`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fake.NewClientBuilder().WithScheme(s).WithObjects(existing...).Build()
			v := &VirtualMachineValidator{Quota: quota.NewChecker(c), decoder: admission.NewDecoder(s)}
			req := admission.Request{AdmissionRequest: admissionv1.AdmissionRequest{
				Operation: tt.op, Namespace: "team-a", Name: tt.vm.Name,
				Object: raw(t, tt.vm),
			}}
			if tt.old != nil {
				req.OldObject = raw(t, tt.old)
			}
			resp := v.Handle(context.Background(), req)
			if resp.Allowed != tt.wantAllowed {
				t.Fatalf("allowed = %t (%v), want %t", resp.Allowed, resp.Result, tt.wantAllowed)
			}
			if tt.wantMessage != "" && (resp.Result == nil || !strings.Contains(resp.Result.Message, tt.wantMessage)) {
				t.Errorf("message = %v, want it to contain %q", resp.Result, tt.wantMessage)
			}
		})
	}
}

func raw(t *testing.T, obj any) runtime.RawExtension {
	t.Helper()
	data, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	return runtime.RawExtension{Raw: data}
}
