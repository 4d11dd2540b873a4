package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/kubevisor/kubevisor/test/framework"
)

// TestNamespace is the namespace service, through the real kubectl as the
// administrator: default VM classes, SupervisorNamespaces and what is
// derived from them, quota on VMs and storage, the roles, the admission
// policies that guard them, and deletion.
func TestNamespace(t *testing.T) {
	e := newNSEnv(t, shared)
	// The SSO users of teamA's permissions, for the tests that log in.
	c := adminClient(t, shared)
	createSSOUser(t, c, e.owner, ssoPassword)
	createSSOUser(t, c, e.editor, ssoPassword, e.editors)
	createSSOUser(t, c, e.viewer, ssoPassword)
	t.Run("DefaultVMClasses", e.checkDefaultVMClasses)
	t.Run("BadDefinitions", e.checkBadDefinitions)
	t.Run("DerivedObjects", e.checkDerivedObjects)
	t.Run("QuotaAndClasses", e.checkQuotaAndClasses)
	t.Run("Converges", e.checkConverges)
	t.Run("PermissionMatrix", e.checkPermissionMatrix)
	t.Run("PluginLogin", e.checkPluginLogin)
	t.Run("AdmissionPolicies", e.checkAdmissionPolicies)
	t.Run("MissingClassCondition", e.checkMissingClassCondition)
	t.Run("Deletion", e.checkDeletion)
}

// nsEnv holds the names of one run's cluster-wide objects. Storage
// policies, libraries and users get a suffix so that runs and other tests
// on the shared Supervisor do not meet.
type nsEnv struct {
	s   *framework.Supervisor
	sfx string

	// teamA has the permissions, limits and bindings under test; teamB is
	// "another namespace" that nobody of teamA has a role in.
	teamA, teamB string
	// gold is assigned to teamA with a limit; silver is not.
	gold, silver string
	library      string
	// The users and group of teamA's permissions.
	owner, editor, editors, viewer, oidcViewer string
}

func newNSEnv(t *testing.T, s *framework.Supervisor) *nsEnv {
	sfx := fmt.Sprintf("%06d", time.Now().UnixNano()/1000%1_000_000)
	e := &nsEnv{
		s: s, sfx: sfx,
		teamA: "team-a-" + sfx, teamB: "team-b-" + sfx,
		gold: "gold-" + sfx, silver: "silver-" + sfx, library: "lib-" + sfx,
		owner: "alice-" + sfx, editor: "carol-" + sfx, editors: "devs-" + sfx, viewer: "dave-" + sfx,
		oidcViewer: "oidc:bob-" + sfx,
	}
	e.mustApply(t, fmt.Sprintf(`apiVersion: kubevisor.io/v1alpha1
kind: StoragePolicy
metadata: {name: %s}
spec: {provider: local-directory, parameters: {path: /srv/%s}}
---
apiVersion: kubevisor.io/v1alpha1
kind: StoragePolicy
metadata: {name: %s}
spec: {provider: image-file}
---
apiVersion: imageregistry.vmware.com/v1alpha1
kind: ClusterContentLibrary
metadata: {name: %s}
spec: {uuid: uuid-%s}
`, e.gold, e.gold, e.silver, e.library, sfx))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_, _ = s.Kubectl(ctx, nil, "delete", "supervisornamespace", e.teamA, e.teamB, "--ignore-not-found")
		_, _ = s.Kubectl(ctx, nil, "delete", "storagepolicy", e.gold, e.silver, "--ignore-not-found")
		_, _ = s.Kubectl(ctx, nil, "delete", "clustercontentlibrary", e.library, "--ignore-not-found")
	})
	return e
}

// teamAManifest is teamA with CPU limit cpu.
func (e *nsEnv) teamAManifest(cpu string) string {
	return fmt.Sprintf(`apiVersion: kubevisor.io/v1alpha1
kind: SupervisorNamespace
metadata: {name: %s}
spec:
  permissions:
  - {subject: {kind: User, name: %s}, role: Owner}
  - {subject: {kind: Group, name: %s}, role: Edit}
  - {subject: {kind: User, name: %s}, role: View}
  - {subject: {kind: User, name: "%s"}, role: View}
  limits: {cpu: "%s", memory: 64Gi, storage: 20Gi}
  storageClasses: [{name: %s, limit: 5Gi}]
  vmClasses: [best-effort-small, best-effort-large]
  contentLibraries: [%s]
`, e.teamA, e.owner, e.editors, e.viewer, e.oidcViewer, cpu, e.gold, e.library)
}

