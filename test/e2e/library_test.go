package e2e

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kubevisor/kubevisor/internal/certs"
	"github.com/kubevisor/kubevisor/internal/library"
	"github.com/kubevisor/kubevisor/internal/ova"
	"github.com/kubevisor/kubevisor/test/framework"
)

// TestContentLibrary is the administrator's story with content libraries,
// through `kubevisor library` and kubectl: a published local library takes
// an OVA upload and refuses a tampered one and an unauthorized user; its item
// becomes a ClusterVirtualMachineImage and, in a vSphere Namespace the
// library is assigned to, a VirtualMachineImage; another library subscribes
// to it over HTTPS, on demand; deleting the libraries removes their images.
//
// It relies on the Supervisor publishing its public HTTPS endpoint in the
// ConfigMap kube-public/kubevisor-endpoints (key "https"), readable by every
// authenticated user, and serving the content library API there.
func TestContentLibrary(t *testing.T) {
	s := shared
	kv := newCLI(t, "kubevisor", "KUBECONFIG="+s.Kubeconfig())
	sfx := fmt.Sprintf("%06d", time.Now().UnixNano()/1000%1_000_000)
	local, mirror, nsName := "e2e-local-"+sfx, "e2e-mirror-"+sfx, "e2e-lib-"+sfx
	dir := t.TempDir()
	t.Cleanup(func() {
		ctx := ctxFor(t, 2*time.Minute)
		_, _ = s.Kubectl(ctx, nil, "delete", "supervisornamespace", nsName, "--ignore-not-found")
		_, _ = s.Kubectl(ctx, nil, "delete", "clustercontentlibrary", mirror, local, "--ignore-not-found")
	})

	waitFor(t, time.Minute, "the ConfigMap kube-public/kubevisor-endpoints", func() error {
		_, err := s.Kubectl(ctxFor(t, time.Minute), nil, "get", "configmap", "-n", "kube-public", "kubevisor-endpoints")
		return err
	})

	t.Run("DefaultLibrary", func(t *testing.T) {
		waitFor(t, time.Minute, "the default library", func() error {
			out, _, err := kv.run(t, "", "library", "list")
			if err == nil && !strings.Contains(out, library.DefaultLibraryName) {
				err = fmt.Errorf("not listed:\n%s", out)
			}
			return err
		})
	})

	good := filepath.Join(dir, "base.ova")
	writeTestOVA(t, good, "base", "hello")
	tampered := filepath.Join(dir, "tampered.ova")
	data, _ := os.ReadFile(good)
	data[len(data)-2048] ^= 0xff
	if err := os.WriteFile(tampered, data, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("Upload", func(t *testing.T) {
		mustContain(t, "create", kv.ok(t, "", "library", "create", local, "--publish"), "library "+local+" created")
		out := kv.ok(t, "", "library", "upload", local, good)
		mustContain(t, "upload", out, "item base uploaded", "content version 1")
		out = kv.ok(t, "", "library", "upload", local, good)
		mustContain(t, "upload again", out, "unchanged")

		stderr := kv.refused(t, "", "library", "upload", local, tampered, "--name", "evil")
		mustContain(t, "tampered upload", stderr, "ContentDigestMismatch")

		nobody := newCLI(t, "kubevisor", "KUBECONFIG="+userKubeconfig(t, s, "e2e-nobody-"+sfx))
		stderr = nobody.refused(t, "", "library", "upload", local, good, "--name", "other")
		mustContain(t, "unauthorized upload", stderr, "may not create clustercontentlibraryitems")

		waitFor(t, time.Minute, "the item's ClusterVirtualMachineImage", func() error {
			return readyImage(t, s, "", "base", local)
		})
		mustContain(t, "items", kv.ok(t, "", "library", "items", local), "base", "True")
	})

	t.Run("NamespaceImages", func(t *testing.T) {
		if _, err := s.Kubectl(ctxFor(t, time.Minute), []byte(fmt.Sprintf(`apiVersion: kubevisor.io/v1alpha1
kind: SupervisorNamespace
metadata: {name: %s}
spec:
  contentLibraries: [%s]
`, nsName, local)), "apply", "-f", "-"); err != nil {
			t.Fatal(err)
		}
		waitFor(t, time.Minute, "the VirtualMachineImage in "+nsName, func() error {
			return readyImage(t, s, nsName, "base", "")
		})
		out, err := s.Kubectl(ctxFor(t, time.Minute), nil, "get", "vmi", "-n", nsName)
		if err != nil {
			t.Fatal(err)
		}
		mustContain(t, "kubectl get vmi", out, "base", "OVF")
	})

	t.Run("Subscribe", func(t *testing.T) {
		var url string
		waitFor(t, time.Minute, "the published URL", func() error {
			out, err := s.Kubectl(ctxFor(t, time.Minute), nil, "get", "clustercontentlibrary", local, "-o", "jsonpath={.status.publishInfo.URL}")
			if err == nil && out == "" {
				err = fmt.Errorf("not published yet")
			}
			url = out
			return err
		})
		// Published content is readable without credentials.
		hc, err := s.AnonymousClient()
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		var idx library.Index
		err = json.NewDecoder(resp.Body).Decode(&idx)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK || len(idx.Items) != 1 || idx.Items[0].Name != "base" {
			t.Fatalf("anonymous GET %s: %s, %+v, %v", url, resp.Status, idx, err)
		}

		kv.ok(t, "", "library", "create", mirror, "--subscribe", url, "--ca-file", filepath.Join(s.Opts.DataDir, "pki", "ca.crt"), "--on-demand")
		waitFor(t, time.Minute, "the mirrored item", func() error {
			out, _, err := kv.run(t, "", "library", "items", mirror)
			if err == nil && (!strings.Contains(out, "base") || !strings.Contains(out, "false")) {
				err = fmt.Errorf("not mirrored (on demand, not cached) yet:\n%s", out)
			}
			return err
		})
		waitFor(t, time.Minute, "the mirrored item's ClusterVirtualMachineImage", func() error {
			return readyImage(t, s, "", "base", mirror)
		})
	})

	t.Run("Delete", func(t *testing.T) {
		mustContain(t, "delete", kv.ok(t, "", "library", "delete", mirror), "library "+mirror+" deleted")
		mustContain(t, "delete", kv.ok(t, "", "library", "delete", local), "library "+local+" deleted")
		waitFor(t, time.Minute, "the images to go", func() error {
			for _, args := range [][]string{{"clustervirtualmachineimages"}, {"virtualmachineimages", "-n", nsName}} {
				out, err := s.Kubectl(ctxFor(t, time.Minute), nil, append([]string{"get", "-o", "jsonpath={.items[*].status.name}"}, args...)...)
				if err != nil {
					return err
				}
				if strings.Contains(out, "base") {
					return fmt.Errorf("%v still lists base", args)
				}
			}
			return nil
		})
	})
}

// readyImage checks that an image whose status.name is name exists, is
// Ready, and (when library is set) comes from that ClusterContentLibrary's
// item: a ClusterVirtualMachineImage, or a VirtualMachineImage in namespace.
func readyImage(t *testing.T, s *framework.Supervisor, namespace, name, lib string) error {
	kind := []string{"clustervirtualmachineimages"}
	if namespace != "" {
		kind = []string{"virtualmachineimages", "-n", namespace}
	}
	var list struct {
		Items []struct {
			Spec struct {
				ProviderRef struct{ Name string } `json:"providerRef"`
			} `json:"spec"`
			Status struct {
				Name       string `json:"name"`
				Conditions []struct{ Type, Status, Reason string }
			} `json:"status"`
		} `json:"items"`
	}
	if err := getJSON(t, s, &list, kind...); err != nil {
		return err
	}
	for _, img := range list.Items {
		if img.Status.Name != name {
			continue
		}
		if lib != "" {
			var item struct {
				Status struct {
					ContentLibraryRef struct{ Name string } `json:"contentLibraryRef"`
				} `json:"status"`
			}
			if err := getJSON(t, s, &item, "clustercontentlibraryitem", img.Spec.ProviderRef.Name); err != nil || item.Status.ContentLibraryRef.Name != lib {
				continue
			}
		}
		for _, c := range img.Status.Conditions {
			if c.Type == "Ready" && c.Status == "True" {
				return nil
			}
		}
		return fmt.Errorf("image %s is not Ready: %+v", name, img.Status.Conditions)
	}
	return fmt.Errorf("no %v has status.name %s (library %q)", kind, name, lib)
}

// writeTestOVA writes an OVA of a one-file root file system.
func writeTestOVA(t *testing.T, path, name, body string) {
	t.Helper()
	var rootfs bytes.Buffer
	tw := tar.NewWriter(&rootfs)
	tw.WriteHeader(&tar.Header{Name: "etc/motd", Mode: 0o644, Size: int64(len(body))})
	tw.Write([]byte(body))
	tw.Close()
	disk := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(disk, rootfs.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	err := ova.WriteFile(path, ova.Spec{Name: name, Product: ova.ProductInfo{Product: "e2e", Vendor: "kubevisor", Version: "1"},
		Disks: []ova.DiskSource{{Path: disk}}})
	if err != nil {
		t.Fatal(err)
	}
}

// userKubeconfig writes a kubeconfig for user, authenticated by a client
// certificate from the Supervisor's CA, with no permissions of its own.
func userKubeconfig(t *testing.T, s *framework.Supervisor, user string) string {
	t.Helper()
	ca, err := certs.LoadOrCreateAuthority(filepath.Join(s.Opts.DataDir, "pki"), "ca", "unused")
	if err != nil {
		t.Fatal(err)
	}
	kp, err := ca.Issue(certs.LeafSpec{CommonName: user})
	if err != nil {
		t.Fatal(err)
	}
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["sv"] = &clientcmdapi.Cluster{Server: s.Server(), CertificateAuthorityData: ca.CertPEM}
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{ClientCertificateData: kp.CertPEM, ClientKeyData: kp.KeyPEM}
	cfg.Contexts["sv"] = &clientcmdapi.Context{Cluster: "sv", AuthInfo: user}
	cfg.CurrentContext = "sv"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// waitFor polls check until it returns nil or timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = check(); err == nil {
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s: %v", what, timeout, err)
}
