package infrastructure

import (
	"fmt"
	"net/netip"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"

	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	vmwarev1 "github.com/kubevisor/kubevisor/api/vmware/v1beta1"
)

const (
	// APIServerPort is the port of the control-plane endpoint and of the
	// API servers behind it.
	APIServerPort = 6443
	// APIServerPortName names the endpoint's port on the
	// VirtualMachineService.
	APIServerPortName = "apiserver"
)

// ResourcePolicyName is the name of a cluster's
// VirtualMachineSetResourcePolicy: the Cluster's name, as CAPV names it.
func ResourcePolicyName(clusterName string) string { return clusterName }

// ControlPlaneServiceName is the name of a cluster's control-plane
// VirtualMachineService: the Cluster's name, as CAPV (since v1.13) names it.
func ControlPlaneServiceName(clusterName string) string { return clusterName }

// WorkerClusterModuleGroup is the cluster module group of a cluster's
// worker VMs: CAPV's "<cluster>-workers-0", the same for every
// MachineDeployment.
func WorkerClusterModuleGroup(clusterName string) string { return clusterName + "-workers-0" }

// controlPlaneSelector selects a cluster's control-plane VMs.
func controlPlaneSelector(clusterName string) map[string]string {
	return map[string]string{
		vmwarev1.ClusterNameLabel: clusterName,
		vmwarev1.ClusterRoleLabel: vmwarev1.ClusterRoleControlPlane,
	}
}

// desiredResourcePolicy is the resource policy of the cluster clusterName:
// a resource pool and folder named after it, and the anti-affinity groups
// of its control-plane and worker VMs.
func desiredResourcePolicy(vsc *vmwarev1.VSphereCluster, clusterName string) *vmopv1.VirtualMachineSetResourcePolicy {
	return &vmopv1.VirtualMachineSetResourcePolicy{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: vsc.Namespace,
			Name:      ResourcePolicyName(clusterName),
			Labels:    map[string]string{clusterv1.ClusterNameLabel: clusterName},
		},
		Spec: vmopv1.VirtualMachineSetResourcePolicySpec{
			ResourcePool: vmopv1.ResourcePoolSpec{Name: clusterName},
			Folder:       clusterName,
			ClusterModuleGroups: []string{
				vmwarev1.ControlPlaneClusterModuleGroup,
				WorkerClusterModuleGroup(clusterName),
			},
		},
	}
}

// desiredControlPlaneService is the load balancer in front of the cluster's
// control-plane VMs.
func desiredControlPlaneService(vsc *vmwarev1.VSphereCluster, clusterName string) *vmopv1.VirtualMachineService {
	return &vmopv1.VirtualMachineService{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: vsc.Namespace,
			Name:      ControlPlaneServiceName(clusterName),
			Labels:    map[string]string{clusterv1.ClusterNameLabel: clusterName},
		},
		Spec: vmopv1.VirtualMachineServiceSpec{
			Type: vmopv1.VirtualMachineServiceTypeLoadBalancer,
			Ports: []vmopv1.VirtualMachineServicePort{{
				Name:       APIServerPortName,
				Protocol:   "TCP",
				Port:       APIServerPort,
				TargetPort: APIServerPort,
			}},
			Selector: controlPlaneSelector(clusterName),
		},
	}
}

// mergeLabels sets want's labels on obj, keeping its others; it reports a
// change.
func mergeLabels(obj metav1.Object, want map[string]string) bool {
	labels, changed := mergeMap(obj.GetLabels(), want)
	if changed {
		obj.SetLabels(labels)
	}
	return changed
}

// mergeAnnotations sets want's annotations on obj, keeping its others; it
// reports a change.
func mergeAnnotations(obj metav1.Object, want map[string]string) bool {
	annotations, changed := mergeMap(obj.GetAnnotations(), want)
	if changed {
		obj.SetAnnotations(annotations)
	}
	return changed
}

// mergeMap sets want's entries in have (allocated when nil) and reports
// whether that changed anything.
func mergeMap(have, want map[string]string) (map[string]string, bool) {
	changed := false
	for k, v := range want {
		if cur, ok := have[k]; ok && cur == v {
			continue
		}
		if have == nil {
			have = map[string]string{}
		}
		have[k] = v
		changed = true
	}
	return have, changed
}

// controlPlaneEndpoint is the endpoint a control-plane service offers: its
// first IPv4 load-balancer address (or else its first IPv6 one) and the
// port of its apiserver port. It is zero while the service has no address.
func controlPlaneEndpoint(svc *vmopv1.VirtualMachineService) (vmwarev1.APIEndpoint, error) {
	if svc.Spec.Type != vmopv1.VirtualMachineServiceTypeLoadBalancer {
		return vmwarev1.APIEndpoint{}, fmt.Errorf("VirtualMachineService %s is of type %s, not LoadBalancer", svc.Name, svc.Spec.Type)
	}
	port := int32(0)
	for _, p := range svc.Spec.Ports {
		if p.Name == APIServerPortName && (p.Protocol == "" || p.Protocol == "TCP") {
			port = p.Port
			break
		}
	}
	if port == 0 {
		return vmwarev1.APIEndpoint{}, fmt.Errorf("VirtualMachineService %s has no TCP port named %q", svc.Name, APIServerPortName)
	}
	var v4, v6 string
	for _, in := range svc.Status.LoadBalancer.Ingress {
		ip, err := netip.ParseAddr(in.IP)
		switch {
		case err != nil:
			continue
		case ip.Is4() && v4 == "":
			v4 = in.IP
		case ip.Is6() && v6 == "":
			v6 = in.IP
		}
	}
	host := v4
	if host == "" {
		host = v6
	}
	if host == "" {
		return vmwarev1.APIEndpoint{}, nil
	}
	return vmwarev1.APIEndpoint{Host: host, Port: port}, nil
}

// failureDomains are the failure domains of a cluster: one per zone, sorted
// by name, suitable for control-plane machines unless a selector leaves the
// zone out. No zones, no failure domains: machines go where the VM Service
// puts them.
func failureDomains(zones []kubevisorv1.Zone, selector *metav1.LabelSelector) ([]vmwarev1.FailureDomain, error) {
	sel := labels.Everything()
	if selector != nil {
		var err error
		if sel, err = metav1.LabelSelectorAsSelector(selector); err != nil {
			return nil, fmt.Errorf("spec.failureDomains.controlPlane.selector: %w", err)
		}
	}
	var out []vmwarev1.FailureDomain
	for i := range zones {
		z := &zones[i]
		if !z.DeletionTimestamp.IsZero() {
			continue
		}
		out = append(out, vmwarev1.FailureDomain{
			Name:         z.Name,
			ControlPlane: ptr.To(sel.Matches(labels.Set(z.Labels))),
		})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