func (e *nsEnv) teamBManifest(vmClasses ...string) string {
	return fmt.Sprintf(`apiVersion: kubevisor.io/v1alpha1
kind: SupervisorNamespace
metadata: {name: %s}
spec:
  permissions:
  - {subject: {kind: User, name: erin-%s}, role: Owner}
  vmClasses: [%s]
  storageClasses: [{name: %s}]
`, e.teamB, e.sfx, strings.Join(vmClasses, ", "), e.silver)
}

func (e *nsEnv) checkDefaultVMClasses(t *testing.T) {
	out := e.mustKubectl(t, nil, "get", "clustervirtualmachineclasses", "-o",
		`jsonpath={range .items[*]}{.metadata.name}={.spec.hardware.cpus}/{.spec.hardware.memory}/{.spec.policies.resources.requests.cpu}{"\n"}{end}`)
	have := strings.Fields(out)
	for _, want := range []string{
		"best-effort-xsmall=2/2Gi/", "best-effort-small=2/4Gi/", "best-effort-medium=2/8Gi/", "best-effort-large=4/16Gi/",
		"best-effort-xlarge=4/32Gi/", "best-effort-2xlarge=8/64Gi/", "best-effort-4xlarge=16/128Gi/", "best-effort-8xlarge=32/128Gi/",
		"guaranteed-xsmall=2/2Gi/2", "guaranteed-small=2/4Gi/2", "guaranteed-medium=2/8Gi/2", "guaranteed-large=4/16Gi/4",
		"guaranteed-xlarge=4/32Gi/4", "guaranteed-2xlarge=8/64Gi/8", "guaranteed-4xlarge=16/128Gi/16", "guaranteed-8xlarge=32/128Gi/32",
	} {
		if !slices.Contains(have, want) {
			t.Errorf("default class %s is missing; classes:\n%s", want, out)
		}
	}
}

// checkBadDefinitions is acceptance 5, first half: bad SupervisorNamespaces
// are refused with a message that says what is wrong.
func (e *nsEnv) checkBadDefinitions(t *testing.T) {
	name := "bad-" + e.sfx
	tests := []struct {
		name  string
		spec  string
		wants []string
	}{
		{
			"unknown role", `{permissions: [{subject: {kind: User, name: x}, role: Admin}]}`,
			[]string{`spec.permissions[0].role: Unsupported value: "Admin"`, `"Owner", "Edit", "View"`},
		},
		{"negative CPU limit", `{limits: {cpu: "-1"}}`, []string{"spec.limits.cpu", "limits.cpu must not be negative"}},
		{"negative memory limit", `{limits: {memory: "-1Gi"}}`, []string{"spec.limits.memory", "must not be negative"}},
		{
			"negative storage class limit", fmt.Sprintf(`{storageClasses: [{name: %s, limit: "-5Gi"}]}`, e.gold),
			[]string{"spec.storageClasses[0].limit", "must not be negative"},
		},
		{
			"VM class that does not exist", `{vmClasses: [best-effort-small, huge]}`,
			[]string{`spec.vmClasses[1]: ClusterVirtualMachineClass "huge" does not exist (kubectl get clustervirtualmachineclasses)`},
		},
		{
			"storage class that does not exist", `{storageClasses: [{name: nope}]}`,
			[]string{`spec.storageClasses[0].name: StoragePolicy "nope" does not exist (kubectl get storagepolicies)`},
		},
		{
			"content library that does not exist", `{contentLibraries: [nolib]}`,
			[]string{`spec.contentLibraries[0]: ClusterContentLibrary "nolib" does not exist (kubectl get clustercontentlibraries)`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			manifest := fmt.Sprintf("apiVersion: kubevisor.io/v1alpha1\nkind: SupervisorNamespace\nmetadata: {name: %s}\nspec: %s\n", name, tt.spec)
			err := e.refused(t, manifest)
			for _, want := range tt.wants {
				if !strings.Contains(err, want) {
					t.Errorf("the refusal does not say %q:\n%s", want, err)
				}
			}
			t.Logf("refused: %s", err)
		})
	}
	if out, err := e.kubectl(t, nil, "get", "supervisornamespace", name, "-o", "name"); err == nil {
		t.Errorf("a refused SupervisorNamespace exists after all: %s", out)
	}
}

