package quota

import (
	"context"
	"errors"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/scheme"
)

// newReader returns an API with namespace team-a limited to cpu CPUs, the
// class "small" (2 CPUs, 4Gi) bound to it and the given VMs in it.
func newReader(t *testing.T, cpu string, vms ...string) client.Reader {
	t.Helper()
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	limit := resource.MustParse(cpu)
	objs := []client.Object{
		&kubevisorv1.SupervisorNamespace{
			ObjectMeta: metav1.ObjectMeta{Name: "team-a"},
			Spec:       kubevisorv1.SupervisorNamespaceSpec{Limits: kubevisorv1.ResourceLimits{CPU: &limit}},
		},
		&vmopv1.VirtualMachineClass{
			ObjectMeta: metav1.ObjectMeta{Name: "small", Namespace: "team-a"},
			Spec: vmopv1.VirtualMachineClassSpec{Hardware: vmopv1.VirtualMachineClassHardware{
				Cpus: 2, Memory: resource.MustParse("4Gi"),
			}},
		},
	}
	for _, name := range vms {
		objs = append(objs, &vmopv1.VirtualMachine{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "team-a"},
			Spec:       vmopv1.VirtualMachineSpec{ClassName: "small"},
		})
	}
	return fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build()
}

func admission(vm, class string) Admission {
	return Admission{Namespace: "team-a", Subject: `VirtualMachine "` + vm + `"`, VMs: []VM{{Name: vm, ClassName: class}}}
}

func TestCheckerConcurrentCreates(t *testing.T) {
	// One VM of 2 CPUs runs under a limit of 4: room for one more, not two.
	c := NewChecker(newReader(t, "4", "a"))
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			errs[i] = c.Admit(context.Background(), admission("vm-"+string(rune('b'+i)), "small"))
		})
	}
	wg.Wait()
	admitted := 0
	for _, err := range errs {
		var exceeded *ExceededError
		switch {
		case err == nil:
			admitted++
		case !errors.As(err, &exceeded):
			t.Errorf("Admit = %v, want nil or an *ExceededError", err)
		}
	}
	if admitted != 1 {
		t.Errorf("%d of %d concurrent creates were admitted, want exactly 1", admitted, len(errs))
	}
}

func TestCheckerAdmit(t *testing.T) {
	ctx := context.Background()
	t.Run("class not bound", func(t *testing.T) {
		c := NewChecker(newReader(t, "4"))
		var notBound *ClassNotBoundError
		if err := c.Admit(ctx, admission("b", "large")); !errors.As(err, &notBound) {
			t.Fatalf("Admit = %v, want a *ClassNotBoundError", err)
		}
	})
	t.Run("update does not count the VM twice", func(t *testing.T) {
		c := NewChecker(newReader(t, "4", "a", "b"))
		if err := c.Admit(ctx, admission("b", "small")); err != nil {
			t.Fatalf("Admit = %v, want nil", err)
		}
	})
	t.Run("dry run reserves nothing", func(t *testing.T) {
		c := NewChecker(newReader(t, "4", "a"))
		dry := admission("b", "small")
		dry.DryRun = true
		if err := c.Admit(ctx, dry); err != nil {
			t.Fatalf("dry-run Admit = %v, want nil", err)
		}
		if err := c.Admit(ctx, admission("c", "small")); err != nil {
			t.Fatalf("Admit after a dry run = %v, want nil", err)
		}
	})
	t.Run("class bound in another namespace", func(t *testing.T) {
		c := NewChecker(newReader(t, "4"))
		other := admission("b", "small")
		other.Namespace = "elsewhere"
		var notBound *ClassNotBoundError
		if err := c.Admit(ctx, other); !errors.As(err, &notBound) {
			t.Fatalf("Admit in a namespace without the class = %v, want a *ClassNotBoundError", err)
		}
	})
}
