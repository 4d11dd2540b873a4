package vmclass

import (
	"context"
	"testing"

	"k8s.io/apimachinery/pkg/api/resource"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/scheme"
)

func TestDefaultsCreateMissingAndKeepEdits(t *testing.T) {
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	defaults := kubevisorv1.DefaultVirtualMachineClasses()
	edited := defaults[0].DeepCopy()
	edited.Spec.Hardware.CPUs = 3
	edited.Spec.Description = "the administrator's"
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(edited).Build()

	if err := (&Defaults{Client: c}).Create(context.Background()); err != nil {
		t.Fatal(err)
	}
	var list kubevisorv1.ClusterVirtualMachineClassList
	if err := c.List(context.Background(), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != len(defaults) {
		t.Errorf("%d classes exist, want %d", len(list.Items), len(defaults))
	}
	got := &kubevisorv1.ClusterVirtualMachineClass{}
	if err := c.Get(context.Background(), client.ObjectKeyFromObject(edited), got); err != nil {
		t.Fatal(err)
	}
	if got.Spec.Hardware.CPUs != 3 || got.Spec.Description != "the administrator's" {
		t.Errorf("the administrator's class was overwritten: %+v", got.Spec)
	}
	large := &kubevisorv1.ClusterVirtualMachineClass{}
	if err := c.Get(context.Background(), client.ObjectKey{Name: "guaranteed-large"}, large); err != nil {
		t.Fatal(err)
	}
	if large.Spec.Hardware.CPUs != 4 || large.Spec.Hardware.Memory.Cmp(resource.MustParse("16Gi")) != 0 {
		t.Errorf("guaranteed-large = %+v", large.Spec.Hardware)
	}
}
