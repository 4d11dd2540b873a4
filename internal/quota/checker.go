package quota

import (
	"context"
	"fmt"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
)

// ReservationTTL is how long an admitted VM is counted before the API
// shows it. It outlasts the admission webhook timeout (10 s) and the
// apiserver's write that follows; a reservation whose request failed after
// admission holds its capacity for at most this long.
const ReservationTTL = 30 * time.Second

// Admission is a set of VMs that asks to be admitted together.
type Admission struct {
	// Namespace is where the VMs go.
	Namespace string
	// Subject names the object that asks, for messages, such as
	// `VirtualMachine "vm-1"`.
	Subject string
	// VMs are the new or changed VMs with their classes. A VM of the same
	// name already in the namespace is replaced: it is not counted as in
	// use.
	VMs []VM
	// DryRun checks without reserving anything.
	DryRun bool
}

// Checker admits VMs against the limits of their namespace. It is safe for
// concurrent use; checks of one namespace run one at a time.
type Checker struct {
	reader client.Reader
	now    func() time.Time

	mu         sync.Mutex
	namespaces map[string]*namespaceState
}

// namespaceState serialises the checks of one namespace and keeps its
// reservations.
type namespaceState struct {
	mu       sync.Mutex
	reserved map[string]reservation
}

// NewChecker returns a Checker that reads the API through reader. The
// reader should not be a cache: a VM created a moment ago must be seen.
func NewChecker(reader client.Reader) *Checker {
	return &Checker{reader: reader, now: time.Now, namespaces: map[string]*namespaceState{}}
}

func (c *Checker) state(namespace string) *namespaceState {
	c.mu.Lock()
	defer c.mu.Unlock()
	st, ok := c.namespaces[namespace]
	if !ok {
		st = &namespaceState{reserved: map[string]reservation{}}
		c.namespaces[namespace] = st
	}
	return st
}

// Admit checks that every VM of a uses a class bound to its namespace
// (*ClassNotBoundError otherwise) and that the namespace's CPU and memory
// limits hold with them added to every other VM of the namespace
// (*ExceededError otherwise). When they do, and a is not a dry run, the VMs
// are reserved until the API shows them. Other errors are failures to read
// the API.
func (c *Checker) Admit(ctx context.Context, a Admission) error {
	st := c.state(a.Namespace)
	st.mu.Lock()
	defer st.mu.Unlock()

	var bound vmopv1.VirtualMachineClassList
	if err := c.reader.List(ctx, &bound, client.InNamespace(a.Namespace)); err != nil {
		return fmt.Errorf("listing the VM classes of namespace %s: %w", a.Namespace, err)
	}
	classes := ClassResources(bound.Items, nil)
	for _, vm := range a.VMs {
		if _, ok := classes[vm.ClassName]; !ok {
			return &ClassNotBoundError{Namespace: a.Namespace, Class: vm.ClassName, Subject: a.Subject}
		}
	}

	limits, err := LimitsOf(ctx, c.reader, a.Namespace)
	if err != nil {
		return err
	}
	if limits.CPU == nil && limits.Memory == nil {
		return nil
	}

	var vmList vmopv1.VirtualMachineList
	if err := c.reader.List(ctx, &vmList, client.InNamespace(a.Namespace)); err != nil {
		return fmt.Errorf("listing the VMs of namespace %s: %w", a.Namespace, err)
	}
	live := VMsOf(vmList.Items)
	now := c.now()
	counted, keep := countedVMs(live, st.reserved, now)
	st.reserved = keep

	replaced := map[string]bool{}
	for _, vm := range a.VMs {
		replaced[vm.Name] = true
	}
	others := counted[:0:0]
	for _, vm := range counted {
		if !replaced[vm.Name] {
			others = append(others, vm)
		}
	}
	inUse, unknown := Sum(others, classes)
	if len(unknown) > 0 {
		// VMs whose class is no longer bound still count their class.
		var cluster kubevisorv1.ClusterVirtualMachineClassList
		if err := c.reader.List(ctx, &cluster); err != nil {
			return fmt.Errorf("listing ClusterVirtualMachineClasses: %w", err)
		}
		more, _ := Sum(unknown, ClassResources(nil, cluster.Items))
		inUse = inUse.Add(more)
	}
	requested, _ := Sum(a.VMs, classes)
	req := Request{Namespace: a.Namespace, Subject: a.Subject, Count: len(a.VMs)}
	if err := Check(req, limits, inUse, requested); err != nil {
		return err
	}
	if !a.DryRun {
		for _, vm := range a.VMs {
			st.reserved[vm.Name] = reservation{className: vm.ClassName, expires: now.Add(ReservationTTL)}
		}
	}
	return nil
}

