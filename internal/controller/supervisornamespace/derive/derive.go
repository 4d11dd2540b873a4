package derive

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
)

// Labels of the derived objects.
const (
	// ManagedByLabel marks objects a kubevisor controller maintains; the
	// admission policies let only the Supervisor change them.
	ManagedByLabel = "kubevisor.io/managed-by"
	// ManagedBy is ManagedByLabel's value on the objects of this package.
	ManagedBy = "supervisornamespace"
	// SupervisorNamespaceLabel is on every Namespace made for a
	// SupervisorNamespace; its value is the SupervisorNamespace's name.
	SupervisorNamespaceLabel = "kubevisor.io/supervisor-namespace"
)

// Names of the singleton objects in every namespace.
const (
	// ResourceQuotaName is the ResourceQuota of the namespace's limits.
	ResourceQuotaName = "kubevisor-limits"
	// LimitRangeName is the LimitRange of container defaults.
	LimitRangeName = "kubevisor-defaults"
)

// The ClusterRoles behind the roles (config/bootstrap/10-rbac.yaml).
const (
	OwnerClusterRole  = "kubevisor:namespace-owner"
	EditorClusterRole = "kubevisor:namespace-editor"
	ViewerClusterRole = "kubevisor:namespace-viewer"
)

// SSOPrefix starts the Kubernetes user and group names of the
// Supervisor's single sign-on: the API server maps its tokens so.
const SSOPrefix = "sso:"

// Default resources of containers without their own (LimitRange).
var (
	DefaultCPURequest    = resource.MustParse("100m")
	DefaultMemoryRequest = resource.MustParse("128Mi")
	DefaultCPULimit      = resource.MustParse("500m")
	DefaultMemoryLimit   = resource.MustParse("512Mi")
)

func labels() map[string]string { return map[string]string{ManagedByLabel: ManagedBy} }

// Namespace is the Namespace of sn.
func Namespace(sn *kubevisorv1.SupervisorNamespace) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		Name:   sn.Name,
		Labels: map[string]string{SupervisorNamespaceLabel: sn.Name},
	}}
}

// ClusterRole is the ClusterRole of role.
func ClusterRole(role kubevisorv1.Role) string {
	switch role {
	case kubevisorv1.RoleOwner:
		return OwnerClusterRole
	case kubevisorv1.RoleEdit:
		return EditorClusterRole
	default:
		return ViewerClusterRole
	}
}

// SubjectName is the Kubernetes user or group name of a permission's
// subject: an SSO name gets SSOPrefix; a name that already has a prefix
// (such as "oidc:bob") is used as it is.
func SubjectName(name string) string {
	if strings.Contains(name, ":") {
		return name
	}
	return SSOPrefix + name
}

// RoleBindingName is the name of the RoleBinding of p: readable, and unique
// per role and subject, since the hash covers the exact subject.
func RoleBindingName(p kubevisorv1.Permission) string {
	kind := strings.ToLower(string(p.Subject.Kind))
	sum := sha256.Sum256([]byte(kind + "\x00" + p.Subject.Name))
	return "kubevisor-" + strings.ToLower(string(p.Role)) + "-" + kind + "-" + sanitize(p.Subject.Name, 40) + "-" + hex.EncodeToString(sum[:])[:8]
}

// sanitize keeps the lower-case letters and digits of s, turns every run of
// other characters into one "-" and cuts the result to at most n.
func sanitize(s string, n int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	out := b.String()
	if len(out) > n {
		out = out[:n]
	}
	out = strings.Trim(out, "-")
	if out == "" {
		return "x"
	}
	return out
}

