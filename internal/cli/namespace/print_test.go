package namespace

import (
	"bytes"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kubevisorv1alpha1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
)

func TestDescribeAndTable(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	full := kubevisorv1alpha1.SupervisorNamespace{
		ObjectMeta: metav1.ObjectMeta{Name: "team-a", CreationTimestamp: metav1.NewTime(now.Add(-3 * time.Hour))},
		Spec: kubevisorv1alpha1.SupervisorNamespaceSpec{
			Permissions:      []kubevisorv1alpha1.Permission{perm(user("alice"), kubevisorv1alpha1.RoleOwner), perm(group("devs"), kubevisorv1alpha1.RoleEdit)},
			Limits:           kubevisorv1alpha1.ResourceLimits{CPU: q("8"), Memory: q("32Gi")},
			StorageClasses:   []kubevisorv1alpha1.StorageClassAssignment{{Name: "gold", Limit: q("100Gi")}, {Name: "silver"}},
			VMClasses:        []string{"best-effort-small", "best-effort-large"},
			ContentLibraries: []string{"tkrs"},
		},
		Status: kubevisorv1alpha1.SupervisorNamespaceStatus{
			Namespace: "team-a",
			Usage:     kubevisorv1alpha1.ResourceUsage{CPU: q("2"), Memory: q("4Gi")},
			Conditions: []metav1.Condition{{
				Type: kubevisorv1alpha1.ReadyCondition, Status: metav1.ConditionTrue, Reason: "NamespaceReady",
				LastTransitionTime: metav1.NewTime(now.Add(-time.Hour)),
			}},
		},
	}
	empty := kubevisorv1alpha1.SupervisorNamespace{ObjectMeta: metav1.ObjectMeta{Name: "bare"}}

	tests := []struct {
		name  string
		print func(*bytes.Buffer) error
		want  []string
	}{
		{
			name:  "describe",
			print: func(b *bytes.Buffer) error { return describe(b, &full, now) },
			want: []string{
				"Name:                  team-a\n",
				"Ready:                 True\n",
				"Age:                   3h\n",
				"  Owner  user:alice\n",
				"  Edit   group:devs\n",
				"  cpu       8         2\n",
				"  memory    32Gi      4Gi\n",
				"  storage   no limit  0\n",
				"  gold    100Gi\n",
				"  silver  the namespace's storage limit\n",
				"VM classes:         best-effort-small, best-effort-large\n",
				"Content libraries:  tkrs\n",
				"  Ready  True    NamespaceReady  60m",
			},
		},
		{
			name:  "describe an empty namespace",
			print: func(b *bytes.Buffer) error { return describe(b, &empty, now) },
			want:  []string{"(not created yet)", "Ready:                 Unknown", "only administrators", "VM classes:         (none)", "(none reported yet)"},
		},
		{
			name: "table",
			print: func(b *bytes.Buffer) error {
				return printTable(b, []kubevisorv1alpha1.SupervisorNamespace{full, empty}, now)
			},
			want: []string{
				"NAME     READY     CPU   MEMORY     STORAGE   PERMISSIONS   AGE\n",
				"team-a   True      2/8   4Gi/32Gi   0/-       2             3h\n",
				"bare     Unknown   0/-   0/-        0/-       0             <unknown>\n",
			},
		},
		{
			name:  "empty table",
			print: func(b *bytes.Buffer) error { return printTable(b, nil, now) },
			want:  []string{"No namespaces. Create one with `kubevisor namespace create NAME`."},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.print(&b); err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(b.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, b.String())
				}
			}
		})
	}
}
