package virtualmachineservice

import (
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
)

// DesiredService is the core Service of svc, without owner: selector-less,
// same name and ports, type ExternalName for ExternalName services and
// ClusterIP otherwise (the load balancer is kubevisor's own, not the
// Service's), and svc's labels.
func DesiredService(svc *vmopv1.VirtualMachineService) *corev1.Service {
	s := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: svc.Namespace,
			Name:      svc.Name,
			Labels:    maps.Clone(svc.Labels),
		},
		Spec: corev1.ServiceSpec{
			Type:      corev1.ServiceTypeClusterIP,
			ClusterIP: svc.Spec.ClusterIP,
		},
	}
	if svc.Spec.Type == vmopv1.VirtualMachineServiceTypeExternalName {
		s.Spec.Type = corev1.ServiceTypeExternalName
		s.Spec.ExternalName = svc.Spec.ExternalName
		s.Spec.ClusterIP = ""
	}
	for _, p := range svc.Spec.Ports {
		s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{
			Name:       p.Name,
			Protocol:   protocol(p),
			Port:       p.Port,
			TargetPort: intstr.FromInt32(p.TargetPort),
		})
	}
	return s
}

// mustReplaceService reports whether have can only become want by
// deleting and creating it again: a cluster IP cannot change, and a
// service cannot move between ExternalName and the other types with its
// cluster IP kept.
func mustReplaceService(have, want *corev1.Service) bool {
	isExternal := func(s *corev1.Service) bool { return s.Spec.Type == corev1.ServiceTypeExternalName }
	switch {
	case isExternal(have) != isExternal(want):
		return true
	case isExternal(want):
		return false
	case want.Spec.ClusterIP != "":
		return have.Spec.ClusterIP != want.Spec.ClusterIP
	default:
		return have.Spec.ClusterIP == corev1.ClusterIPNone
	}
}

// updateService copies the fields this controller owns from want to have
// and reports whether anything changed. Fields the API server defaults
// (session affinity, IP families, ...) are left alone.
func updateService(have, want *corev1.Service) bool {
	changed := false
	if have.Spec.Type != want.Spec.Type {
		have.Spec.Type = want.Spec.Type
		changed = true
	}
	if have.Spec.ExternalName != want.Spec.ExternalName {
		have.Spec.ExternalName = want.Spec.ExternalName
		changed = true
	}
	if len(have.Spec.Selector) > 0 {
		have.Spec.Selector = nil
		changed = true
	}
	samePort := func(a, b corev1.ServicePort) bool {
		return a.Name == b.Name && a.Protocol == b.Protocol && a.Port == b.Port && a.TargetPort == b.TargetPort
	}
	if !slices.EqualFunc(have.Spec.Ports, want.Spec.Ports, samePort) {
		have.Spec.Ports = want.Spec.Ports
		changed = true
	}
	return mergeLabels(&have.ObjectMeta, want.Labels) || changed
}

// mergeLabels sets want's labels on m, keeping m's others, and reports
// whether anything changed.
func mergeLabels(m *metav1.ObjectMeta, want map[string]string) bool {
	changed := false
	for k, v := range want {
		if old, ok := m.Labels[k]; ok && old == v {
			continue
		}
		if m.Labels == nil {
			m.Labels = map[string]string{}
		}
		m.Labels[k] = v
		changed = true
	}
	return changed
}