// checkDerivedObjects creates teamA and teamB and checks everything derived
// from teamA.
func (e *nsEnv) checkDerivedObjects(t *testing.T) {
	e.mustApply(t, e.teamAManifest("4"))
	e.mustApply(t, e.teamBManifest("best-effort-xsmall"))
	e.waitReady(t, e.teamA)
	e.waitReady(t, e.teamB)

	if got := e.mustKubectl(t, nil, "get", "namespace", e.teamA, "-o", `jsonpath={.metadata.labels.kubevisor\.io/supervisor-namespace}`); got != e.teamA {
		t.Errorf("Namespace %s has label kubevisor.io/supervisor-namespace=%q", e.teamA, got)
	}
	if got := e.mustKubectl(t, nil, "get", "supervisornamespace", e.teamA, "-o", "jsonpath={.status.namespace}"); got != e.teamA {
		t.Errorf("status.namespace = %q", got)
	}

	// One RoleBinding per permission, SSO names prefixed, others verbatim.
	out := e.mustKubectl(t, nil, "get", "rolebindings", "-n", e.teamA, "-l", "kubevisor.io/managed-by=supervisornamespace", "-o",
		`jsonpath={range .items[*]}{.roleRef.name}={.subjects[0].kind}:{.subjects[0].name}{"\n"}{end}`)
	bindings := strings.Fields(out)
	slices.Sort(bindings)
	want := []string{
		"kubevisor:namespace-editor=Group:sso:" + e.editors,
		"kubevisor:namespace-owner=User:sso:" + e.owner,
		"kubevisor:namespace-viewer=User:" + e.oidcViewer,
		"kubevisor:namespace-viewer=User:sso:" + e.viewer,
	}
	if !slices.Equal(bindings, want) {
		t.Errorf("RoleBindings:\n got %q\nwant %q", bindings, want)
	}

	// The quota: limits, the assigned class's limit, unassigned classes closed.
	var rq struct {
		Spec struct {
			Hard map[string]string `json:"hard"`
		} `json:"spec"`
	}
	e.mustGetJSON(t, &rq, "resourcequota", "kubevisor-limits", "-n", e.teamA)
	for k, v := range map[string]string{
		"limits.cpu":       "4",
		"limits.memory":    "64Gi",
		"requests.storage": "20Gi",
		e.gold + ".storageclass.storage.k8s.io/requests.storage":         "5Gi",
		e.silver + ".storageclass.storage.k8s.io/persistentvolumeclaims": "0",
		e.silver + ".storageclass.storage.k8s.io/requests.storage":       "0",
	} {
		if rq.Spec.Hard[k] != v {
			t.Errorf("ResourceQuota hard[%s] = %q, want %q (hard: %v)", k, rq.Spec.Hard[k], v, rq.Spec.Hard)
		}
	}
	if _, err := e.kubectl(t, nil, "get", "limitrange", "kubevisor-defaults", "-n", e.teamA); err != nil {
		t.Error(err)
	}

	// VM classes and the content library bound into the namespace.
	if got := e.mustKubectl(t, nil, "get", "virtualmachineclasses", "-n", e.teamA, "-o",
		`jsonpath={range .items[*]}{.metadata.name}={.spec.hardware.cpus}/{.spec.hardware.memory} {end}`); got != "best-effort-large=4/16Gi best-effort-small=2/4Gi " {
		t.Errorf("VirtualMachineClasses in %s: %q", e.teamA, got)
	}
	if got := e.mustKubectl(t, nil, "get", "contentlibraries", "-n", e.teamA, "-o",
		`jsonpath={range .items[*]}{.metadata.name}={.spec.uuid}/{.spec.writable} {end}`); got != e.library+"=uuid-"+e.sfx+"/false " {
		t.Errorf("ContentLibraries in %s: %q", e.teamA, got)
	}

	// Storage policies are StorageClasses owned by them.
	if got := e.mustKubectl(t, nil, "get", "storageclass", e.gold, "-o",
		`jsonpath={.provisioner} {.parameters.path} {.reclaimPolicy} {.volumeBindingMode} {.allowVolumeExpansion} {.metadata.ownerReferences[0].kind}`); got != "kubevisor.io/local-directory /srv/"+e.gold+" Delete Immediate true StoragePolicy" {
		t.Errorf("StorageClass %s: %q", e.gold, got)
	}
	e.eventually(t, time.Minute, "StoragePolicy "+e.gold+" Ready", func() error {
		got, err := e.kubectl(t, nil, "get", "storagepolicy", e.gold, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		if err == nil && got != "True" {
			err = fmt.Errorf("Ready is %q", got)
		}
		return err
	})

	// Claims: the assigned class within its limit is accepted; over it, or
	// of a class not assigned, refused by the quota.
	claim := func(name, class, size string) string {
		return fmt.Sprintf("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: %s, namespace: %s}\nspec: {storageClassName: %s, accessModes: [ReadWriteOnce], resources: {requests: {storage: %s}}}\n",
			name, e.teamA, class, size)
	}
	e.eventually(t, time.Minute, "the quota to be counted", func() error {
		got, err := e.kubectl(t, nil, "get", "resourcequota", "kubevisor-limits", "-n", e.teamA, "-o", `jsonpath={.status.hard.limits\.cpu}`)
		if err == nil && got != "4" {
			err = fmt.Errorf("status.hard.limits.cpu is %q", got)
		}
		return err
	})
	e.mustApply(t, claim("data", e.gold, "1Gi"))
	for _, c := range []struct{ name, class, size, want string }{
		{"too-big", e.gold, "10Gi", "exceeded quota: kubevisor-limits"},
		{"unassigned", e.silver, "1Gi", e.silver + ".storageclass.storage.k8s.io/persistentvolumeclaims=0"},
	} {
		if err := e.refused(t, claim(c.name, c.class, c.size)); !strings.Contains(err, c.want) {
			t.Errorf("claim %s: the refusal does not say %q:\n%s", c.name, c.want, err)
		}
	}
	e.waitUsage(t, e.teamA, "storage", "1Gi")
}

// checkQuotaAndClasses is acceptance 2.
func (e *nsEnv) checkQuotaAndClasses(t *testing.T) {
	vm := func(name, class string) string {
		return fmt.Sprintf("apiVersion: vmoperator.vmware.com/v1alpha3\nkind: VirtualMachine\nmetadata: {name: %s, namespace: %s}\nspec: {className: %s, imageName: ubuntu}\n",
			name, e.teamA, class)
	}
	// 2 of the 4 CPUs.
	e.mustApply(t, vm("small-1", "best-effort-small"))

	// 4 more would make 6.
	err := e.refused(t, vm("large-1", "best-effort-large"))
	for _, want := range []string{
		"exceeds the CPU limit of namespace " + e.teamA,
		"this VM needs 4 CPUs, 2 are in use",
		"the limit (SupervisorNamespace " + e.teamA + " spec.limits.cpu) is 4",
	} {
		if !strings.Contains(err, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, err)
		}
	}
	t.Logf("over the limit: %s", err)

	// A class that is not bound to the namespace.
	err = e.refused(t, vm("unbound-1", "guaranteed-small"))
	for _, want := range []string{`VirtualMachineClass "guaranteed-small" is not bound to namespace ` + e.teamA, "kubevisor namespace update " + e.teamA} {
		if !strings.Contains(err, want) {
			t.Errorf("the refusal does not say %q:\n%s", want, err)
		}
	}
	t.Logf("class not bound: %s", err)

	// Raising the limit lets the same VM in.
	e.mustApply(t, e.teamAManifest("6"))
	e.mustApply(t, vm("large-1", "best-effort-large"))
	e.waitUsage(t, e.teamA, "cpu", "6")
	e.waitUsage(t, e.teamA, "memory", "20Gi")

	if out, _ := e.kubectl(t, nil, "get", "virtualmachines", "-n", e.teamA, "-o", "name"); strings.Contains(out, "unbound-1") {
		t.Errorf("a refused VM exists: %s", out)
	}
}