// RoleBindings are the RoleBindings of sn's permissions, one per distinct
// role and subject, sorted by name.
func RoleBindings(sn *kubevisorv1.SupervisorNamespace) []rbacv1.RoleBinding {
	seen := map[string]bool{}
	var out []rbacv1.RoleBinding
	for _, p := range sn.Spec.Permissions {
		name := RoleBindingName(p)
		if seen[name] {
			continue
		}
		seen[name] = true
		kind := rbacv1.UserKind
		if p.Subject.Kind == kubevisorv1.SubjectKindGroup {
			kind = rbacv1.GroupKind
		}
		out = append(out, rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: sn.Name, Labels: labels()},
			Subjects: []rbacv1.Subject{{
				Kind:     kind,
				APIGroup: rbacv1.GroupName,
				Name:     SubjectName(p.Subject.Name),
			}},
			RoleRef: rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: ClusterRole(p.Role)},
		})
	}
	slices.SortFunc(out, func(a, b rbacv1.RoleBinding) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// StorageClassResource is the ResourceQuota resource of one storage class.
func StorageClassResource(class, resource string) corev1.ResourceName {
	return corev1.ResourceName(class + ".storageclass.storage.k8s.io/" + resource)
}

// ResourceQuota is the quota of sn, given the names of every StoragePolicy
// (and so StorageClass) there is:
//   - limits.cpu and limits.memory of pods from spec.limits.cpu/memory (the
//     CPU and memory of VMs are checked by the VirtualMachine webhook);
//   - requests.storage from spec.limits.storage;
//   - per assigned storage class with a limit, its requests.storage;
//   - per storage class not assigned, no claims and no storage at all, so
//     that the built-in quota admission refuses claims of that class.
func ResourceQuota(sn *kubevisorv1.SupervisorNamespace, storagePolicies []string) *corev1.ResourceQuota {
	hard := corev1.ResourceList{}
	if l := sn.Spec.Limits.CPU; l != nil {
		hard[corev1.ResourceLimitsCPU] = l.DeepCopy()
	}
	if l := sn.Spec.Limits.Memory; l != nil {
		hard[corev1.ResourceLimitsMemory] = l.DeepCopy()
	}
	if l := sn.Spec.Limits.Storage; l != nil {
		hard[corev1.ResourceRequestsStorage] = l.DeepCopy()
	}
	assigned := map[string]*resource.Quantity{}
	for _, a := range sn.Spec.StorageClasses {
		assigned[a.Name] = a.Limit
		if a.Limit != nil {
			hard[StorageClassResource(a.Name, string(corev1.ResourceRequestsStorage))] = a.Limit.DeepCopy()
		}
	}
	for _, p := range storagePolicies {
		if _, ok := assigned[p]; ok {
			continue
		}
		hard[StorageClassResource(p, string(corev1.ResourcePersistentVolumeClaims))] = resource.MustParse("0")
		hard[StorageClassResource(p, string(corev1.ResourceRequestsStorage))] = resource.MustParse("0")
	}
	return &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Name: ResourceQuotaName, Namespace: sn.Name, Labels: labels()},
		Spec:       corev1.ResourceQuotaSpec{Hard: hard},
	}
}

// LimitRange gives containers without requests or limits of their own the
// defaults, so that the quota on limits.cpu and limits.memory does not
// refuse them.
func LimitRange(sn *kubevisorv1.SupervisorNamespace) *corev1.LimitRange {
	return &corev1.LimitRange{
		ObjectMeta: metav1.ObjectMeta{Name: LimitRangeName, Namespace: sn.Name, Labels: labels()},
		Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
			Type: corev1.LimitTypeContainer,
			Default: corev1.ResourceList{
				corev1.ResourceCPU:    DefaultCPULimit.DeepCopy(),
				corev1.ResourceMemory: DefaultMemoryLimit.DeepCopy(),
			},
			DefaultRequest: corev1.ResourceList{
				corev1.ResourceCPU:    DefaultCPURequest.DeepCopy(),
				corev1.ResourceMemory: DefaultMemoryRequest.DeepCopy(),
			},
		}}},
	}
}

// VirtualMachineClass is the copy of class in namespace: its hardware,
// reservations, caps and description.
func VirtualMachineClass(namespace string, class *kubevisorv1.ClusterVirtualMachineClass) *vmopv1.VirtualMachineClass {
	return &vmopv1.VirtualMachineClass{
		ObjectMeta: metav1.ObjectMeta{Name: class.Name, Namespace: namespace, Labels: labels()},
		Spec: vmopv1.VirtualMachineClassSpec{
			Description: class.Spec.Description,
			Hardware: vmopv1.VirtualMachineClassHardware{
				Cpus:   class.Spec.Hardware.CPUs,
				Memory: class.Spec.Hardware.Memory.DeepCopy(),
			},
			Policies: vmopv1.VirtualMachineClassPolicies{Resources: vmopv1.VirtualMachineClassResources{
				Requests: resourceSpec(class.Spec.Policies.Resources.Requests),
				Limits:   resourceSpec(class.Spec.Policies.Resources.Limits),
			}},
		},
	}
}

func resourceSpec(r kubevisorv1.VirtualMachineResourceSpec) vmopv1.VirtualMachineResourceSpec {
	var out vmopv1.VirtualMachineResourceSpec
	if r.CPU != nil {
		out.Cpu = r.CPU.DeepCopy()
	}
	if r.Memory != nil {
		out.Memory = r.Memory.DeepCopy()
	}
	return out
}

// ContentLibrary is the binding of library into namespace: a read-only
// ContentLibrary of the same name and UUID.
func ContentLibrary(namespace string, library *imgregv1.ClusterContentLibrary) *imgregv1.ContentLibrary {
	naming := library.Spec.ResourceNamingStrategy
	if naming == "" {
		naming = imgregv1.ResourceNamingStrategyFromItemID
	}
	return &imgregv1.ContentLibrary{
		ObjectMeta: metav1.ObjectMeta{Name: library.Name, Namespace: namespace, Labels: labels()},
		Spec: imgregv1.ContentLibrarySpec{
			BaseContentLibrarySpec: imgregv1.BaseContentLibrarySpec{
				UUID:                   library.Spec.UUID,
				ResourceNamingStrategy: naming,
			},
			Writable: false,
		},
	}
}
