package virtualmachineservice

import (
	"context"
	"net/netip"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/scheme"
)

// TestRebuild checks what survives a Supervisor restart: the allocator is
// rebuilt from the objects before anything new is handed out.
func TestRebuild(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	lbService := func(name string, age int, status, annotation string) client.Object {
		s := &vmopv1.VirtualMachineService{
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, CreationTimestamp: metav1.NewTime(t0.Add(time.Duration(age) * time.Minute))},
			Spec:       vmopv1.VirtualMachineServiceSpec{Type: vmopv1.VirtualMachineServiceTypeLoadBalancer},
		}
		if status != "" {
			s.Status.LoadBalancer.Ingress = []vmopv1.LoadBalancerIngress{{IP: status}}
		}
		if annotation != "" {
			s.Annotations = map[string]string{LoadBalancerIPAnnotation: annotation}
		}
		return s
	}
	objs := []client.Object{
		&kubevisorv1.LoadBalancerPool{ObjectMeta: metav1.ObjectMeta{Name: "default"}, Spec: kubevisorv1.LoadBalancerPoolSpec{Addresses: []string{"198.19.0.1-198.19.0.6"}}},
		// Reported and recorded.
		lbService("old", 0, "198.19.0.1", "198.19.0.1"),
		// Reported only (the annotation was lost).
		lbService("reported", 1, "198.19.0.2", ""),
		// Recorded only (crash before the status patch), inside the pool.
		lbService("recorded", 2, "", "198.19.0.3"),
		// Recorded only, outside every pool: a hand-made annotation, ignored.
		lbService("forged", 3, "", "10.0.0.1"),
		// Claims the address of "old", later: loses it.
		lbService("younger", 4, "198.19.0.1", "198.19.0.1"),
		// A reported address outside the pool (the pool shrank): kept.
		lbService("orphan", 5, "198.19.9.9", "198.19.9.9"),
	}
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(objs...).Build()
	a := NewAddresses(c)
	if err := a.load(context.Background()); err != nil {
		t.Fatal(err)
	}
	key := func(name string) string { return owner(types.NamespacedName{Namespace: "ns", Name: name}) }
	for name, want := range map[string]string{"old": "198.19.0.1", "reported": "198.19.0.2", "recorded": "198.19.0.3", "orphan": "198.19.9.9"} {
		if got, ok := a.alloc.Lookup(key(name)); !ok || got.String() != want {
			t.Errorf("%s: restored %s, %t; want %s", name, got, ok, want)
		}
	}
	for _, name := range []string{"forged", "younger"} {
		if got, ok := a.alloc.Lookup(key(name)); ok {
			t.Errorf("%s: restored %s, want nothing", name, got)
		}
	}
	// New allocations skip every restored address.
	got := map[netip.Addr]bool{}
	for _, name := range []string{"younger", "forged", "new"} {
		ip, err := a.alloc.Allocate(key(name), netip.Addr{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ip.String() < "198.19.0.4" || got[ip] {
			t.Errorf("%s got %s, which is taken", name, ip)
		}
		got[ip] = true
	}
	if _, err := a.alloc.Allocate(key("one-too-many"), netip.Addr{}); err == nil {
		t.Error("the pool is full but an address was handed out")
	}
	// Loading again changes nothing.
	if err := a.load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got, _ := a.alloc.Lookup(key("younger")); got.String() < "198.19.0.4" {
		t.Errorf("a second load changed allocations: younger has %s", got)
	}
}