// checkConverges: once reconciled, neither the SupervisorNamespace nor
// anything derived from it is written again.
func (e *nsEnv) checkConverges(t *testing.T) {
	e.waitReady(t, e.teamA)
	e.eventually(t, time.Minute, "the quota controller to count the new limit", func() error {
		got, err := e.kubectl(t, nil, "get", "resourcequota", "kubevisor-limits", "-n", e.teamA, "-o", `jsonpath={.status.hard.limits\.cpu}`)
		if err == nil && got != "6" {
			err = fmt.Errorf("status.hard.limits.cpu is %q", got)
		}
		return err
	})
	versions := func() map[string]string {
		out := e.mustKubectl(t, nil, "get",
			"supervisornamespace/"+e.teamA, "namespace/"+e.teamA, "storagepolicy/"+e.gold, "storageclass/"+e.gold, "-o",
			`jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\n"}{end}`)
		out += e.mustKubectl(t, nil, "get", "rolebindings,resourcequotas,limitranges,virtualmachineclasses,contentlibraries",
			"-n", e.teamA, "-o", `jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\n"}{end}`)
		m := map[string]string{}
		for _, line := range strings.Fields(out) {
			k, v, _ := strings.Cut(line, "=")
			m[k] = v
		}
		return m
	}
	before := versions()
	if len(before) < 10 {
		t.Fatalf("too few objects to watch: %v", before)
	}
	time.Sleep(10 * time.Second) // the absence of writes can only be waited for
	after := versions()
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed from resourceVersion %s to %s with nothing to do", k, v, after[k])
		}
	}
	t.Logf("%d objects kept their resourceVersions for 10s", len(before))
}

