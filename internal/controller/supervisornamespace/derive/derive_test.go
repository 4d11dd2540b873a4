package derive

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	kubevisorv1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
)

func q(s string) *resource.Quantity {
	v := resource.MustParse(s)
	return &v
}

func perm(kind kubevisorv1.SubjectKind, name string, role kubevisorv1.Role) kubevisorv1.Permission {
	return kubevisorv1.Permission{Subject: kubevisorv1.Subject{Kind: kind, Name: name}, Role: role}
}

func TestSubjectName(t *testing.T) {
	tests := []struct{ in, want string }{
		{"alice", "sso:alice"},
		{"devs", "sso:devs"},
		{"oidc:bob", "oidc:bob"},
		{"sso:carol", "sso:carol"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := SubjectName(tt.in); got != tt.want {
				t.Errorf("SubjectName(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRoleBindingName(t *testing.T) {
	tests := []struct {
		name       string
		p          kubevisorv1.Permission
		wantPrefix string
	}{
		{"sso user", perm(kubevisorv1.SubjectKindUser, "alice", kubevisorv1.RoleOwner), "kubevisor-owner-user-alice-"},
		{"group", perm(kubevisorv1.SubjectKindGroup, "Dev Team", kubevisorv1.RoleEdit), "kubevisor-edit-group-dev-team-"},
		{"oidc user with email", perm(kubevisorv1.SubjectKindUser, "oidc:Bob@Example.com", kubevisorv1.RoleView), "kubevisor-view-user-oidc-bob-example-com-"},
		{"no usable character", perm(kubevisorv1.SubjectKindUser, "@@", kubevisorv1.RoleView), "kubevisor-view-user-x-"},
		{"long name is cut", perm(kubevisorv1.SubjectKindUser, strings.Repeat("a", 300), kubevisorv1.RoleView), "kubevisor-view-user-" + strings.Repeat("a", 40) + "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := RoleBindingName(tt.p)
			if !strings.HasPrefix(got, tt.wantPrefix) || len(got) != len(tt.wantPrefix)+8 {
				t.Errorf("RoleBindingName = %q, want %q followed by 8 hex digits", got, tt.wantPrefix)
			}
			if got != RoleBindingName(tt.p) {
				t.Errorf("RoleBindingName is not deterministic")
			}
		})
	}
	// Names that sanitize alike still get different bindings.
	a := RoleBindingName(perm(kubevisorv1.SubjectKindUser, "a.b", kubevisorv1.RoleView))
	b := RoleBindingName(perm(kubevisorv1.SubjectKindUser, "a-b", kubevisorv1.RoleView))
	if a == b {
		t.Errorf("users a.b and a-b share the RoleBinding name %q", a)
	}
}

func TestRoleBindings(t *testing.T) {
	sn := &kubevisorv1.SupervisorNamespace{
		ObjectMeta: metav1.ObjectMeta{Name: "team-a"},
		Spec: kubevisorv1.SupervisorNamespaceSpec{Permissions: []kubevisorv1.Permission{
			perm(kubevisorv1.SubjectKindUser, "alice", kubevisorv1.RoleOwner),
			perm(kubevisorv1.SubjectKindGroup, "devs", kubevisorv1.RoleEdit),
			perm(kubevisorv1.SubjectKindUser, "oidc:bob", kubevisorv1.RoleView),
			perm(kubevisorv1.SubjectKindUser, "alice", kubevisorv1.RoleOwner), // duplicate
		}},
	}
	got := RoleBindings(sn)
	type want struct{ kind, subject, role string }
	wants := map[string]want{
		RoleBindingName(sn.Spec.Permissions[0]): {rbacv1.UserKind, "sso:alice", OwnerClusterRole},
		RoleBindingName(sn.Spec.Permissions[1]): {rbacv1.GroupKind, "sso:devs", EditorClusterRole},
		RoleBindingName(sn.Spec.Permissions[2]): {rbacv1.UserKind, "oidc:bob", ViewerClusterRole},
	}
	if len(got) != len(wants) {
		t.Fatalf("got %d RoleBindings, want %d", len(got), len(wants))
	}
	for i, rb := range got {
		if i > 0 && got[i-1].Name >= rb.Name {
			t.Errorf("RoleBindings are not sorted by name")
		}
		w, ok := wants[rb.Name]
		if !ok {
			t.Errorf("unexpected RoleBinding %s", rb.Name)
			continue
		}
		if rb.Namespace != "team-a" || rb.Labels[ManagedByLabel] != ManagedBy {
			t.Errorf("%s: namespace %q labels %v", rb.Name, rb.Namespace, rb.Labels)
		}
		s := rb.Subjects[0]
		if len(rb.Subjects) != 1 || s.Kind != w.kind || s.Name != w.subject || s.APIGroup != rbacv1.GroupName {
			t.Errorf("%s: subjects %+v, want one %s %s", rb.Name, rb.Subjects, w.kind, w.subject)
		}
		if rb.RoleRef.Kind != "ClusterRole" || rb.RoleRef.Name != w.role {
			t.Errorf("%s: roleRef %+v, want ClusterRole %s", rb.Name, rb.RoleRef, w.role)
		}
	}
}

func TestResourceQuota(t *testing.T) {
	gold := func(r string) corev1.ResourceName { return StorageClassResource("gold", r) }
	silver := func(r string) corev1.ResourceName { return StorageClassResource("silver", r) }
	tests := []struct {
		name     string
		spec     kubevisorv1.SupervisorNamespaceSpec
		policies []string
		want     corev1.ResourceList
	}{
		{name: "nothing", want: corev1.ResourceList{}},
		{
			name: "limits",
			spec: kubevisorv1.SupervisorNamespaceSpec{Limits: kubevisorv1.ResourceLimits{CPU: q("8"), Memory: q("32Gi"), Storage: q("100Gi")}},
			want: corev1.ResourceList{"limits.cpu": *q("8"), "limits.memory": *q("32Gi"), "requests.storage": *q("100Gi")},
		},
		{
			name:     "unassigned classes are closed",
			policies: []string{"gold", "silver"},
			spec:     kubevisorv1.SupervisorNamespaceSpec{StorageClasses: []kubevisorv1.StorageClassAssignment{{Name: "gold"}}},
			want: corev1.ResourceList{
				silver("persistentvolumeclaims"): *q("0"),
				silver("requests.storage"):       *q("0"),
			},
		},
		{
			name:     "assigned class with a limit",
			policies: []string{"gold", "silver"},
			spec: kubevisorv1.SupervisorNamespaceSpec{
				Limits:         kubevisorv1.ResourceLimits{Storage: q("100Gi")},
				StorageClasses: []kubevisorv1.StorageClassAssignment{{Name: "gold", Limit: q("10Gi")}, {Name: "silver"}},
			},
			want: corev1.ResourceList{"requests.storage": *q("100Gi"), gold("requests.storage"): *q("10Gi")},
		},
		{
			name: "assigned class without a policy keeps its limit",
			spec: kubevisorv1.SupervisorNamespaceSpec{StorageClasses: []kubevisorv1.StorageClassAssignment{{Name: "gold", Limit: q("1Gi")}}},
			want: corev1.ResourceList{gold("requests.storage"): *q("1Gi")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sn := &kubevisorv1.SupervisorNamespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}, Spec: tt.spec}
			got := ResourceQuota(sn, tt.policies)
			if got.Name != ResourceQuotaName || got.Namespace != "team-a" || got.Labels[ManagedByLabel] != ManagedBy {
				t.Errorf("metadata = %+v", got.ObjectMeta)
			}
			if !equality.Semantic.DeepEqual(got.Spec.Hard, tt.want) {
				t.Errorf("hard = %v, want %v", got.Spec.Hard, tt.want)
			}
		})
	}
}

func TestVirtualMachineClass(t *testing.T) {
	for _, class := range kubevisorv1.DefaultVirtualMachineClasses() {
		t.Run(class.Name, func(t *testing.T) {
			got := VirtualMachineClass("team-a", &class)
			want := vmopv1.VirtualMachineClassSpec{
				Description: class.Spec.Description,
				Hardware:    vmopv1.VirtualMachineClassHardware{Cpus: class.Spec.Hardware.CPUs, Memory: class.Spec.Hardware.Memory},
			}
			if r := class.Spec.Policies.Resources.Requests; r.CPU != nil {
				want.Policies.Resources.Requests = vmopv1.VirtualMachineResourceSpec{Cpu: *r.CPU, Memory: *r.Memory}
			}
			if got.Name != class.Name || got.Namespace != "team-a" || got.Labels[ManagedByLabel] != ManagedBy {
				t.Errorf("metadata = %+v", got.ObjectMeta)
			}
			if !equality.Semantic.DeepEqual(got.Spec, want) {
				t.Errorf("spec = %+v, want %+v", got.Spec, want)
			}
		})
	}
}

func TestContentLibrary(t *testing.T) {
	tests := []struct {
		name       string
		naming     imgregv1.ResourceNamingStrategy
		wantNaming imgregv1.ResourceNamingStrategy
	}{
		{"default naming", "", imgregv1.ResourceNamingStrategyFromItemID},
		{"naming copied", imgregv1.ResourceNamingStrategyPreferItemSourceID, imgregv1.ResourceNamingStrategyPreferItemSourceID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lib := &imgregv1.ClusterContentLibrary{
				ObjectMeta: metav1.ObjectMeta{Name: "tkr"},
				Spec: imgregv1.ClusterContentLibrarySpec{BaseContentLibrarySpec: imgregv1.BaseContentLibrarySpec{
					UUID: "1234", ResourceNamingStrategy: tt.naming,
					Publication: &imgregv1.ContentLibraryPublication{Enabled: true},
				}},
			}
			got := ContentLibrary("team-a", lib)
			if got.Name != "tkr" || got.Namespace != "team-a" || got.Labels[ManagedByLabel] != ManagedBy {
				t.Errorf("metadata = %+v", got.ObjectMeta)
			}
			if got.Spec.UUID != "1234" || got.Spec.Writable || got.Spec.AllowImport || got.Spec.Publication != nil || got.Spec.ResourceNamingStrategy != tt.wantNaming {
				t.Errorf("spec = %+v", got.Spec)
			}
		})
	}
}
