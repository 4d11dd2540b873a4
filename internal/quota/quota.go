package quota

import (
	"fmt"
	"strconv"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Resources is an amount of CPU (in cores) and memory.
type Resources struct {
	// CPU is a number of cores.
	CPU resource.Quantity
	// Memory is an amount of memory.
	Memory resource.Quantity
}

// NewResources returns cpus cores and memory.
func NewResources(cpus int64, memory resource.Quantity) Resources {
	return Resources{CPU: *resource.NewQuantity(cpus, resource.DecimalSI), Memory: memory.DeepCopy()}
}

// Add returns r plus o; neither is changed.
func (r Resources) Add(o Resources) Resources {
	out := Resources{CPU: r.CPU.DeepCopy(), Memory: r.Memory.DeepCopy()}
	out.CPU.Add(o.CPU)
	out.Memory.Add(o.Memory)
	return out
}

// VM is a VirtualMachine as the quota sees it: its name and its class.
type VM struct {
	// Name is the VM's object name.
	Name string
	// ClassName is the name of its VirtualMachineClass.
	ClassName string
}

// Sum adds up the classes of vms. A VM whose class is not in classes
// counts nothing and is returned in unknown.
func Sum(vms []VM, classes map[string]Resources) (total Resources, unknown []VM) {
	total = NewResources(0, *resource.NewQuantity(0, resource.BinarySI))
	for _, vm := range vms {
		res, ok := classes[vm.ClassName]
		if !ok {
			unknown = append(unknown, vm)
			continue
		}
		total = total.Add(res)
	}
	return total, unknown
}

// Limits are the CPU and memory caps of a namespace; nil means no cap.
type Limits struct {
	// CPU caps the cores of all VMs of the namespace together.
	CPU *resource.Quantity
	// Memory caps their memory.
	Memory *resource.Quantity
	// Source names where the limits are set, such as
	// "SupervisorNamespace team-a"; refusals point the user at it.
	Source string
}

// Request describes what asks to be admitted, for messages.
type Request struct {
	// Namespace is where the VMs go.
	Namespace string
	// Subject names the object that asks, such as `VirtualMachine "vm-1"`
	// or `TanzuKubernetesCluster "prod"`.
	Subject string
	// Count is the number of VMs asked for.
	Count int
}

// Check returns an *ExceededError when inUse plus requested is over one of
// limits, CPU first, and nil otherwise.
func Check(req Request, limits Limits, inUse, requested Resources) error {
	checks := []struct {
		resource, field string
		limit           *resource.Quantity
		inUse, request  resource.Quantity
	}{
		{ResourceCPU, "spec.limits.cpu", limits.CPU, inUse.CPU, requested.CPU},
		{ResourceMemory, "spec.limits.memory", limits.Memory, inUse.Memory, requested.Memory},
	}
	for _, c := range checks {
		if c.limit == nil {
			continue
		}
		total := c.inUse.DeepCopy()
		total.Add(c.request)
		if total.Cmp(*c.limit) > 0 {
			return &ExceededError{
				Request:   req,
				Resource:  c.resource,
				Requested: c.request.DeepCopy(),
				InUse:     c.inUse.DeepCopy(),
				Limit:     c.limit.DeepCopy(),
				LimitName: limitName(limits.Source, c.field),
			}
		}
	}
	return nil
}

func limitName(source, field string) string {
	if source == "" {
		return field
	}
	return source + " " + field
}

// The resources an ExceededError can name.
const (
	ResourceCPU    = "CPU"
	ResourceMemory = "memory"
)

// ExceededError says that a request would take a namespace over a limit.
type ExceededError struct {
	// Request is what was refused.
	Request Request
	// Resource is ResourceCPU or ResourceMemory.
	Resource string
	// Requested is what the request needs, InUse what the namespace's
	// other VMs already use, and Limit the cap.
	Requested, InUse, Limit resource.Quantity
	// LimitName says where the limit is set, such as
	// "SupervisorNamespace team-a spec.limits.cpu".
	LimitName string
}

func (e *ExceededError) Error() string {
	who := "this VM needs"
	if e.Request.Count != 1 {
		who = fmt.Sprintf("these %d VMs need", e.Request.Count)
	}
	subject := ""
	if e.Request.Subject != "" {
		subject = e.Request.Subject + " "
	}
	if e.Resource == ResourceCPU {
		return fmt.Sprintf("%sexceeds the CPU limit of namespace %s: %s %s, %s in use, the limit (%s) is %s",
			subject, e.Request.Namespace, who, cpus(e.Requested), isAre(e.InUse, cores(e.InUse)), e.LimitName, cores(e.Limit))
	}
	return fmt.Sprintf("%sexceeds the memory limit of namespace %s: %s %s of memory, %s is in use, the limit (%s) is %s",
		subject, e.Request.Namespace, who, e.Requested.String(), e.InUse.String(), e.LimitName, e.Limit.String())
}

// cores formats a CPU quantity as a plain number of cores: 4, 2.5.
func cores(q resource.Quantity) string {
	if q.MilliValue()%1000 == 0 {
		return strconv.FormatInt(q.Value(), 10)
	}
	return strconv.FormatFloat(float64(q.MilliValue())/1000, 'f', -1, 64)
}

// cpus is cores with its unit: 1 CPU, 4 CPUs.
func cpus(q resource.Quantity) string {
	if q.Cmp(*resource.NewQuantity(1, resource.DecimalSI)) == 0 {
		return "1 CPU"
	}
	return cores(q) + " CPUs"
}

// isAre is a number of cores followed by the verb that agrees with it.
func isAre(q resource.Quantity, s string) string {
	if q.Cmp(*resource.NewQuantity(1, resource.DecimalSI)) == 0 {
		return s + " is"
	}
	return s + " are"
}
