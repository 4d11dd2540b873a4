package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestVirtualMachineBadInput is issue 4's acceptance 7: bad input is
// refused at admission or reported on a condition with a clear reason, and
// never reaches the provider: no sandbox, network namespace, veth, cgroup
// or directory is made for it. (A tampered OVA never becomes an image: the
// library refuses it with ContentDigestMismatch, see TestContentLibrary.)
func TestVirtualMachineBadInput(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the local provider needs root; CI runs this as root")
	}
	s := shared
	ns := "badvm-" + fmt.Sprint(time.Now().UnixNano()%1_000_000)
	ctx := ctxFor(t, 5*time.Minute)
	eventually(t, time.Minute, "namespace "+ns+" accepted", func() error {
		_, err := s.Kubectl(ctx, []byte(fmt.Sprintf(`apiVersion: kubevisor.io/v1alpha1
kind: SupervisorNamespace
metadata: {name: %s}
spec:
  vmClasses: [best-effort-xsmall]
  contentLibraries: [kubevisor-default]
`, ns)), "apply", "-f", "-")
		return err
	})
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		_, _ = s.Kubectl(ctx, nil, "delete", "supervisornamespace", ns, "--ignore-not-found", "--wait=true")
	})
	eventually(t, time.Minute, "the VM class in "+ns, func() error {
		_, err := s.Kubectl(ctx, nil, "get", "vmclass", "best-effort-xsmall", "-n", ns)
		return err
	})
	vm := func(name, class, image, secret string) string {
		m := fmt.Sprintf(`apiVersion: vmoperator.vmware.com/v1alpha3
kind: VirtualMachine
metadata: {name: %s, namespace: %s}
spec:
  className: %s
  imageName: %s
  powerState: PoweredOn
`, name, ns, class, image)
		if secret != "" {
			m += fmt.Sprintf("  bootstrap:\n    cloudInit:\n      rawCloudConfig: {name: %s, key: user-data}\n", secret)
		}
		return m
	}

	t.Run("RefusedAtAdmission", func(t *testing.T) {
		for _, c := range []struct{ name, class, want string }{
			{"unknown class", "no-such-class", `"no-such-class" is not bound to namespace`},
			{"class not bound", "best-effort-large", `"best-effort-large" is not bound to namespace`},
		} {
			out, err := s.Kubectl(ctx, []byte(vm("refused", c.class, "kubevisor-busybox", "")), "apply", "-f", "-")
			if err == nil || !strings.Contains(err.Error()+out, c.want) {
				t.Errorf("%s: want a refusal saying %q, got %v %s", c.name, c.want, err, out)
				continue
			}
			t.Logf("%s: refused: %s", c.name, firstLine(err.Error()))
		}
	})

	t.Run("ReportedOnConditions", func(t *testing.T) {
		if _, err := s.Kubectl(ctx, []byte(fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: garbage, namespace: %s}
stringData:
  user-data: "this is not cloud-init"
`, ns)), "apply", "-f", "-"); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name, manifest, condition, reason, message string
		}{
			{"unknown-image", vm("unknown-image", "best-effort-xsmall", "no-such-image", ""), "VirtualMachineImageReady", "NotFound", `image "no-such-image" is neither`},
			{"bad-cloud-init", vm("bad-cloud-init", "best-effort-xsmall", "kubevisor-busybox", "garbage"), "VirtualMachineBootstrapReady", "Invalid", "spec.bootstrap.cloudInit"},
			{"missing-secret", vm("missing-secret", "best-effort-xsmall", "kubevisor-busybox", "absent"), "VirtualMachineBootstrapReady", "NotFound", `Secret "absent" does not exist`},
		}
		for _, c := range cases {
			if _, err := s.Kubectl(ctx, []byte(c.manifest), "apply", "-f", "-"); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		for _, c := range cases {
			var got string
			eventually(t, time.Minute, c.name+"'s "+c.condition+" condition", func() error {
				out, err := s.Kubectl(ctx, nil, "get", "vm", c.name, "-n", ns, "-o",
					fmt.Sprintf(`jsonpath={.status.conditions[?(@.type=="%s")].status}|{.status.conditions[?(@.type=="%s")].reason}|{.status.conditions[?(@.type=="%s")].message}`, c.condition, c.condition, c.condition))
				got = out
				if err != nil || !strings.HasPrefix(out, "False|"+c.reason+"|") || !strings.Contains(out, c.message) {
					return fmt.Errorf("%s = %q %v", c.condition, out, err)
				}
				return nil
			})
			t.Logf("%s: %s", c.name, got)
		}
		// Give the controller time to have acted, had it wanted to.
		time.Sleep(3 * time.Second)
		for _, c := range cases {
			out, err := s.Kubectl(ctx, nil, "get", "vm", c.name, "-n", ns, "-o", "jsonpath={.metadata.uid} {.status.uniqueID} {.status.powerState}")
			if err != nil {
				t.Fatal(err)
			}
			f := strings.Fields(out)
			if len(f) != 1 {
				t.Errorf("%s reached the provider: uid, uniqueID, powerState = %q", c.name, out)
			}
			checkVMGone(t, s, f[0])
		}
	})
}
