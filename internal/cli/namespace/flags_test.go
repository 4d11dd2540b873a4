package namespace

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/api/resource"

	kubevisorv1alpha1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
)

func q(s string) *resource.Quantity {
	v := resource.MustParse(s)
	return &v
}

func user(name string) kubevisorv1alpha1.Subject {
	return kubevisorv1alpha1.Subject{Kind: kubevisorv1alpha1.SubjectKindUser, Name: name}
}

func group(name string) kubevisorv1alpha1.Subject {
	return kubevisorv1alpha1.Subject{Kind: kubevisorv1alpha1.SubjectKindGroup, Name: name}
}

func perm(s kubevisorv1alpha1.Subject, r kubevisorv1alpha1.Role) kubevisorv1alpha1.Permission {
	return kubevisorv1alpha1.Permission{Subject: s, Role: r}
}

func TestParseSubject(t *testing.T) {
	tests := []struct {
		in      string
		want    kubevisorv1alpha1.Subject
		wantErr string
	}{
		{in: "user:alice", want: user("alice")},
		{in: "group:developers", want: group("developers")},
		{in: "User:alice", want: user("alice")},
		{in: "user:oidc:alice@example.com", want: user("oidc:alice@example.com")},
		{in: "alice", wantErr: `--owner "alice": a subject is user:NAME or group:NAME`},
		{in: "user:", wantErr: `--owner "user:"`},
		{in: "role:alice", wantErr: `--owner "role:alice"`},
		{in: "user:" + strings.Repeat("a", 257), wantErr: "longer than 256"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseSubject("owner", tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseSubject(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("parseSubject(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseQuantity(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		wantErr string
	}{
		{in: "4", want: "4"},
		{in: "500m", want: "500m"},
		{in: "16Gi", want: "16Gi"},
		{in: "0", want: "0"},
		{in: "-1", wantErr: `--cpu "-1": a limit must not be negative`},
		{in: "lots", wantErr: `--cpu "lots" is not a quantity`},
		{in: "", wantErr: `--cpu "" is not a quantity`},
		{in: "4 cores", wantErr: "is not a quantity"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseQuantity("cpu", tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseQuantity(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tt.want {
				t.Errorf("parseQuantity(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseStorageClass(t *testing.T) {
	tests := []struct {
		in        string
		wantName  string
		wantLimit string
		wantErr   string
	}{
		{in: "gold", wantName: "gold"},
		{in: "gold=100Gi", wantName: "gold", wantLimit: "100Gi"},
		{in: "gold=0", wantName: "gold", wantLimit: "0"},
		{in: "=100Gi", wantErr: `--storage-class "=100Gi": give a storage class as SC or SC=LIMIT`},
		{in: "gold=", wantErr: `the limit of gold "" is not`},
		{in: "gold=-5Gi", wantErr: `the limit of gold "-5Gi" is not a non-negative quantity`},
		{in: "gold=much", wantErr: `the limit of gold "much"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseStorageClass("storage-class", tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("parseStorageClass(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Name != tt.wantName || quantityOr(got.Limit, "") != tt.wantLimit {
				t.Errorf("parseStorageClass(%q) = %s=%s, want %s=%s", tt.in, got.Name, quantityOr(got.Limit, ""), tt.wantName, tt.wantLimit)
			}
		})
	}
}

// TestFlagsToSpec parses command lines as create and update do and checks
// the resulting spec.
func TestFlagsToSpec(t *testing.T) {
	base := kubevisorv1alpha1.SupervisorNamespaceSpec{
		Permissions: []kubevisorv1alpha1.Permission{
			perm(user("alice"), kubevisorv1alpha1.RoleOwner),
			perm(group("devs"), kubevisorv1alpha1.RoleEdit),
			perm(user("carol"), kubevisorv1alpha1.RoleView),
		},
		Limits:           kubevisorv1alpha1.ResourceLimits{CPU: q("4"), Memory: q("8Gi")},
		StorageClasses:   []kubevisorv1alpha1.StorageClassAssignment{{Name: "local", Limit: q("10Gi")}},
		VMClasses:        []string{"best-effort-small"},
		ContentLibraries: []string{"tkrs"},
	}
	tests := []struct {
		name    string
		update  bool
		args    []string
		want    func(s *kubevisorv1alpha1.SupervisorNamespaceSpec)
		wantErr string
	}{
		{
			name: "create with every flag",
			args: []string{"--owner", "user:alice", "--editor", "group:devs,user:bob", "--viewer", "user:carol",
				"--cpu", "8", "--memory", "32Gi", "--storage", "200Gi",
				"--vm-class", "best-effort-small", "--vm-class", "best-effort-medium", "--vm-class", "best-effort-small",
				"--storage-class", "local=100Gi", "--storage-class", "fast",
				"--content-library", "tkrs"},
			want: func(s *kubevisorv1alpha1.SupervisorNamespaceSpec) {
				*s = kubevisorv1alpha1.SupervisorNamespaceSpec{
					Permissions: []kubevisorv1alpha1.Permission{
						perm(user("alice"), kubevisorv1alpha1.RoleOwner),
						perm(group("devs"), kubevisorv1alpha1.RoleEdit),
						perm(user("bob"), kubevisorv1alpha1.RoleEdit),
						perm(user("carol"), kubevisorv1alpha1.RoleView),
					},
					Limits:           kubevisorv1alpha1.ResourceLimits{CPU: q("8"), Memory: q("32Gi"), Storage: q("200Gi")},
					StorageClasses:   []kubevisorv1alpha1.StorageClassAssignment{{Name: "local", Limit: q("100Gi")}, {Name: "fast"}},
					VMClasses:        []string{"best-effort-small", "best-effort-medium"},
					ContentLibraries: []string{"tkrs"},
				}
			},
		},
		{name: "create with nothing", want: func(s *kubevisorv1alpha1.SupervisorNamespaceSpec) { *s = kubevisorv1alpha1.SupervisorNamespaceSpec{} }},
		{name: "bad subject", args: []string{"--viewer", "carol"}, wantErr: `--viewer "carol"`},
		{name: "bad quantity", args: []string{"--memory", "8GB!"}, wantErr: `--memory "8GB!" is not a quantity`},
		{name: "negative quantity", args: []string{"--storage=-1Gi"}, wantErr: `--storage "-1Gi": a limit must not be negative`},
		{name: "none on create", args: []string{"--cpu", "none"}, wantErr: `--cpu "none" is not a quantity`},
		{name: "two roles", args: []string{"--owner", "user:a", "--viewer", "user:a"}, wantErr: "user:a is given both the Owner and the View role"},
		{name: "storage class twice", args: []string{"--storage-class", "a=1Gi", "--storage-class", "a"}, wantErr: "storage class a is given twice"},
		{name: "empty vm class", args: []string{"--vm-class", "a,,b"}, wantErr: "--vm-class: a name is empty"},
		{
			name: "update replaces only the given role", update: true,
			args: []string{"--editor", "user:dave"},
			want: func(s *kubevisorv1alpha1.SupervisorNamespaceSpec) {
				s.Permissions = []kubevisorv1alpha1.Permission{
					perm(user("alice"), kubevisorv1alpha1.RoleOwner),
					perm(user("carol"), kubevisorv1alpha1.RoleView),
					perm(user("dave"), kubevisorv1alpha1.RoleEdit),
				}
			},
		},
		{
			name: "update empties a role", update: true, args: []string{"--viewer="},
			want: func(s *kubevisorv1alpha1.SupervisorNamespaceSpec) { s.Permissions = s.Permissions[:2] },
		},
		{
			name: "update moves a subject to another role", update: true, args: []string{"--add-owner", "group:devs"},
			want: func(s *kubevisorv1alpha1.SupervisorNamespaceSpec) {
				s.Permissions = []kubevisorv1alpha1.Permission{
					perm(user("alice"), kubevisorv1alpha1.RoleOwner),
					perm(user("carol"), kubevisorv1alpha1.RoleView),
					perm(group("devs"), kubevisorv1alpha1.RoleOwner),
				}
			},
		},
		{
			name: "update removes a permission", update: true, args: []string{"--remove-permission", "user:carol"},
			want: func(s *kubevisorv1alpha1.SupervisorNamespaceSpec) { s.Permissions = s.Permissions[:2] },
		},
		{
			name: "update with a conflicting replace", update: true, args: []string{"--viewer", "user:alice"},
			wantErr: "user:alice is given both the Owner and the View role",
		},
		{
			name: "update limits", update: true, args: []string{"--cpu", "16", "--memory", "none", "--storage", "1Ti"},
			want: func(s *kubevisorv1alpha1.SupervisorNamespaceSpec) {
				s.Limits = kubevisorv1alpha1.ResourceLimits{CPU: q("16"), Storage: q("1Ti")}
			},
		},
		{
			name: "update lists", update: true,
			args: []string{"--add-vm-class", "best-effort-large", "--remove-vm-class", "best-effort-small",
				"--add-storage-class", "local=20Gi", "--add-storage-class", "fast", "--content-library="},
			want: func(s *kubevisorv1alpha1.SupervisorNamespaceSpec) {
				s.VMClasses = []string{"best-effort-large"}
				s.StorageClasses = []kubevisorv1alpha1.StorageClassAssignment{{Name: "local", Limit: q("20Gi")}, {Name: "fast"}}
				s.ContentLibraries = []string{}
			},
		},
		{
			name: "update replaces a list", update: true, args: []string{"--vm-class", "a,b", "--remove-storage-class", "local"},
			want: func(s *kubevisorv1alpha1.SupervisorNamespaceSpec) {
				s.VMClasses = []string{"a", "b"}
				s.StorageClasses = []kubevisorv1alpha1.StorageClassAssignment{}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var f specFlags
			fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
			f.addFlags(fs, tt.update)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			spec := kubevisorv1alpha1.SupervisorNamespaceSpec{}
			if tt.update {
				spec = *base.DeepCopy()
			}
			edit, err := f.parse(func(name string) bool { return fs.Changed(name) }, tt.update)
			if err == nil {
				edit.apply(&spec)
				err = checkSpec(&spec)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := kubevisorv1alpha1.SupervisorNamespaceSpec{}
			if tt.update {
				want = *base.DeepCopy()
			}
			tt.want(&want)
			if diff := cmp.Diff(want, spec, cmp.Comparer(func(a, b resource.Quantity) bool { return a.Cmp(b) == 0 })); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
		})
	}
}
