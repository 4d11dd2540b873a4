package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kubevisor/kubevisor/internal/library"
)

// TestVirtualMachinePublishRequest is the user's story of publishing a VM
// with the local provider, through kubectl: a busybox VM whose cloud-init
// writes a web page is published with a VirtualMachinePublishRequest into a
// writable ContentLibrary of its namespace; the request completes with the
// name of a Ready VirtualMachineImage; a new VM deployed from that image
// serves the page the first VM wrote; and deleting the VMs leaves nothing
// on the host.
func TestVirtualMachinePublishRequest(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the local provider needs root; CI runs this as root")
	}
	s := shared
	sfx := fmt.Sprintf("%06d", time.Now().UnixNano()/1000%1_000_000)
	ns, lib := "vmpub-"+sfx, "published"
	ctx := ctxFor(t, 15*time.Minute)
	kubectl := func(stdin string, args ...string) string {
		t.Helper()
		var in []byte
		if stdin != "" {
			in = []byte(stdin)
		}
		out, err := s.Kubectl(ctx, in, args...)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
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
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		_, _ = s.Kubectl(ctx, nil, "delete", "supervisornamespace", ns, "--ignore-not-found", "--wait=true")
	})
	eventually(t, time.Minute, "the VM class and the busybox image in "+ns, func() error {
		out, err := s.Kubectl(ctx, nil, "get", "vmclass,vmi", "-n", ns, "-o", "name")
		if err != nil || !strings.Contains(out, "virtualmachineclass") || !strings.Contains(out, "virtualmachineimage") {
			return fmt.Errorf("%q %v", out, err)
		}
		return nil
	})

	// A writable local library of the namespace to publish into.
	kubectl(fmt.Sprintf(`apiVersion: imageregistry.vmware.com/v1alpha1
kind: ContentLibrary
metadata: {name: %s, namespace: %s}
spec: {uuid: %s, writable: true}
`, lib, ns, library.NewUUID()), "apply", "-f", "-")
	eventually(t, time.Minute, "ContentLibrary "+lib+" Ready", func() error {
		out, err := s.Kubectl(ctx, nil, "get", "contentlibrary", lib, "-n", ns, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		if err != nil || out != "True" {
			return fmt.Errorf("%q %v", out, err)
		}
		return nil
	})

	page := "published " + sfx + "\n"
	vm := func(name, image, userData, probe string) string {
		return fmt.Sprintf(`apiVersion: v1
kind: Secret
metadata: {name: %[1]s-cloud-init, namespace: %[2]s}
stringData:
  user-data: |
%[4]s
---
apiVersion: vmoperator.vmware.com/v1alpha3
kind: VirtualMachine
metadata: {name: %[1]s, namespace: %[2]s}
spec:
  className: best-effort-xsmall
  imageName: %[3]s
  powerState: PoweredOn
%[5]s  bootstrap:
    cloudInit:
      rawCloudConfig: {name: %[1]s-cloud-init, key: user-data}
`, name, ns, image, indent(userData, "    "), probe)
	}
	uids := map[string]string{}
	vmUID := func(name string) {
		uids[name] = kubectl("", "get", "vm", name, "-n", ns, "-o", "jsonpath={.metadata.uid}")
	}

	// The source VM writes the page; the published disk must carry it.
	kubectl(vm("source", "kubevisor-busybox", fmt.Sprintf(`#cloud-config
write_files:
- {path: /www/index.html, content: %q}
`, page), ""), "apply", "-f", "-")
	vmUID("source")
	eventually(t, 3*time.Minute, "the source VM's cloud-init done", func() error {
		out, err := s.Kubectl(ctx, nil, "get", "vm", "source", "-n", ns, "-o", `jsonpath={.status.conditions[?(@.type=="GuestBootstrap")].status}`)
		if err != nil || out != "True" {
			return fmt.Errorf("%q %v", out, err)
		}
		return nil
	})

	var imageName string
	t.Run("Publish", func(t *testing.T) {
		kubectl(fmt.Sprintf(`apiVersion: vmoperator.vmware.com/v1alpha3
kind: VirtualMachinePublishRequest
metadata: {name: source, namespace: %s}
spec:
  target:
    item: {description: "e2e %s"}
    location: {name: %s}
`, ns, sfx, lib), "apply", "-f", "-")
		eventually(t, 5*time.Minute, "the publish request Complete", func() error {
			out, err := s.Kubectl(ctx, nil, "get", "vmpub", "source", "-n", ns, "-o",
				`jsonpath={.status.conditions[?(@.type=="Complete")].status} {.status.ready} {.status.imageName}`)
			f := strings.Fields(out)
			if err != nil || len(f) != 3 || f[0] != "True" || f[1] != "true" {
				conds, _ := s.Kubectl(ctx, nil, "get", "vmpub", "source", "-n", ns, "-o", "jsonpath={.status.conditions}")
				return fmt.Errorf("%q %v; conditions %s", out, err, conds)
			}
			imageName = f[2]
			return nil
		})
		out := kubectl("", "get", "vmi", imageName, "-n", ns, "-o", `jsonpath={.status.name} {.status.conditions[?(@.type=="Ready")].status}`)
		if out != "source-image True" {
			t.Errorf("VirtualMachineImage %s: %q, want the item name source-image and Ready True", imageName, out)
		}
	})
	if imageName == "" {
		t.FailNow()
	}

	t.Run("DeployPublishedImage", func(t *testing.T) {
		kubectl(vm("copy", imageName, `#cloud-config
bootcmd:
- "httpd -p 8080 -h /www"
`, "  readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}\n"), "apply", "-f", "-")
		vmUID("copy")
		var ip string
		eventually(t, 3*time.Minute, "the VM from the published image Ready", func() error {
			out, err := s.Kubectl(ctx, nil, "get", "vm", "copy", "-n", ns, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.network.primaryIP4}`)
			f := strings.Fields(out)
			if err != nil || len(f) != 2 || f[0] != "True" {
				return fmt.Errorf("%q %v", out, err)
			}
			ip = f[1]
			return nil
		})
		eventually(t, 30*time.Second, "the page from the published disk", func() error {
			body, err := httpGet("http://" + ip + ":8080/")
			if err == nil && body != page {
				err = fmt.Errorf("got %q, want %q", body, page)
			}
			return err
		})
	})

	t.Run("DeleteLeavesNothing", func(t *testing.T) {
		kubectl("", "delete", "vm", "--all", "-n", ns, "--wait=true", "--timeout=2m")
		for _, id := range uids {
			if id != "" {
				checkVMGone(t, s, id)
			}
		}
	})
}

// indent prefixes every line of text with prefix.
func indent(text, prefix string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}
