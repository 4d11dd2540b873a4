package contentlibrary

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/library"
	"github.com/kubevisor/kubevisor/internal/ova"
	"github.com/kubevisor/kubevisor/internal/provider"
	"github.com/kubevisor/kubevisor/internal/scheme"
	"github.com/kubevisor/kubevisor/test/framework"
)

// suite runs the content library controllers and HTTP handler in this
// process against a real Supervisor (bin/kubevisor) started for the test.
type suite struct {
	c      client.Client
	svc    *library.Service
	srv    *httptest.Server
	caPEM  []byte // trusts srv
	upload *http.Client
	root   string
}

func startSuite(t *testing.T) *suite {
	if _, err := framework.Bin("kubevisor"); err != nil {
		t.Skipf("no Supervisor binary: %v", err)
	}
	sv := framework.StartSupervisor(t, framework.SupervisorOptions{})
	cfg, err := sv.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	sch, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(cfg, client.Options{Scheme: sch})
	if err != nil {
		t.Fatal(err)
	}
	ctrl.SetLogger(logr.Discard())
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if wired(ctx, c) {
		t.Skip("the Supervisor already runs the content library service; test/e2e/library_test.go covers it there")
	}

	// The handler is served like the Supervisor's public endpoint: TLS,
	// asking for client certificates.
	var handler atomic.Value
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.Load().(http.Handler).ServeHTTP(w, r)
	}))
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)

	caPool, err := sv.CAPool()
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                 sch,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Controller:             config.Controller{SkipNameValidation: ptr(true)},
	})
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	seed := t.TempDir()
	if err := os.WriteFile(filepath.Join(seed, "seed.ova"), makeOVA(t, "seed", "seed"), 0o644); err != nil {
		t.Fatal(err)
	}
	svc, err := SetupWithManager(mgr, Options{Root: root, PublicURL: srv.URL, ClientCAs: caPool, SeedDir: seed})
	if err != nil {
		t.Fatal(err)
	}
	handler.Store(svc.Handler())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
	})

	// Uploads use the admin kubeconfig's client certificate.
	cert, err := tls.X509KeyPair(cfg.CertData, cfg.KeyData)
	if err != nil {
		t.Fatal(err)
	}
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.Certificates = []tls.Certificate{cert}
	return &suite{
		c: c, svc: svc, srv: srv, root: root,
		caPEM:  pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}),
		upload: &http.Client{Transport: tr, Timeout: time.Minute},
	}
}

// wired reports whether the Supervisor creates the default library on its
// own, that is, runs these controllers itself.
func wired(ctx context.Context, c client.Client) bool {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if err := c.Get(ctx, client.ObjectKey{Name: library.DefaultLibraryName}, &imgregv1.ClusterContentLibrary{}); err == nil {
			return true
		}
		time.Sleep(250 * time.Millisecond)
	}
	return false
}

func ptr[T any](v T) *T { return &v }