// checkPermissionMatrix is acceptance 1, through impersonation until SSO
// tokens can be used here: Owner, Edit and View in their own namespace
// (teamA) and in another (teamB), get, list, create and delete on TKCs,
// VMs, Secrets and RoleBindings.
// ssoPassword is the password of the test's SSO users.
const ssoPassword = "matrix-password-1"

// checkPermissionMatrix logs the Owner, the Editor (through a group) and
// the Viewer in through the SSO endpoint and, with their real tokens, tries
// get, list, create and delete of a TKC, a VirtualMachine, a Secret and a
// RoleBinding in their own namespace and in another. Creates and deletes
// are server-side dry runs: they pass authentication, authorization and
// admission exactly as real ones, without leaving objects (or booting VMs)
// behind. A cell is "no" only when RBAC forbids the request.
func (e *nsEnv) checkPermissionMatrix(t *testing.T) {
	const password = ssoPassword
	// One probe object of each kind in both namespaces, for get and delete;
	// teamA's CPU limit is used up by QuotaAndClasses' VMs, so one of those
	// is its VM probe.
	probes := map[string]string{}
	for _, ns := range []string{e.teamA, e.teamB} {
		// The probe TKC is refused by TKG admission here (teamA's CPU is
		// used up, teamB has no "local" storage): get and delete of a
		// missing object still tell allowed (NotFound) from forbidden.
		_, _ = e.kubectl(t, []byte(fmt.Sprintf(validTKC, "probe", ns)), "apply", "-f", "-")
		vms := e.mustKubectl(t, nil, "get", "virtualmachines", "-n", ns, "-o", "name")
		if name, ok := strings.CutPrefix(strings.SplitN(strings.TrimSpace(vms), "\n", 2)[0], "virtualmachine.vmoperator.vmware.com/"); ok && name != "" {
			probes[ns] = name
		} else {
			classes := strings.Fields(e.mustKubectl(t, nil, "get", "virtualmachineclasses", "-n", ns, "-o", "jsonpath={.items[*].metadata.name}"))
			if len(classes) == 0 {
				t.Fatalf("no VM class is bound to %s", ns)
			}
			e.mustApply(t, fmt.Sprintf(`apiVersion: vmoperator.vmware.com/v1alpha3
kind: VirtualMachine
metadata: {name: probe, namespace: %s}
spec: {className: %s, imageName: probe-image, powerState: PoweredOff}
`, ns, classes[0]))
			probes[ns] = "probe"
		}
		e.mustApply(t, fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: probe, namespace: %[1]s}
stringData: {k: v}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: probe, namespace: %[1]s}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kubevisor:namespace-viewer}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: sso:nobody}]
`, ns))
	}

	type resource struct {
		short string
		gvr   schema.GroupVersionResource
		// manifest is a new object of the kind, for create.
		manifest func(ns, name string) string
	}
	resources := []resource{
		{"tkc", schema.GroupVersionResource{Group: "run.tanzu.vmware.com", Version: "v1alpha3", Resource: "tanzukubernetesclusters"},
			func(ns, name string) string { return fmt.Sprintf(validTKC, name, ns) }},
		{"vm", schema.GroupVersionResource{Group: "vmoperator.vmware.com", Version: "v1alpha3", Resource: "virtualmachines"},
			func(ns, name string) string {
				return fmt.Sprintf("apiVersion: vmoperator.vmware.com/v1alpha3\nkind: VirtualMachine\nmetadata: {name: %s, namespace: %s}\nspec: {className: best-effort-small, imageName: probe-image, powerState: PoweredOff}\n", name, ns)
			}},
		{"secret", schema.GroupVersionResource{Version: "v1", Resource: "secrets"},
			func(ns, name string) string {
				return fmt.Sprintf("apiVersion: v1\nkind: Secret\nmetadata: {name: %s, namespace: %s}\nstringData: {k: v}\n", name, ns)
			}},
		{"rolebinding", schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings"},
			func(ns, name string) string {
				return fmt.Sprintf("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: %s, namespace: %s}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: kubevisor:namespace-viewer}\nsubjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: sso:someone}]\n", name, ns)
			}},
	}
	verbs := []string{"get", "list", "create", "delete"}
	roles := []struct{ name, user string }{{"Owner", e.owner}, {"Edit", e.editor}, {"View", e.viewer}}
	expected := func(role, ns, verb, res string) bool {
		if ns != e.teamA {
			return false
		}
		switch role {
		case "Owner":
			return true
		case "Edit":
			return res != "rolebinding" || (verb != "create" && verb != "delete")
		default:
			return res != "secret" && (verb == "get" || verb == "list")
		}
	}

	ctx := ctxFor(t, 3*time.Minute)
	var b strings.Builder
	fmt.Fprintf(&b, "%-13s", "")
	for _, r := range resources {
		fmt.Fprintf(&b, "| %-28s", r.short)
	}
	fmt.Fprintf(&b, "\n%-13s", "role   ns")
	for range resources {
		b.WriteString("| get    list   create delete  ")
	}
	b.WriteString("\n")
	for _, role := range roles {
		code, login := ssoLogin(t, e.s, role.user, password)
		if code != http.StatusOK {
			t.Fatalf("%s cannot log in: HTTP %d", role.user, code)
		}
		dyn := e.userClient(t, login.SessionID)
		for _, ns := range []string{e.teamA, e.teamB} {
			where := "own"
			if ns != e.teamA {
				where = "other"
			}
			fmt.Fprintf(&b, "%-6s %-6s", role.name, where)
			for _, r := range resources {
				b.WriteString("| ")
				for _, verb := range verbs {
					ri := dyn.Resource(r.gvr).Namespace(ns)
					probe := "probe"
					if r.short == "vm" {
						probe = probes[ns]
					}
					var err error
					switch verb {
					case "get":
						_, err = ri.Get(ctx, probe, metav1.GetOptions{})
					case "list":
						_, err = ri.List(ctx, metav1.ListOptions{})
					case "create":
						obj := &unstructured.Unstructured{}
						if err := yaml.Unmarshal([]byte(r.manifest(ns, strings.ToLower(role.name)+"-new")), &obj.Object); err != nil {
							t.Fatal(err)
						}
						_, err = ri.Create(ctx, obj, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
					case "delete":
						err = ri.Delete(ctx, probe, metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}})
					}
					// RBAC runs before admission: a request that admission
					// refuses (a quota, say) was allowed by the role.
					denied := apierrors.IsForbidden(err) && strings.Contains(err.Error(), `User "sso:`+role.user+`" cannot`)
					allowed := err == nil || !denied
					if err != nil && allowed {
						t.Logf("%s %s %s in %s: allowed by RBAC, refused by admission: %v", role.name, verb, r.short, where, err)
					}
					mark := map[bool]string{true: "yes", false: "no"}[allowed]
					if allowed != expected(role.name, ns, verb, r.short) {
						mark += "!"
						t.Errorf("%s in the %s namespace: %s %s allowed = %t, want %t (err %v)", role.name, where, verb, r.short, allowed, !allowed, err)
					}
					fmt.Fprintf(&b, "%-7s", mark)
				}
			}
			b.WriteString("\n")
		}
	}
	t.Logf("permission matrix (real SSO tokens):\n%s", b.String())
}

// userClient is a dynamic client that presents token.
func (e *nsEnv) userClient(t *testing.T, token string) dynamic.Interface {
	t.Helper()
	cfg, err := e.s.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	user := rest.AnonymousClientConfig(cfg)
	user.BearerToken = token
	dyn, err := dynamic.NewForConfig(user)
	if err != nil {
		t.Fatal(err)
	}
	return dyn
}

// checkPluginLogin is issue 3's plugin acceptance: through the real kubectl
// binary, `kubectl vsphere login` as the Owner, then `kubectl --context
// <namespace> get tkc` works in the user's namespace and is forbidden in
// another.
func (e *nsEnv) checkPluginLogin(t *testing.T) {
	bin, err := framework.Bin("kubectl-vsphere")
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig := filepath.Join(t.TempDir(), "config")
	env := append(os.Environ(),
		"PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"),
		"KUBECONFIG="+kubeconfig,
		"KUBECTL_VSPHERE_PASSWORD="+ssoPassword,
	)
	run := func(args ...string) (string, error) {
		ctx := ctxFor(t, time.Minute)
		cmd := exec.CommandContext(ctx, "kubectl", args...)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run("vsphere", "login", "--server="+e.s.SSOAddress(), "--vsphere-username", e.owner, "--insecure-skip-tls-verify")
	if err != nil {
		t.Fatalf("kubectl vsphere login: %v\n%s", err, out)
	}
	t.Logf("kubectl vsphere login:\n%s", out)
	if _, err := run("--context", e.teamA, "get", "tkc"); err != nil {
		t.Errorf("kubectl --context %s get tkc: %v", e.teamA, err)
	}
	out, err = run("--context", e.teamA, "get", "tkc", "-n", e.teamB)
	if err == nil || !strings.Contains(out, "forbidden") {
		t.Errorf("kubectl get tkc in another namespace: want forbidden, got %v:\n%s", err, out)
	}
	if out, err := run("vsphere", "logout"); err != nil {
		t.Errorf("kubectl vsphere logout: %v\n%s", err, out)
	}
}

