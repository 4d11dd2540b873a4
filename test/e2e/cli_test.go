package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	kubevisorv1alpha1 "github.com/kubevisor/kubevisor/api/kubevisor/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/sso/store"
	"github.com/kubevisor/kubevisor/test/framework"
)

// cli runs a kubevisor binary as a user would, with env added to the
// environment.
type cli struct {
	bin string
	env []string
}

func newCLI(t *testing.T, name string, env ...string) cli {
	t.Helper()
	bin, err := framework.Bin(name)
	if err != nil {
		t.Fatal(err)
	}
	return cli{bin: bin, env: env}
}

// run runs the binary with args and stdin (a pipe, never a terminal) and
// returns its standard output and standard error.
func (c cli) run(t *testing.T, stdin string, args ...string) (string, string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, args...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		err = fmt.Errorf("%s %v: %w: %s", filepath.Base(c.bin), args, err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), stderr.String(), err
}

// ok runs the binary and fails the test if it fails.
func (c cli) ok(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	stdout, _, err := c.run(t, stdin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return stdout
}

// refused runs the binary, expects it to fail, and returns its standard
// error.
func (c cli) refused(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	stdout, stderr, err := c.run(t, stdin, args...)
	if err == nil {
		t.Fatalf("%v succeeded, want it refused; output:\n%s", args, stdout)
	}
	return stderr
}

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// getJSON reads an object with the real kubectl as the admin.
func getJSON(t *testing.T, s *framework.Supervisor, into any, args ...string) error {
	t.Helper()
	out, err := s.Kubectl(ctxFor(t, time.Minute), nil, append([]string{"get", "-o", "json"}, args...)...)
	if err != nil {
		return err
	}
	return json.Unmarshal([]byte(out), into)
}

// TestCLI drives `kubevisor namespace`, `kubevisor sso` and `kubectl
// vsphere` as an administrator and a user would, and checks what they
// leave in the Supervisor with kubectl.
func TestCLI(t *testing.T) {
	s := shared
	kv := newCLI(t, "kubevisor", "KUBECONFIG="+s.Kubeconfig())
	sfx := fmt.Sprint(time.Now().UnixNano() % 1_000_000)

	// What a namespace may refer to.
	policy, library := "cli-gold-"+sfx, "cli-lib-"+sfx
	manifest := fmt.Sprintf(`apiVersion: kubevisor.io/v1alpha1
kind: StoragePolicy
metadata:
  name: %s
spec:
  provider: local-directory
---
apiVersion: imageregistry.vmware.com/v1alpha1
kind: ClusterContentLibrary
metadata:
  name: %s
spec:
  uuid: %s
`, policy, library, library)
	if _, err := s.Kubectl(ctxFor(t, time.Minute), []byte(manifest), "apply", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = s.Kubectl(context.Background(), []byte(manifest), "delete", "--ignore-not-found", "--wait=false", "-f", "-")
	})

	t.Run("Namespace", func(t *testing.T) {
		name := "cli-ns-" + sfx
		t.Cleanup(func() { _, _, _ = kv.run(t, "", "namespace", "delete", name) })
		out := kv.ok(t, "", "namespace", "create", name,
			"--owner", "user:alice", "--editor", "group:devs", "--editor", "user:bob", "--viewer", "user:carol",
			"--cpu", "4", "--memory", "8Gi", "--storage", "100Gi",
			"--vm-class", "best-effort-small", "--vm-class", "best-effort-medium",
			"--storage-class", policy+"=50Gi", "--content-library", library)
		mustContain(t, "create output", out, name+" created")

		var ns kubevisorv1alpha1.SupervisorNamespace
		if err := getJSON(t, s, &ns, "supervisornamespace", name); err != nil {
			t.Fatal(err)
		}
		wantPerms := []kubevisorv1alpha1.Permission{
			{Subject: kubevisorv1alpha1.Subject{Kind: "User", Name: "alice"}, Role: "Owner"},
			{Subject: kubevisorv1alpha1.Subject{Kind: "Group", Name: "devs"}, Role: "Edit"},
			{Subject: kubevisorv1alpha1.Subject{Kind: "User", Name: "bob"}, Role: "Edit"},
			{Subject: kubevisorv1alpha1.Subject{Kind: "User", Name: "carol"}, Role: "View"},
		}
		if !slices.Equal(ns.Spec.Permissions, wantPerms) {
			t.Errorf("permissions = %+v, want %+v", ns.Spec.Permissions, wantPerms)
		}
		l := ns.Spec.Limits
		if l.CPU == nil || l.CPU.String() != "4" || l.Memory == nil || l.Memory.String() != "8Gi" || l.Storage == nil || l.Storage.String() != "100Gi" {
			t.Errorf("limits = %+v", l)
		}
		if !slices.Equal(ns.Spec.VMClasses, []string{"best-effort-small", "best-effort-medium"}) {
			t.Errorf("vmClasses = %v", ns.Spec.VMClasses)
		}
		if len(ns.Spec.StorageClasses) != 1 || ns.Spec.StorageClasses[0].Name != policy || ns.Spec.StorageClasses[0].Limit.String() != "50Gi" {
			t.Errorf("storageClasses = %+v", ns.Spec.StorageClasses)
		}
		if !slices.Equal(ns.Spec.ContentLibraries, []string{library}) {
			t.Errorf("contentLibraries = %v", ns.Spec.ContentLibraries)
		}

		out = kv.ok(t, "", "namespace", "get", name)
		mustContain(t, "get", out, "Name:", name, "Owner", "user:alice", "group:devs", "View", "user:carol",
			"cpu", "4", "8Gi", "100Gi", policy, "50Gi", "best-effort-small, best-effort-medium", library, "Conditions:")
		var fromJSON kubevisorv1alpha1.SupervisorNamespace
		if err := json.Unmarshal([]byte(kv.ok(t, "", "namespace", "get", name, "-o", "json")), &fromJSON); err != nil {
			t.Fatal(err)
		}
		if fromJSON.Kind != "SupervisorNamespace" || fromJSON.APIVersion != "kubevisor.io/v1alpha1" || fromJSON.Name != name {
			t.Errorf("get -o json: %s %s %s", fromJSON.APIVersion, fromJSON.Kind, fromJSON.Name)
		}
		mustContain(t, "get -o yaml", kv.ok(t, "", "namespace", "get", name, "-o", "yaml"), "kind: SupervisorNamespace", "name: "+name)
		out = kv.ok(t, "", "namespace", "list")
		mustContain(t, "list", out, "NAME", name)

		out = kv.ok(t, "", "namespace", "update", name, "--cpu", "8", "--memory", "none", "--add-viewer", "group:auditors", "--remove-permission", "user:bob")
		mustContain(t, "update output", out, name+" updated")
		ns = kubevisorv1alpha1.SupervisorNamespace{}
		if err := getJSON(t, s, &ns, "supervisornamespace", name); err != nil {
			t.Fatal(err)
		}
		if ns.Spec.Limits.CPU.String() != "8" || ns.Spec.Limits.Memory != nil || ns.Spec.Limits.Storage.String() != "100Gi" {
			t.Errorf("limits after update = %+v", ns.Spec.Limits)
		}
		if len(ns.Spec.Permissions) != 4 || ns.Spec.Permissions[3].Subject.Name != "auditors" || slices.ContainsFunc(ns.Spec.Permissions, func(p kubevisorv1alpha1.Permission) bool { return p.Subject.Name == "bob" }) {
			t.Errorf("permissions after update = %+v", ns.Spec.Permissions)
		}
		mustContain(t, "update without a change", kv.ok(t, "", "namespace", "update", name, "--cpu", "8"), "unchanged")

		mustContain(t, "second create", kv.refused(t, "", "namespace", "create", name), "already exists", "namespace update "+name)
		// The server's own validation is shown as it comes, naming the field.
		mustContain(t, "invalid name", kv.refused(t, "", "namespace", "create", "Not_A_Label"), "metadata.name")

		out = kv.ok(t, "", "namespace", "delete", name, "--wait", "--timeout", "2m")
		mustContain(t, "delete output", out, name+" deleted")
		if _, err := s.Kubectl(ctxFor(t, time.Minute), nil, "get", "supervisornamespace", name); err == nil || !strings.Contains(err.Error(), "NotFound") {
			t.Errorf("after delete --wait, kubectl get: %v", err)
		}
		mustContain(t, "get after delete", kv.refused(t, "", "namespace", "get", name), "namespace "+name+" not found", "kubevisor namespace list")
	})

	t.Run("RefusedBeforeContactingTheServer", func(t *testing.T) {
		// A kubeconfig whose server cannot be reached: a refusal that names
		// the flag shows the flag was checked first.
		unreachable := filepath.Join(t.TempDir(), "kubeconfig")
		cfg := clientcmdapi.NewConfig()
		cfg.Clusters["nowhere"] = &clientcmdapi.Cluster{Server: "https://127.0.0.1:1"}
		cfg.AuthInfos["nobody"] = &clientcmdapi.AuthInfo{Token: "x"}
		cfg.Contexts["nowhere"] = &clientcmdapi.Context{Cluster: "nowhere", AuthInfo: "nobody"}
		cfg.CurrentContext = "nowhere"
		if err := clientcmd.WriteToFile(*cfg, unreachable); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			args []string
			want string
		}{
			{[]string{"--owner", "alice"}, `--owner "alice": a subject is user:NAME or group:NAME`},
			{[]string{"--viewer", "team:x"}, `--viewer "team:x"`},
			{[]string{"--cpu", "four"}, `--cpu "four" is not a quantity`},
			{[]string{"--memory", "-1Gi"}, `--memory "-1Gi": a limit must not be negative`},
			{[]string{"--storage-class", "gold=lots"}, `--storage-class "gold=lots": the limit of gold "lots"`},
			{[]string{"--owner", "user:a", "--viewer", "user:a"}, "user:a is given both the Owner and the View role"},
		} {
			stderr := kv.refused(t, "", append([]string{"namespace", "create", "refused-" + sfx, "--kubeconfig", unreachable}, tt.args...)...)
			mustContain(t, fmt.Sprint(tt.args), stderr, tt.want)
			if strings.Contains(stderr, "cannot reach") {
				t.Errorf("%v contacted the server:\n%s", tt.args, stderr)
			}
		}
		// The same command with good flags does try the server.
		stderr := kv.refused(t, "", "namespace", "create", "refused-"+sfx, "--kubeconfig", unreachable, "--cpu", "4")
		mustContain(t, "good flags, unreachable server", stderr, "cannot reach the Supervisor at https://127.0.0.1:1")
		// And without any kubeconfig, it says where to find one.
		noConfig := newCLI(t, "kubevisor", "KUBECONFIG=", "HOME="+t.TempDir())
		mustContain(t, "no kubeconfig", noConfig.refused(t, "", "namespace", "list"), "no Supervisor found: pass --kubeconfig or set KUBECONFIG")
		// A short password is refused before anything is created.
		mustContain(t, "short password", kv.refused(t, "short\n", "sso", "user", "add", "cli-short-"+sfx), "at least 8 characters")
		if _, err := s.Kubectl(ctxFor(t, time.Minute), nil, "get", "users.kubevisor.io", "cli-short-"+sfx); err == nil {
			t.Error("a user with a refused password was created")
		}
	})

	t.Run("SSOUsers", func(t *testing.T) {
		name := "cli-alice-" + sfx
		t.Cleanup(func() { _, _, _ = kv.run(t, "", "sso", "user", "delete", name) })
		out := kv.ok(t, "wonderland-1\n", "sso", "user", "add", name, "--display-name", "Alice Liddell", "--email", "alice@example.com")
		mustContain(t, "user add", out, name+" added")

		var user kubevisorv1alpha1.User
		if err := getJSON(t, s, &user, "users.kubevisor.io", name); err != nil {
			t.Fatal(err)
		}
		if user.Spec.DisplayName != "Alice Liddell" || user.Spec.Email != "alice@example.com" {
			t.Errorf("user spec = %+v", user.Spec)
		}
		checkHash := func(password string) []byte {
			t.Helper()
			var secret corev1.Secret
			if err := getJSON(t, s, &secret, "secret", "-n", store.SystemNamespace, store.PasswordSecretName(name)); err != nil {
				t.Fatal(err)
			}
			hash := secret.Data[store.PasswordKey]
			if !bytes.HasPrefix(hash, []byte("$2a$11$")) || bytes.Contains(hash, []byte(password)) {
				t.Errorf("data.%s = %q, want a bcrypt hash of cost 11", store.PasswordKey, hash)
			}
			if !store.CheckPassword(hash, password) {
				t.Errorf("the stored hash does not match the password %q", password)
			}
			if secret.Labels[store.UserLabel] != name {
				t.Errorf("labels = %v", secret.Labels)
			}
			if len(secret.OwnerReferences) != 1 || secret.OwnerReferences[0].UID != user.UID || secret.OwnerReferences[0].Kind != "User" {
				t.Errorf("ownerReferences = %+v, want the User %s", secret.OwnerReferences, user.UID)
			}
			return hash
		}
		first := checkHash("wonderland-1")

		mustContain(t, "second add", kv.refused(t, "wonderland-1\n", "sso", "user", "add", name), "already exists", "sso user passwd "+name)
		mustContain(t, "passwd", kv.ok(t, "looking-glass-2\n", "sso", "user", "passwd", name), "password of user "+name+" changed")
		if second := checkHash("looking-glass-2"); bytes.Equal(first, second) {
			t.Error("passwd did not replace the hash")
		}
		mustContain(t, "passwd of a missing user", kv.refused(t, "looking-glass-2\n", "sso", "user", "passwd", "nobody-"+sfx), "user nobody-"+sfx+" not found", "sso user add")
		mustContain(t, "user list", kv.ok(t, "", "sso", "user", "list"), name, "Alice Liddell", "alice@example.com")

		mustContain(t, "user delete", kv.ok(t, "", "sso", "user", "delete", name), name+" deleted")
		if _, err := s.Kubectl(ctxFor(t, time.Minute), nil, "get", "users.kubevisor.io", name); err == nil || !strings.Contains(err.Error(), "NotFound") {
			t.Errorf("user after delete: %v", err)
		}
		if _, err := s.Kubectl(ctxFor(t, time.Minute), nil, "get", "secret", "-n", store.SystemNamespace, store.PasswordSecretName(name)); err == nil || !strings.Contains(err.Error(), "NotFound") {
			t.Errorf("password secret after delete: %v", err)
		}
		mustContain(t, "second delete", kv.refused(t, "", "sso", "user", "delete", name), "not found")
	})

	t.Run("SSOGroups", func(t *testing.T) {
		group, user := "cli-devs-"+sfx, "cli-bob-"+sfx
		t.Cleanup(func() {
			_, _, _ = kv.run(t, "", "sso", "group", "delete", group)
			_, _, _ = kv.run(t, "", "sso", "user", "delete", user)
		})
		kv.ok(t, "builder-bob\n", "sso", "user", "add", user)
		mustContain(t, "group add", kv.ok(t, "", "sso", "group", "add", group, "--description", "Developers"), group+" added")
		mustContain(t, "member add", kv.ok(t, "", "sso", "group", "member", "add", group, user), "added to group")
		members := func() []string {
			t.Helper()
			var g kubevisorv1alpha1.Group
			if err := getJSON(t, s, &g, "groups.kubevisor.io", group); err != nil {
				t.Fatal(err)
			}
			if g.Spec.Description != "Developers" {
				t.Errorf("description = %q", g.Spec.Description)
			}
			return g.Spec.Members
		}
		if m := members(); !slices.Equal(m, []string{user}) {
			t.Errorf("members = %v, want [%s]", m, user)
		}
		mustContain(t, "member add again", kv.ok(t, "", "sso", "group", "member", "add", group, user), "already in group")
		if m := members(); !slices.Equal(m, []string{user}) {
			t.Errorf("members after a second add = %v", m)
		}
		mustContain(t, "missing user", kv.refused(t, "", "sso", "group", "member", "add", group, "nobody-"+sfx), "user nobody-"+sfx+" not found")
		mustContain(t, "missing group", kv.refused(t, "", "sso", "group", "member", "add", "nogroup-"+sfx, user), "group nogroup-"+sfx+" not found", "sso group add")
		mustContain(t, "group list", kv.ok(t, "", "sso", "group", "list"), group, "Developers", user)
		mustContain(t, "user list", kv.ok(t, "", "sso", "user", "list"), user, group)

		mustContain(t, "member remove", kv.ok(t, "", "sso", "group", "member", "remove", group, user), "removed from group")
		if m := members(); len(m) != 0 {
			t.Errorf("members after remove = %v", m)
		}
		mustContain(t, "member remove again", kv.refused(t, "", "sso", "group", "member", "remove", group, user), "is not a member")
	})

	t.Run("PluginLoginLogout", func(t *testing.T) {
		user, nsName := "cli-carol-"+sfx, "cli-carol-ns-"+sfx
		t.Cleanup(func() {
			_, _, _ = kv.run(t, "", "namespace", "delete", nsName)
			_, _, _ = kv.run(t, "", "sso", "user", "delete", user)
		})
		kv.ok(t, "queen-of-hearts\n", "sso", "user", "add", user)
		kv.ok(t, "", "namespace", "create", nsName, "--editor", "user:"+user)

		kubeconfig := filepath.Join(t.TempDir(), "kube", "config")
		// The SSO endpoint's certificate is verified against the system's
		// roots: SSL_CERT_FILE makes the Supervisor's CA the only one.
		env := []string{"KUBECONFIG=" + kubeconfig, "KUBECTL_VSPHERE_PASSWORD=",
			"SSL_CERT_FILE=" + filepath.Join(s.Opts.DataDir, "pki", "ca.crt"), "SSL_CERT_DIR=/nonexistent"}
		plugin := newCLI(t, "kubectl-vsphere", env...)
		stderr := plugin.refused(t, "not-the-password\n", "login", "--server", s.SSOAddress(), "--vsphere-username", user)
		mustContain(t, "wrong password", stderr, "check the user name and the password")
		if _, err := os.Stat(kubeconfig); err == nil {
			t.Error("a failed login wrote the kubeconfig")
		}

		withPassword := newCLI(t, "kubectl-vsphere", append(env, "KUBECTL_VSPHERE_PASSWORD=queen-of-hearts")...)
		out := withPassword.ok(t, "", "login", "--server", s.SSOAddress(), "--vsphere-username", user)
		mustContain(t, "login", out, "Logged in successfully.", "   127.0.0.1\n", "   "+nsName+"\n")
		cfg, err := clientcmd.LoadFromFile(kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.CurrentContext != "127.0.0.1" || cfg.Contexts[nsName] == nil || cfg.Contexts[nsName].Namespace != nsName {
			t.Errorf("current-context %q, contexts %v", cfg.CurrentContext, cfg.Contexts)
		}
		// The token is accepted by the API server, as the user.
		whoami, err := framework.Kubectl(ctxFor(t, time.Minute), kubeconfig, nil, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(whoami, user) {
			t.Errorf("kubectl auth whoami with the login's token = %q, want the user %s", whoami, user)
		}

		mustContain(t, "logout", plugin.ok(t, "", "logout"), "Logged out", nsName)
		cfg, err = clientcmd.LoadFromFile(kubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		if len(cfg.Contexts) != 0 || len(cfg.AuthInfos) != 0 || len(cfg.Clusters) != 0 || cfg.CurrentContext != "" {
			t.Errorf("after logout: current %q, contexts %v, users %v, clusters %v", cfg.CurrentContext, cfg.Contexts, cfg.AuthInfos, cfg.Clusters)
		}
	})
}