// makeOVA returns an OVA of a tiny root file system.
func makeOVA(t *testing.T, name, body string) []byte {
	t.Helper()
	var rootfs bytes.Buffer
	tw := tar.NewWriter(&rootfs)
	tw.WriteHeader(&tar.Header{Name: "bin/sh", Mode: 0o755, Size: int64(len(body))})
	tw.Write([]byte(body))
	tw.Close()
	disk := filepath.Join(t.TempDir(), "rootfs.tar")
	if err := os.WriteFile(disk, rootfs.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err := ova.Write(&buf, ova.Spec{
		Name:       name,
		OS:         ova.OSInfo{ID: "36", Type: "otherLinux64Guest", Version: "1"},
		Product:    ova.ProductInfo{Product: "kubevisor " + name, Vendor: "kubevisor", Version: "1.0"},
		Properties: []ova.Property{{Key: "user-data", UserConfigurable: true}, {Key: library.CapabilitiesProperty, Value: "cloud-init"}},
		Disks:      []ova.DiskSource{{Path: disk}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (s *suite) uploadOVA(t *testing.T, libName, item string, data []byte) library.UploadResult {
	t.Helper()
	resp, err := s.upload.Post(s.srv.URL+"/library/v1/libraries/"+libName+"/items?name="+item, "application/x-tar", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		t.Fatalf("upload %s/%s: %s: %s", libName, item, resp.Status, body)
	}
	var res library.UploadResult
	if err := json.Unmarshal(body, &res); err != nil {
		t.Fatal(err)
	}
	return res
}

// eventually polls check until it returns nil, failing with its last error
// after timeout.
func eventually(t *testing.T, timeout time.Duration, what string, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var err error
	for time.Now().Before(deadline) {
		if err = check(); err == nil {
			return
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s: not within %s: %v", what, timeout, err)
}

func (s *suite) createLibrary(t *testing.T, name string, edit func(*imgregv1.ClusterContentLibrary)) *imgregv1.ClusterContentLibrary {
	t.Helper()
	lib := &imgregv1.ClusterContentLibrary{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: imgregv1.ClusterContentLibrarySpec{BaseContentLibrarySpec: imgregv1.BaseContentLibrarySpec{UUID: library.NewUUID()}}}
	if edit != nil {
		edit(lib)
	}
	if err := s.c.Create(context.Background(), lib); err != nil {
		t.Fatal(err)
	}
	return lib
}

// itemsOf returns the library's items.
func (s *suite) itemsOf(lib string) ([]imgregv1.ClusterContentLibraryItem, error) {
	var list imgregv1.ClusterContentLibraryItemList
	if err := s.c.List(context.Background(), &list); err != nil {
		return nil, err
	}
	var out []imgregv1.ClusterContentLibraryItem
	for _, i := range list.Items {
		if library.LibraryOf(&i) == lib {
			out = append(out, i)
		}
	}
	return out, nil
}

// readyImage waits for the ClusterVirtualMachineImage of item and returns it.
func (s *suite) readyImage(t *testing.T, itemName, itemUUID string) *vmopv1.ClusterVirtualMachineImage {
	t.Helper()
	img := &vmopv1.ClusterVirtualMachineImage{}
	eventually(t, 30*time.Second, "ClusterVirtualMachineImage of "+itemName, func() error {
		if err := s.c.Get(context.Background(), client.ObjectKey{Name: library.ImageName(itemName, itemUUID)}, img); err != nil {
			return err
		}
		return conditionTrue(img.Status.Conditions, vmopv1.ReadyConditionType)
	})
	return img
}

func conditionTrue(conds []metav1.Condition, typ string) error {
	c := meta.FindStatusCondition(conds, typ)
	if c == nil || c.Status != metav1.ConditionTrue {
		return fmt.Errorf("%s: %+v", typ, c)
	}
	return nil
}

func TestContentLibraries(t *testing.T) {
	s := startSuite(t)
	ctx := context.Background()

	t.Run("DefaultLibrarySeeded", func(t *testing.T) {
		uuid := library.LocalItemUUID(library.DefaultLibraryUUID, "seed")
		img := s.readyImage(t, library.ItemObjectName(uuid), uuid)
		if img.Status.Name != "seed" || img.Status.ProviderItemID != uuid {
			t.Errorf("image status %+v", img.Status)
		}
	})

	t.Run("UploadImagesBindingDeletion", func(t *testing.T) {
		lib := s.createLibrary(t, "images", nil)
		res := s.uploadOVA(t, "images", "ubuntu", makeOVA(t, "ubuntu", "v1"))
		img := s.readyImage(t, res.Name, res.UUID)
		st := img.Status
		if st.Name != "ubuntu" || st.OSInfo.Type != "otherLinux64Guest" || st.ProductInfo.Product != "kubevisor ubuntu" ||
			st.ProviderContentVersion != "1" || len(st.Disks) != 1 || img.Labels[vmopv1.VirtualMachineImageCapabilityLabel+"cloud-init"] != "true" {
			t.Errorf("image status %+v labels %v", st, img.Labels)
		}

		// Resolving the image for the VM Service.
		pimg, err := s.svc.Image(ctx, img)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(pimg.DiskPath); err != nil || pimg.LibraryItem != res.UUID {
			t.Errorf("provider image %+v: %v", pimg, err)
		}
		if disk, _, err := s.svc.Locate(ctx, res.UUID); err != nil || disk != pimg.DiskPath {
			t.Errorf("Locate = %s, %v", disk, err)
		}

		// A namespace bound to the library gets a VirtualMachineImage.
		if err := s.c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-x"}}); err != nil {
			t.Fatal(err)
		}
		binding := &imgregv1.ContentLibrary{ObjectMeta: metav1.ObjectMeta{Name: "images", Namespace: "team-x",
			Labels: map[string]string{library.ManagedByLabel: library.ManagedBySupervisorNamespace}},
			Spec: imgregv1.ContentLibrarySpec{BaseContentLibrarySpec: imgregv1.BaseContentLibrarySpec{UUID: lib.Spec.UUID}}}
		if err := s.c.Create(ctx, binding); err != nil {
			t.Fatal(err)
		}
		vmi := &vmopv1.VirtualMachineImage{}
		eventually(t, 30*time.Second, "VirtualMachineImage in team-x", func() error {
			if err := s.c.Get(ctx, client.ObjectKey{Namespace: "team-x", Name: img.Name}, vmi); err != nil {
				return err
			}
			return conditionTrue(vmi.Status.Conditions, vmopv1.ReadyConditionType)
		})
		if vmi.Status.Name != "ubuntu" || vmi.Spec.ProviderRef.Kind != library.KindClusterContentLibraryItem {
			t.Errorf("VirtualMachineImage %+v", vmi)
		}
		eventually(t, 30*time.Second, "binding status", func() error {
			b := &imgregv1.ContentLibrary{}
			if err := s.c.Get(ctx, client.ObjectKeyFromObject(binding), b); err != nil {
				return err
			}
			return conditionTrue(b.Status.Conditions, imgregv1.ReadyConditionType)
		})

		// A new version of the item.
		res2 := s.uploadOVA(t, "images", "ubuntu", makeOVA(t, "ubuntu", "v2"))
		if res2.UUID != res.UUID || res2.ContentVersion != "2" || !res2.Changed {
			t.Fatalf("second upload %+v", res2)
		}
		eventually(t, 30*time.Second, "content version 2 in the namespace's image", func() error {
			if err := s.c.Get(ctx, client.ObjectKey{Namespace: "team-x", Name: img.Name}, vmi); err != nil {
				return err
			}
			if vmi.Status.ProviderContentVersion != "2" {
				return fmt.Errorf("providerContentVersion %q", vmi.Status.ProviderContentVersion)
			}
			return nil
		})

		// Converged: nothing is written any more.
		item := &imgregv1.ClusterContentLibraryItem{}
		versions := func() string {
			_ = s.c.Get(ctx, client.ObjectKey{Name: res.Name}, item)
			_ = s.c.Get(ctx, client.ObjectKey{Name: img.Name}, img)
			_ = s.c.Get(ctx, client.ObjectKey{Namespace: "team-x", Name: img.Name}, vmi)
			l := &imgregv1.ClusterContentLibrary{}
			_ = s.c.Get(ctx, client.ObjectKey{Name: "images"}, l)
			return item.ResourceVersion + "/" + img.ResourceVersion + "/" + vmi.ResourceVersion + "/" + l.ResourceVersion
		}
		before := versions()
		time.Sleep(3 * time.Second)
		if after := versions(); after != before {
			t.Errorf("objects still change after convergence: %s -> %s", before, after)
		}

		// Unbinding removes the namespace's image.
		if err := s.c.Delete(ctx, binding); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, "the namespace's image to go", func() error {
			err := s.c.Get(ctx, client.ObjectKey{Namespace: "team-x", Name: img.Name}, vmi)
			if err == nil {
				return errors.New("still there")
			}
			return client.IgnoreNotFound(err)
		})

		// Deleting the library deletes its items, their images and files.
		if err := s.c.Delete(ctx, lib); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, "the library to go", func() error {
			for _, o := range []client.Object{&imgregv1.ClusterContentLibrary{ObjectMeta: lib.ObjectMeta}, item, img} {
				if err := s.c.Get(ctx, client.ObjectKeyFromObject(o), o); err == nil {
					return fmt.Errorf("%T %s is still there", o, o.GetName())
				} else if client.IgnoreNotFound(err) != nil {
					return err
				}
			}
			return nil
		})
		if _, err := os.Stat(filepath.Join(s.root, lib.Spec.UUID)); !os.IsNotExist(err) {
			t.Errorf("the library's files remain: %v", err)
		}
	})

	t.Run("BearerTokens", func(t *testing.T) {
		s.createLibrary(t, "tokens", nil)
		sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "uploader", Namespace: "default"}}
		if err := s.c.Create(ctx, sa); err != nil {
			t.Fatal(err)
		}
		tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{}}
		if err := s.c.SubResource("token").Create(ctx, sa, tr); err != nil {
			t.Fatal(err)
		}
		post := func() (int, string) {
			req, _ := http.NewRequest(http.MethodPost, s.srv.URL+"/library/v1/libraries/tokens/items?name=by-token", bytes.NewReader(makeOVA(t, "by-token", "x")))
			req.Header.Set("Authorization", "Bearer "+tr.Status.Token)
			resp, err := s.srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(body)
		}
		if code, body := post(); code != http.StatusForbidden || !strings.Contains(body, "system:serviceaccount:default:uploader") {
			t.Fatalf("upload without RBAC: %d %s", code, body)
		}
		role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "library-uploader"}, Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{imgregv1.GroupName}, Resources: []string{"clustercontentlibraryitems"}, Verbs: []string{"create"}}}}
		binding := &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "library-uploader"},
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: role.Name},
			Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: "uploader", Namespace: "default"}}}
		for _, o := range []client.Object{role, binding} {
			if err := s.c.Create(ctx, o); err != nil {
				t.Fatal(err)
			}
		}
		eventually(t, 30*time.Second, "upload with a bearer token", func() error {
			if code, body := post(); code != http.StatusCreated {
				return fmt.Errorf("%d %s", code, body)
			}
			return nil
		})
	})

	t.Run("PublishAndSubscribe", func(t *testing.T) {
		pub := s.createLibrary(t, "pub", func(l *imgregv1.ClusterContentLibrary) {
			l.Spec.Publication = &imgregv1.ContentLibraryPublication{Enabled: true}
		})
		s.uploadOVA(t, "pub", "tkr", makeOVA(t, "tkr", "kubernetes"))
		var url string
		eventually(t, 30*time.Second, "publishInfo.URL", func() error {
			l := &imgregv1.ClusterContentLibrary{}
			if err := s.c.Get(ctx, client.ObjectKeyFromObject(pub), l); err != nil {
				return err
			}
			if l.Status.PublishInfo == nil || l.Status.PublishInfo.URL == "" {
				return errors.New("no URL yet")
			}
			url = l.Status.PublishInfo.URL
			return nil
		})
		if !strings.HasPrefix(url, s.srv.URL+"/library/v1/published/"+pub.Spec.UUID) {
			t.Errorf("publishInfo.URL %s", url)
		}

		for _, onDemand := range []bool{true, false} {
			name := map[bool]string{true: "mirror-on-demand", false: "mirror"}[onDemand]
			mirror := s.createLibrary(t, name, func(l *imgregv1.ClusterContentLibrary) {
				l.Spec.Subscription = &imgregv1.ContentLibrarySubscription{URL: url, OnDemand: onDemand, CABundle: s.caPEM}
			})
			var item imgregv1.ClusterContentLibraryItem
			eventually(t, 30*time.Second, name+" item", func() error {
				items, err := s.itemsOf(name)
				if err != nil || len(items) != 1 {
					return fmt.Errorf("items %d, %v", len(items), err)
				}
				item = items[0]
				if item.Status.Name != "tkr" || item.Status.Cached == onDemand {
					return fmt.Errorf("status name %q cached %v", item.Status.Name, item.Status.Cached)
				}
				return conditionTrue(item.Status.Conditions, imgregv1.ReadyConditionType)
			})
			img := s.readyImage(t, item.Name, item.Spec.UUID)
			if img.Status.ProductInfo.Product != "kubevisor tkr" {
				t.Errorf("%s: image status %+v", name, img.Status)
			}
			if onDemand {
				if _, err := s.svc.Image(ctx, img); !errors.Is(err, provider.ErrInProgress) && err != nil {
					t.Errorf("Image of an on-demand item = %v", err)
				}
				dir, err := s.svc.Ensure(ctx, item.Spec.UUID)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(filepath.Join(dir, "tkr.ovf")); err != nil {
					t.Error(err)
				}
				eventually(t, 30*time.Second, "the on-demand item to be cached", func() error {
					i := &imgregv1.ClusterContentLibraryItem{}
					if err := s.c.Get(ctx, client.ObjectKeyFromObject(&item), i); err != nil {
						return err
					}
					if !i.Status.Cached {
						return errors.New("not cached")
					}
					return nil
				})
			}
			l := &imgregv1.ClusterContentLibrary{}
			eventually(t, 10*time.Second, name+" synced", func() error {
				if err := s.c.Get(ctx, client.ObjectKeyFromObject(mirror), l); err != nil {
					return err
				}
				return conditionTrue(l.Status.Conditions, imgregv1.SubscriptionSyncedCondition)
			})
		}
	})

	t.Run("TamperedAndUntrusted", func(t *testing.T) {
		pub := &imgregv1.ClusterContentLibrary{}
		if err := s.c.Get(ctx, client.ObjectKey{Name: "pub"}, pub); err != nil {
			t.Fatal(err)
		}
		proxy := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			resp, err := s.srv.Client().Get(s.srv.URL + r.URL.Path)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if strings.HasSuffix(r.URL.Path, ".ova") && len(body) > 2048 {
				body[len(body)-2048] ^= 0xff
			}
			w.Write(body)
		}))
		defer proxy.Close()
		proxyCA := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: proxy.Certificate().Raw})
		url := library.PublishedIndexURL(proxy.URL, pub.Spec.UUID)
		s.createLibrary(t, "mirror-tampered", func(l *imgregv1.ClusterContentLibrary) {
			l.Spec.Subscription = &imgregv1.ContentLibrarySubscription{URL: url, CABundle: proxyCA}
		})
		var item imgregv1.ClusterContentLibraryItem
		eventually(t, 30*time.Second, "the tampered item's condition", func() error {
			items, err := s.itemsOf("mirror-tampered")
			if err != nil || len(items) != 1 {
				return fmt.Errorf("items %d, %v", len(items), err)
			}
			item = items[0]
			c := meta.FindStatusCondition(item.Status.Conditions, imgregv1.ReadyConditionType)
			if c == nil || c.Reason != imgregv1.ContentDigestMismatchReason {
				return fmt.Errorf("Ready %+v", c)
			}
			return nil
		})
		img := &vmopv1.ClusterVirtualMachineImage{}
		eventually(t, 30*time.Second, "the tampered item's image", func() error {
			if err := s.c.Get(ctx, client.ObjectKey{Name: library.ImageName(item.Name, item.Spec.UUID)}, img); err != nil {
				return err
			}
			c := meta.FindStatusCondition(img.Status.Conditions, vmopv1.ReadyConditionType)
			if c == nil || c.Reason != vmopv1.VirtualMachineImageProviderNotReadyReason {
				return fmt.Errorf("Ready %+v", c)
			}
			return nil
		})
		if _, err := s.svc.Image(ctx, img); !errors.Is(err, provider.ErrInvalid) {
			t.Errorf("Image of a tampered item = %v, want ErrInvalid", err)
		}

		untrusted := s.createLibrary(t, "mirror-untrusted", func(l *imgregv1.ClusterContentLibrary) {
			l.Spec.Subscription = &imgregv1.ContentLibrarySubscription{URL: url}
		})
		eventually(t, 30*time.Second, "CertificateUntrusted", func() error {
			l := &imgregv1.ClusterContentLibrary{}
			if err := s.c.Get(ctx, client.ObjectKeyFromObject(untrusted), l); err != nil {
				return err
			}
			c := meta.FindStatusCondition(l.Status.Conditions, imgregv1.SubscriptionSyncedCondition)
			if c == nil || c.Reason != imgregv1.SubscriptionCertificateUntrustedReason {
				return fmt.Errorf("SubscriptionSynced %+v", c)
			}
			return nil
		})
	})
}