// checkAdmissionPolicies: an Owner grants only Edit and View, and nobody
// but the Supervisor changes what it derives.
func (e *nsEnv) checkAdmissionPolicies(t *testing.T) {
	asOwner := []string{"--as", "sso:" + e.owner}
	binding := func(name, role string) string {
		return fmt.Sprintf(`apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: %s, namespace: %s}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "%s"}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: "sso:frank-%s"}]
`, name, e.teamA, role, e.sfx)
	}
	for _, role := range []string{"kubevisor:namespace-owner", "edit"} {
		_, err := e.kubectl(t, []byte(binding("grant-"+strings.TrimPrefix(role, "kubevisor:"), role)), append(asOwner, "create", "-f", "-")...)
		if err == nil {
			t.Errorf("an Owner granted ClusterRole %s", role)
			continue
		}
		for _, want := range []string{"kubevisor-owner-grants", "an Owner may grant only Edit", "ClusterRole " + role, "kubevisor namespace update " + e.teamA} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the refusal to grant %s does not say %q:\n%v", role, want, err)
			}
		}
		t.Logf("granting %s refused: %v", role, err)
	}
	for _, role := range []string{"kubevisor:namespace-editor", "kubevisor:namespace-viewer"} {
		if _, err := e.kubectl(t, []byte(binding("grant-"+strings.TrimPrefix(role, "kubevisor:"), role)), append(asOwner, "create", "-f", "-")...); err != nil {
			t.Errorf("an Owner cannot grant %s: %v", role, err)
		}
	}

	managed := e.mustKubectl(t, nil, "get", "rolebindings", "-n", e.teamA, "-l", "kubevisor.io/managed-by", "-o", "jsonpath={.items[0].metadata.name}")
	for _, args := range [][]string{
		{"delete", "rolebinding", managed},
		{"label", "rolebinding", "grant-namespace-editor", "kubevisor.io/managed-by=supervisornamespace"},
	} {
		_, err := e.kubectl(t, nil, append(append(asOwner, "-n", e.teamA), args...)...)
		if err == nil {
			t.Errorf("an Owner could %v", args)
			continue
		}
		for _, want := range []string{"kubevisor-managed-objects", "is managed by kubevisor", "kubevisor namespace update " + e.teamA} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("the refusal of %v does not say %q:\n%v", args, want, err)
			}
		}
		t.Logf("%v refused: %v", args, err)
	}

	// The administrator can; the Supervisor puts back what is derived.
	uid := e.mustKubectl(t, nil, "get", "rolebinding", managed, "-n", e.teamA, "-o", "jsonpath={.metadata.uid}")
	e.mustKubectl(t, nil, "delete", "rolebinding", managed, "-n", e.teamA)
	e.eventually(t, time.Minute, "RoleBinding "+managed+" to be made again", func() error {
		got, err := e.kubectl(t, nil, "get", "rolebinding", managed, "-n", e.teamA, "-o", "jsonpath={.metadata.uid}")
		if err == nil && got == uid {
			err = errors.New("still the old one")
		}
		return err
	})
}