// LimitsOf returns the CPU and memory limits of namespace, read from its
// SupervisorNamespace: the one of the same name, or the one whose
// status.namespace is namespace. A namespace without one has no limits.
func LimitsOf(ctx context.Context, reader client.Reader, namespace string) (Limits, error) {
	sn, err := SupervisorNamespaceOf(ctx, reader, namespace)
	if err != nil || sn == nil {
		return Limits{}, err
	}
	return limitsFrom(sn), nil
}

// SupervisorNamespaceOf returns the SupervisorNamespace of namespace: the
// one of the same name, or the one whose status.namespace is namespace. It
// returns nil, nil for a namespace without one.
func SupervisorNamespaceOf(ctx context.Context, reader client.Reader, namespace string) (*kubevisorv1.SupervisorNamespace, error) {
	sn := &kubevisorv1.SupervisorNamespace{}
	err := reader.Get(ctx, client.ObjectKey{Name: namespace}, sn)
	switch {
	case err == nil && (sn.Status.Namespace == "" || sn.Status.Namespace == namespace):
		return sn, nil
	case err != nil && !apierrors.IsNotFound(err):
		return nil, fmt.Errorf("reading SupervisorNamespace %s: %w", namespace, err)
	}
	var list kubevisorv1.SupervisorNamespaceList
	if err := reader.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("listing SupervisorNamespaces: %w", err)
	}
	for i := range list.Items {
		if list.Items[i].Status.Namespace == namespace {
			return &list.Items[i], nil
		}
	}
	return nil, nil
}

func limitsFrom(sn *kubevisorv1.SupervisorNamespace) Limits {
	l := Limits{Source: "SupervisorNamespace " + sn.Name}
	if sn.Spec.Limits.CPU != nil {
		q := sn.Spec.Limits.CPU.DeepCopy()
		l.CPU = &q
	}
	if sn.Spec.Limits.Memory != nil {
		q := sn.Spec.Limits.Memory.DeepCopy()
		l.Memory = &q
	}
	return l
}

// ClassResources maps class names to their hardware: the classes bound to
// a namespace first, then cluster classes of names not bound.
func ClassResources(bound []vmopv1.VirtualMachineClass, cluster []kubevisorv1.ClusterVirtualMachineClass) map[string]Resources {
	m := make(map[string]Resources, len(bound)+len(cluster))
	for _, c := range cluster {
		m[c.Name] = NewResources(c.Spec.Hardware.CPUs, c.Spec.Hardware.Memory)
	}
	for _, c := range bound {
		m[c.Name] = NewResources(c.Spec.Hardware.Cpus, c.Spec.Hardware.Memory)
	}
	return m
}

// VMsOf returns the VMs of vms that have a class.
func VMsOf(vms []vmopv1.VirtualMachine) []VM {
	out := make([]VM, 0, len(vms))
	for _, vm := range vms {
		if vm.Spec.ClassName != "" {
			out = append(out, VM{Name: vm.Name, ClassName: vm.Spec.ClassName})
		}
	}
	return out
}

// ClassNotBoundError says that a VM names a class that is not bound to its
// namespace.
type ClassNotBoundError struct {
	// Namespace is the VM's namespace.
	Namespace string
	// Class is the class it names.
	Class string
	// Subject names the object that asks, such as `VirtualMachine "vm-1"`.
	Subject string
}

func (e *ClassNotBoundError) Error() string {
	subject := ""
	if e.Subject != "" {
		subject = e.Subject + ": "
	}
	return fmt.Sprintf("%sVirtualMachineClass %q is not bound to namespace %s: use a class bound to it (kubectl get virtualmachineclasses -n %s), or ask the administrator to bind it (kubevisor namespace update %s --vm-class %s)",
		subject, e.Class, e.Namespace, e.Namespace, e.Namespace, e.Class)
}