// checkMissingClassCondition: a bound class that disappears is named on
// the Ready condition.
func (e *nsEnv) checkMissingClassCondition(t *testing.T) {
	class := "tmp-" + e.sfx
	e.mustApply(t, fmt.Sprintf(`apiVersion: kubevisor.io/v1alpha1
kind: ClusterVirtualMachineClass
metadata: {name: %s}
spec: {hardware: {cpus: 1, memory: 1Gi}}
`, class))
	t.Cleanup(func() {
		_, _ = e.s.Kubectl(context.Background(), nil, "delete", "clustervirtualmachineclass", class, "--ignore-not-found")
	})
	e.mustApply(t, e.teamBManifest("best-effort-xsmall", class))
	e.eventually(t, time.Minute, "the class in "+e.teamB, func() error {
		_, err := e.kubectl(t, nil, "get", "virtualmachineclass", class, "-n", e.teamB)
		return err
	})
	e.mustKubectl(t, nil, "delete", "clustervirtualmachineclass", class)
	e.eventually(t, time.Minute, "Ready to name the missing class", func() error {
		got, err := e.kubectl(t, nil, "get", "supervisornamespace", e.teamB, "-o",
			`jsonpath={.status.conditions[?(@.type=="Ready")].status}/{.status.conditions[?(@.type=="Ready")].reason}/{.status.conditions[?(@.type=="Ready")].message}`)
		if err != nil {
			return err
		}
		if want := `False/VirtualMachineClassNotFound/spec.vmClasses: ClusterVirtualMachineClass "` + class + `" does not exist`; !strings.HasPrefix(got, want) {
			return fmt.Errorf("Ready is %q, want it to start with %q", got, want)
		}
		return nil
	})
}

// checkDeletion is acceptance 5, second half: deleting a
// SupervisorNamespace removes its Namespace and everything in it, and
// nothing else.
func (e *nsEnv) checkDeletion(t *testing.T) {
	ctx := ctxFor(t, 3*time.Minute)
	if _, err := e.s.Kubectl(ctx, nil, "delete", "supervisornamespace", e.teamA, "--timeout=150s"); err != nil {
		t.Fatal(err)
	}
	if out, err := e.kubectl(t, nil, "get", "namespace", e.teamA, "-o", "name"); err == nil {
		t.Errorf("Namespace %s outlived its SupervisorNamespace: %s", e.teamA, out)
	}
	// Everything else stays.
	if got := e.mustKubectl(t, nil, "get", "namespace", e.teamB, "-o", "jsonpath={.status.phase}"); got != "Active" {
		t.Errorf("the other namespace is %q", got)
	}
	for _, obj := range []string{
		"supervisornamespace/" + e.teamB,
		"storagepolicy/" + e.gold, "storagepolicy/" + e.silver,
		"storageclass/" + e.gold, "storageclass/" + e.silver,
		"clustercontentlibrary/" + e.library,
		"clustervirtualmachineclass/best-effort-small", "clustervirtualmachineclass/best-effort-large",
		"clusterrole/kubevisor:namespace-owner",
	} {
		if _, err := e.kubectl(t, nil, "get", obj); err != nil {
			t.Errorf("%s is gone after deleting SupervisorNamespace %s: %v", obj, e.teamA, err)
		}
	}
	if got := e.mustKubectl(t, nil, "get", "virtualmachineclasses", "-n", e.teamB, "-o", "name"); !strings.Contains(got, "best-effort-xsmall") {
		t.Errorf("the other namespace lost its VM classes: %q", got)
	}
}

// --- helpers ------------------------------------------------------------

func (e *nsEnv) kubectl(t *testing.T, stdin []byte, args ...string) (string, error) {
	t.Helper()
	return e.s.Kubectl(ctxFor(t, time.Minute), stdin, args...)
}

func (e *nsEnv) mustKubectl(t *testing.T, stdin []byte, args ...string) string {
	t.Helper()
	out, err := e.kubectl(t, stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *nsEnv) mustApply(t *testing.T, manifest string) {
	t.Helper()
	e.mustKubectl(t, []byte(manifest), "apply", "-f", "-")
}

// refused applies manifest, expects the API server to refuse it and
// returns the refusal.
func (e *nsEnv) refused(t *testing.T, manifest string) string {
	t.Helper()
	out, err := e.kubectl(t, []byte(manifest), "create", "-f", "-")
	if err == nil {
		t.Fatalf("accepted, want refused:\n%s\n%s", manifest, out)
	}
	return err.Error()
}

func (e *nsEnv) mustGetJSON(t *testing.T, into any, args ...string) {
	t.Helper()
	out := e.mustKubectl(t, nil, append([]string{"get", "-o", "json"}, args...)...)
	if err := json.Unmarshal([]byte(out), into); err != nil {
		t.Fatal(err)
	}
}

// eventually polls check until it returns nil or timeout passes.
func (e *nsEnv) eventually(t *testing.T, timeout time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting %s for %s: %v", timeout, what, err)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func (e *nsEnv) waitReady(t *testing.T, name string) {
	t.Helper()
	e.eventually(t, time.Minute, "SupervisorNamespace "+name+" Ready", func() error {
		got, err := e.kubectl(t, nil, "get", "supervisornamespace", name, "-o",
			`jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].message}`)
		if err == nil && !strings.HasPrefix(got, "True") {
			err = fmt.Errorf("Ready: %q", got)
		}
		return err
	})
}

func (e *nsEnv) waitUsage(t *testing.T, name, resource, want string) {
	t.Helper()
	e.eventually(t, time.Minute, fmt.Sprintf("%s usage of %s to be %s", resource, name, want), func() error {
		got, err := e.kubectl(t, nil, "get", "supervisornamespace", name, "-o", "jsonpath={.status.usage."+resource+"}")
		if err == nil && got != want {
			err = fmt.Errorf("usage.%s is %q", resource, got)
		}
		return err
	})
}
