package virtualmachinepublishrequest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	vmopv1 "github.com/kubevisor/kubevisor/api/vmoperator/v1alpha3"
	"github.com/kubevisor/kubevisor/internal/library"
	"github.com/kubevisor/kubevisor/internal/ova"
	"github.com/kubevisor/kubevisor/internal/provider"
	"github.com/kubevisor/kubevisor/internal/scheme"
)

const (
	ns          = "team-a"
	libUUID     = "20000000-0000-4000-8000-000000000001"
	baseLibUUID = "20000000-0000-4000-8000-000000000002"
)

// fakePublisher writes a one-file root file system as the VM's disk.
type fakePublisher struct {
	calls int
	err   error
}

func (p *fakePublisher) Publish(_ context.Context, id, dir string) (string, error) {
	p.calls++
	if p.err != nil {
		return "", p.err
	}
	path := filepath.Join(dir, id+".tar.gz")
	return path, os.WriteFile(path, rootFS("published "+id), 0o600)
}

func rootFS(body string) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	_ = tw.WriteHeader(&tar.Header{Name: "www/index.html", Mode: 0o644, Size: int64(len(body))})
	_, _ = tw.Write([]byte(body))
	_ = tw.Close()
	_ = zw.Close()
	return buf.Bytes()
}

// ovaBytes is an OVA of a small root file system with props.
func ovaBytes(t *testing.T, props ...ova.Property) []byte {
	t.Helper()
	disk := filepath.Join(t.TempDir(), "rootfs.tar.gz")
	if err := os.WriteFile(disk, rootFS("base"), 0o600); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	err := ova.Write(&buf, ova.Spec{Name: "base", OS: ova.OSInfo{Type: "otherLinux64Guest", Version: "1"},
		Product: ova.ProductInfo{Product: "kubevisor busybox"}, Properties: props, Disks: []ova.DiskSource{{Path: disk}}})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type env struct {
	c       client.Client
	svc     *library.Service
	pub     *fakePublisher
	r       *Reconciler
	now     time.Time
	workDir string
}

func readyLibrary(name, uuid string) *imgregv1.ContentLibrary {
	return &imgregv1.ContentLibrary{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID("uid-" + name)},
		Spec:       imgregv1.ContentLibrarySpec{BaseContentLibrarySpec: imgregv1.BaseContentLibrarySpec{UUID: uuid}, Writable: true},
		Status: imgregv1.ContentLibraryStatus{Conditions: []metav1.Condition{{Type: imgregv1.ReadyConditionType, Status: metav1.ConditionTrue,
			Reason: "True", LastTransitionTime: metav1.Now()}}},
	}
}

func request(mutate ...func(*vmopv1.VirtualMachinePublishRequest)) *vmopv1.VirtualMachinePublishRequest {
	pr := &vmopv1.VirtualMachinePublishRequest{
		ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, UID: "pr-uid", Generation: 1},
		Spec: vmopv1.VirtualMachinePublishRequestSpec{Target: vmopv1.VirtualMachinePublishRequestTarget{
			Item:     vmopv1.VirtualMachinePublishRequestTargetItem{Description: "web server"},
			Location: vmopv1.VirtualMachinePublishRequestTargetLocation{Name: "lib"},
		}},
	}
	for _, m := range mutate {
		m(pr)
	}
	return pr
}

// newEnv makes a namespace with a created VM "web" of class "small" from
// image "busybox" (an item of library "base"), a writable library "lib",
// and the objects given (replacing those of the same name).
func newEnv(t *testing.T, objs ...client.Object) *env {
	t.Helper()
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	base := []client.Object{
		&vmopv1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, UID: "vm-uid"},
			Spec:   vmopv1.VirtualMachineSpec{ClassName: "small", ImageName: "busybox"},
			Status: vmopv1.VirtualMachineStatus{UniqueID: "local-vm-uid"}},
		&vmopv1.VirtualMachineClass{ObjectMeta: metav1.ObjectMeta{Name: "small", Namespace: ns},
			Spec: vmopv1.VirtualMachineClassSpec{Hardware: vmopv1.VirtualMachineClassHardware{Cpus: 3, Memory: resource.MustParse("768Mi")}}},
		readyLibrary("lib", libUUID),
		readyLibrary("base", baseLibUUID),
	}
	seen := map[string]bool{}
	for _, o := range objs {
		seen[fmt.Sprintf("%T/%s", o, o.GetName())] = true
	}
	all := append([]client.Object{}, objs...)
	for _, o := range base {
		if !seen[fmt.Sprintf("%T/%s", o, o.GetName())] {
			all = append(all, o)
		}
	}
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(all...).
		WithStatusSubresource(&vmopv1.VirtualMachinePublishRequest{}, &imgregv1.ContentLibraryItem{}).Build()
	store, err := library.NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	svc := library.New(library.Config{Client: c, Store: store})
	e := &env{c: c, svc: svc, pub: &fakePublisher{}, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), workDir: t.TempDir()}
	e.r = &Reconciler{Client: c, Publisher: e.pub, ProviderName: "local", Library: svc, WorkDir: e.workDir, Now: func() time.Time { return e.now }}

	// The source image: an item of "base" with cloud-init's OVF properties.
	baseLib := &imgregv1.ContentLibrary{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "base"}, baseLib); err == nil {
		res, err := svc.Import(context.Background(), baseLib, "busybox", bytes.NewReader(ovaBytes(t,
			ova.Property{Key: "user-data", UserConfigurable: true}, ova.Property{Key: library.CapabilitiesProperty, Value: "cloud-init"})))
		if err != nil {
			t.Fatal(err)
		}
		vmi := &vmopv1.VirtualMachineImage{ObjectMeta: metav1.ObjectMeta{Name: "busybox", Namespace: ns},
			Status: vmopv1.VirtualMachineImageStatus{ProviderItemID: library.ItemSpec(res.Item).UUID}}
		if err := c.Create(context.Background(), vmi); err != nil {
			t.Fatal(err)
		}
	}
	return e
}

func (e *env) reconcile(t *testing.T) (ctrl.Result, error) {
	t.Helper()
	return e.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: types.NamespacedName{Namespace: ns, Name: "web"}})
}

func (e *env) get(t *testing.T) *vmopv1.VirtualMachinePublishRequest {
	t.Helper()
	pr := &vmopv1.VirtualMachinePublishRequest{}
	if err := e.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web"}, pr); err != nil {
		t.Fatal(err)
	}
	return pr
}

// itemUUID is the UUID of the item called name in library "lib".
func itemUUID(name string) string { return library.LocalItemUUID(libUUID, name) }

// makeImage creates the VirtualMachineImage of item name of "lib", as the
// content library controller would.
func (e *env) makeImage(t *testing.T, name string, ready bool) string {
	t.Helper()
	id := itemUUID(name)
	imgName := library.ImageName(library.ItemObjectName(id), id)
	status := metav1.ConditionFalse
	if ready {
		status = metav1.ConditionTrue
	}
	img := &vmopv1.VirtualMachineImage{ObjectMeta: metav1.ObjectMeta{Name: imgName, Namespace: ns},
		Status: vmopv1.VirtualMachineImageStatus{ProviderItemID: id, Conditions: []metav1.Condition{{
			Type: vmopv1.ReadyConditionType, Status: status, Reason: "Test", LastTransitionTime: metav1.Now()}}}}
	if err := e.c.Create(context.Background(), img); err != nil {
		t.Fatal(err)
	}
	return imgName
}

func wantCondition(t *testing.T, pr *vmopv1.VirtualMachinePublishRequest, typ string, status metav1.ConditionStatus, reason string, msgParts ...string) {
	t.Helper()
	c := meta.FindStatusCondition(pr.Status.Conditions, typ)
	if c == nil {
		t.Fatalf("no %s condition in %+v", typ, pr.Status.Conditions)
	}
	if c.Status != status || c.Reason != reason {
		t.Errorf("%s = %s/%s (%q), want %s/%s", typ, c.Status, c.Reason, c.Message, status, reason)
	}
	for _, p := range msgParts {
		if !strings.Contains(c.Message, p) {
			t.Errorf("%s message %q does not mention %q", typ, c.Message, p)
		}
	}
}

func emptyDir(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 0 {
		t.Errorf("work directory %s is not empty: %v", dir, entries)
	}
}

func TestPublish(t *testing.T) {
	e := newEnv(t, request())
	res, err := e.reconcile(t)
	if err != nil {
		t.Fatal(err)
	}
	if res.RequeueAfter == 0 {
		t.Errorf("waiting for the image, got %+v; want a requeue", res)
	}
	pr := e.get(t)
	wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionSourceValid, metav1.ConditionTrue, vmopv1.TrueReason)
	wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionTargetValid, metav1.ConditionTrue, vmopv1.TrueReason)
	wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionUploaded, metav1.ConditionTrue, vmopv1.TrueReason)
	wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionImageAvailable, metav1.ConditionFalse, vmopv1.TargetVirtualMachineImageNotFoundReason)
	wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionComplete, metav1.ConditionFalse, vmopv1.ImageUnavailableReason)
	if e.pub.calls != 1 || pr.Status.Attempts != 1 || pr.Status.StartTime == nil || pr.Status.LastAttemptTime == nil {
		t.Errorf("publisher called %d times, status %+v", e.pub.calls, pr.Status)
	}
	if pr.Status.SourceRef == nil || pr.Status.SourceRef.Name != "web" || pr.Status.SourceRef.Kind != "VirtualMachine" {
		t.Errorf("sourceRef %+v", pr.Status.SourceRef)
	}
	if pr.Status.TargetRef == nil || pr.Status.TargetRef.Item.Name != "web-image" || pr.Status.TargetRef.Location.Name != "lib" {
		t.Errorf("targetRef %+v", pr.Status.TargetRef)
	}
	emptyDir(t, e.workDir)

	// The item holds a valid OVA with the class's hardware, the source
	// image's metadata and the request's UID.
	item := &imgregv1.ContentLibraryItem{}
	if err := e.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: library.ItemObjectName(itemUUID("web-image"))}, item); err != nil {
		t.Fatal(err)
	}
	if item.Status.Name != "web-image" || item.Status.Description != "web server" {
		t.Errorf("item status name %q description %q", item.Status.Name, item.Status.Description)
	}
	info, err := e.r.itemInfo(context.Background(), itemUUID("web-image"))
	if err != nil {
		t.Fatal(err)
	}
	md := info.Metadata()
	if info.CPUs != 3 || info.MemoryMiB != 768 || info.OS.Type != "otherLinux64Guest" || info.Product.Product != "kubevisor busybox" ||
		md[PublishRequestUIDProperty] != "pr-uid" || md[library.CapabilitiesProperty] != "cloud-init" || len(info.Disks) != 1 || info.Disks[0].Format != ova.FormatRootFS {
		t.Errorf("published OVF: %+v", info)
	}
	disk, _, err := e.svc.Locate(context.Background(), itemUUID("web-image"))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(disk); !bytes.Equal(got, rootFS("published vm-uid")) {
		t.Errorf("the item's disk is not the provider's payload")
	}

	// The image appears but is not ready: still waiting.
	imgName := e.makeImage(t, "web-image", false)
	if _, err := e.reconcile(t); err != nil {
		t.Fatal(err)
	}
	pr = e.get(t)
	wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionImageAvailable, metav1.ConditionFalse, vmopv1.NotReadyReason, imgName)
	if pr.Status.Ready || pr.Status.CompletionTime != nil || pr.Status.ImageName != imgName {
		t.Errorf("status with an image that is not ready: %+v", pr.Status)
	}

	img := &vmopv1.VirtualMachineImage{}
	_ = e.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: imgName}, img)
	img.Status.Conditions[0].Status = metav1.ConditionTrue
	if err := e.c.Update(context.Background(), img); err != nil {
		t.Fatal(err)
	}
	res, err = e.reconcile(t)
	if err != nil || res != (ctrl.Result{}) {
		t.Fatalf("completing: %+v %v", res, err)
	}
	pr = e.get(t)
	wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionImageAvailable, metav1.ConditionTrue, vmopv1.TrueReason)
	wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionComplete, metav1.ConditionTrue, vmopv1.TrueReason)
	if !pr.Status.Ready || pr.Status.CompletionTime == nil || pr.Status.ImageName != imgName {
		t.Errorf("completed status: %+v", pr.Status)
	}

	// A completed request is left alone: no publish, no write.
	rv := pr.ResourceVersion
	e.now = e.now.Add(time.Hour)
	if _, err := e.reconcile(t); err != nil {
		t.Fatal(err)
	}
	if pr = e.get(t); pr.ResourceVersion != rv || e.pub.calls != 1 {
		t.Errorf("a completed request was acted on: resourceVersion %s → %s, %d publishes", rv, pr.ResourceVersion, e.pub.calls)
	}
}

func TestQuietWhileWaiting(t *testing.T) {
	e := newEnv(t, request())
	if _, err := e.reconcile(t); err != nil {
		t.Fatal(err)
	}
	rv := e.get(t).ResourceVersion
	for range 3 {
		e.now = e.now.Add(time.Minute)
		if _, err := e.reconcile(t); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.get(t).ResourceVersion; got != rv || e.pub.calls != 1 {
		t.Errorf("waiting for the image: resourceVersion %s → %s, %d publishes", rv, got, e.pub.calls)
	}
}

func TestValidation(t *testing.T) {
	subscribed := readyLibrary("lib", libUUID)
	subscribed.Spec.Writable = false
	subscribed.Spec.Subscription = &imgregv1.ContentLibrarySubscription{URL: "https://example.invalid/lib.json"}
	readOnly := readyLibrary("lib", libUUID)
	readOnly.Spec.Writable = false
	notReady := readyLibrary("lib", libUUID)
	notReady.Status.Conditions = nil
	binding := readyLibrary("lib", libUUID)
	binding.Labels = map[string]string{library.ManagedByLabel: library.ManagedBySupervisorNamespace}

	tests := []struct {
		name    string
		objs    []client.Object
		pr      *vmopv1.VirtualMachinePublishRequest
		typ     string
		reason  string
		mention []string
	}{
		{"VM missing", nil, request(func(pr *vmopv1.VirtualMachinePublishRequest) { pr.Spec.Source.Name = "nope" }),
			vmopv1.VirtualMachinePublishRequestConditionSourceValid, vmopv1.SourceVirtualMachineNotExistReason, []string{"spec.source.name", `"nope"`}},
		{"VM not created", []client.Object{&vmopv1.VirtualMachine{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: ns, UID: "vm-uid"}}}, request(),
			vmopv1.VirtualMachinePublishRequestConditionSourceValid, vmopv1.SourceVirtualMachineNotCreatedReason, []string{"status.uniqueID"}},
		{"wrong source kind", nil, request(func(pr *vmopv1.VirtualMachinePublishRequest) { pr.Spec.Source.Kind = "VirtualMachineSnapshot" }),
			vmopv1.VirtualMachinePublishRequestConditionSourceValid, vmopv1.InvalidReason, []string{"spec.source.kind"}},
		{"library missing", nil, request(func(pr *vmopv1.VirtualMachinePublishRequest) { pr.Spec.Target.Location.Name = "nope" }),
			vmopv1.VirtualMachinePublishRequestConditionTargetValid, vmopv1.TargetContentLibraryNotExistReason, []string{"spec.target.location.name", `"nope"`}},
		{"no default library", nil, request(func(pr *vmopv1.VirtualMachinePublishRequest) { pr.Spec.Target.Location.Name = "" }),
			vmopv1.VirtualMachinePublishRequestConditionTargetValid, vmopv1.TargetContentLibraryNotExistReason, []string{DefaultTargetLabel}},
		{"cluster library", nil, request(func(pr *vmopv1.VirtualMachinePublishRequest) {
			pr.Spec.Target.Location.Kind = "ClusterContentLibrary"
		}), vmopv1.VirtualMachinePublishRequestConditionTargetValid, vmopv1.InvalidReason, []string{"spec.target.location.kind"}},
		{"subscribed library", []client.Object{subscribed}, request(),
			vmopv1.VirtualMachinePublishRequestConditionTargetValid, vmopv1.TargetContentLibraryNotWritableReason, []string{"subscribed"}},
		{"read-only library", []client.Object{readOnly}, request(),
			vmopv1.VirtualMachinePublishRequestConditionTargetValid, vmopv1.TargetContentLibraryNotWritableReason, []string{"spec.writable"}},
		{"binding", []client.Object{binding}, request(),
			vmopv1.VirtualMachinePublishRequestConditionTargetValid, vmopv1.TargetContentLibraryNotWritableReason, []string{"ClusterContentLibrary"}},
		{"library not ready", []client.Object{notReady}, request(),
			vmopv1.VirtualMachinePublishRequestConditionTargetValid, vmopv1.TargetContentLibraryNotReadyReason, []string{"not ready"}},
		{"bad item name", nil, request(func(pr *vmopv1.VirtualMachinePublishRequest) { pr.Spec.Target.Item.Name = "a/b" }),
			vmopv1.VirtualMachinePublishRequestConditionTargetValid, vmopv1.InvalidReason, []string{"spec.target.item.name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, append(tt.objs, tt.pr)...)
			res, err := e.reconcile(t)
			if err != nil {
				t.Fatal(err)
			}
			if res.RequeueAfter != pollInterval {
				t.Errorf("result %+v, want a poll", res)
			}
			pr := e.get(t)
			wantCondition(t, pr, tt.typ, metav1.ConditionFalse, tt.reason, tt.mention...)
			wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionUploaded, metav1.ConditionFalse, vmopv1.UploadTaskNotStartedReason)
			wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionComplete, metav1.ConditionFalse, vmopv1.HasNotBeenUploadedReason, tt.typ)
			if e.pub.calls != 0 || pr.Status.Attempts != 0 || pr.Status.CompletionTime != nil {
				t.Errorf("an invalid request was published: %d calls, status %+v", e.pub.calls, pr.Status)
			}
		})
	}
}

func TestDefaultTargetLibrary(t *testing.T) {
	lib := readyLibrary("lib", libUUID)
	lib.Labels = map[string]string{DefaultTargetLabel: "true"}
	e := newEnv(t, lib, request(func(pr *vmopv1.VirtualMachinePublishRequest) {
		pr.Spec.Target = vmopv1.VirtualMachinePublishRequestTarget{}
	}))
	if _, err := e.reconcile(t); err != nil {
		t.Fatal(err)
	}
	pr := e.get(t)
	wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionUploaded, metav1.ConditionTrue, vmopv1.TrueReason)
	if pr.Status.TargetRef.Location.Name != "lib" || pr.Status.TargetRef.Location.Kind != "ContentLibrary" {
		t.Errorf("targetRef %+v", pr.Status.TargetRef)
	}
}

func TestItemAlreadyExists(t *testing.T) {
	e := newEnv(t, request())
	lib := &imgregv1.ContentLibrary{}
	_ = e.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "lib"}, lib)
	if _, err := e.svc.Import(context.Background(), lib, "web-image", bytes.NewReader(ovaBytes(t))); err != nil {
		t.Fatal(err)
	}
	if _, err := e.reconcile(t); err != nil {
		t.Fatal(err)
	}
	pr := e.get(t)
	wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionTargetValid, metav1.ConditionFalse, vmopv1.TargetItemAlreadyExistsReason, "spec.target.item.name", `"web-image"`)
	if e.pub.calls != 0 {
		t.Errorf("published over an existing item")
	}
}

// TestCrashAfterImport: a Supervisor that imported the item and crashed
// before recording it goes on to wait for the image, without publishing
// again or failing on the item it made.
func TestCrashAfterImport(t *testing.T) {
	e := newEnv(t, request())
	if _, err := e.reconcile(t); err != nil {
		t.Fatal(err)
	}
	pr := e.get(t)
	pr.Status = vmopv1.VirtualMachinePublishRequestStatus{}
	if err := e.c.Status().Update(context.Background(), pr); err != nil {
		t.Fatal(err)
	}
	if _, err := e.reconcile(t); err != nil {
		t.Fatal(err)
	}
	pr = e.get(t)
	wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionTargetValid, metav1.ConditionTrue, vmopv1.TrueReason)
	wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionUploaded, metav1.ConditionTrue, vmopv1.TrueReason)
	if e.pub.calls != 1 {
		t.Errorf("published %d times", e.pub.calls)
	}
	items := &imgregv1.ContentLibraryItemList{}
	_ = e.c.List(context.Background(), items, client.InNamespace(ns))
	if len(items.Items) != 2 { // busybox in "base", web-image in "lib"
		t.Errorf("%d items, want 2", len(items.Items))
	}
}

func TestNotSupported(t *testing.T) {
	e := newEnv(t, request())
	e.r.Publisher, e.r.ProviderName = nil, "simulated"
	if _, err := e.reconcile(t); err != nil {
		t.Fatal(err)
	}
	pr := e.get(t)
	wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionComplete, metav1.ConditionFalse, vmopv1.NotSupportedReason, "simulated")
	if pr.Status.CompletionTime == nil || pr.Status.Ready {
		t.Errorf("status %+v", pr.Status)
	}
}

func TestPublishFailure(t *testing.T) {
	t.Run("Retried", func(t *testing.T) {
		e := newEnv(t, request())
		e.pub.err = errors.New("disk busy")
		if _, err := e.reconcile(t); err == nil {
			t.Fatal("a failed publish returned no error to retry with")
		}
		pr := e.get(t)
		wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionUploaded, metav1.ConditionFalse, vmopv1.UploadFailureReason, "disk busy")
		wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionComplete, metav1.ConditionFalse, vmopv1.HasNotBeenUploadedReason)
		if pr.Status.Attempts != 1 || pr.Status.CompletionTime != nil {
			t.Errorf("status %+v", pr.Status)
		}
		emptyDir(t, e.workDir)

		e.pub.err = nil
		if _, err := e.reconcile(t); err != nil {
			t.Fatal(err)
		}
		pr = e.get(t)
		wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionUploaded, metav1.ConditionTrue, vmopv1.TrueReason)
		if pr.Status.Attempts != 2 {
			t.Errorf("attempts %d, want 2", pr.Status.Attempts)
		}
	})
	t.Run("Terminal", func(t *testing.T) {
		e := newEnv(t, request())
		e.pub.err = fmt.Errorf("VM has no disk: %w", provider.ErrInvalid)
		if _, err := e.reconcile(t); err != nil {
			t.Fatal(err)
		}
		pr := e.get(t)
		wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionUploaded, metav1.ConditionFalse, vmopv1.UploadFailureReason, "no disk")
		wantCondition(t, pr, vmopv1.VirtualMachinePublishRequestConditionComplete, metav1.ConditionFalse, vmopv1.HasNotBeenUploadedReason, "not be retried")
		if pr.Status.CompletionTime == nil {
			t.Errorf("a terminal failure did not finish the request")
		}
		if _, err := e.reconcile(t); err != nil || e.pub.calls != 1 {
			t.Errorf("a failed request was retried: %d calls, %v", e.pub.calls, err)
		}
	})
}

func TestTTL(t *testing.T) {
	ttl := int64(60)
	e := newEnv(t, request(func(pr *vmopv1.VirtualMachinePublishRequest) { pr.Spec.TTLSecondsAfterFinished = &ttl }))
	if _, err := e.reconcile(t); err != nil {
		t.Fatal(err)
	}
	e.makeImage(t, "web-image", true)
	res, err := e.reconcile(t)
	if err != nil {
		t.Fatal(err)
	}
	if res.RequeueAfter != time.Minute {
		t.Errorf("result %+v, want a requeue after the TTL", res)
	}
	e.now = e.now.Add(59 * time.Second)
	if res, _ := e.reconcile(t); res.RequeueAfter != time.Second {
		t.Errorf("result %+v, want a requeue in 1s", res)
	}
	e.now = e.now.Add(time.Second)
	if _, err := e.reconcile(t); err != nil {
		t.Fatal(err)
	}
	err = e.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web"}, &vmopv1.VirtualMachinePublishRequest{})
	if err == nil || !strings.Contains(err.Error(), "not found") {
		t.Errorf("the request outlived its TTL: %v", err)
	}
}

func TestSetCompleteCondition(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ok := func(typ string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: metav1.ConditionTrue, Reason: vmopv1.TrueReason}
	}
	bad := func(typ, msg string) metav1.Condition {
		return metav1.Condition{Type: typ, Status: metav1.ConditionFalse, Reason: "X", Message: msg}
	}
	tests := []struct {
		name       string
		conditions []metav1.Condition
		want       metav1.ConditionStatus
		reason     string
		message    string
	}{
		{"nothing yet", nil, metav1.ConditionFalse, vmopv1.HasNotBeenUploadedReason, "SourceValid: not evaluated yet"},
		{"bad source", []metav1.Condition{bad(vmopv1.VirtualMachinePublishRequestConditionSourceValid, "no VM"),
			ok(vmopv1.VirtualMachinePublishRequestConditionTargetValid)}, metav1.ConditionFalse, vmopv1.HasNotBeenUploadedReason, "SourceValid: no VM"},
		{"uploading", []metav1.Condition{ok(vmopv1.VirtualMachinePublishRequestConditionSourceValid), ok(vmopv1.VirtualMachinePublishRequestConditionTargetValid),
			bad(vmopv1.VirtualMachinePublishRequestConditionUploaded, "busy")}, metav1.ConditionFalse, vmopv1.HasNotBeenUploadedReason, "Uploaded: busy"},
		{"no image", []metav1.Condition{ok(vmopv1.VirtualMachinePublishRequestConditionSourceValid), ok(vmopv1.VirtualMachinePublishRequestConditionTargetValid),
			ok(vmopv1.VirtualMachinePublishRequestConditionUploaded), bad(vmopv1.VirtualMachinePublishRequestConditionImageAvailable, "none")},
			metav1.ConditionFalse, vmopv1.ImageUnavailableReason, "ImageAvailable: none"},
		{"done", []metav1.Condition{ok(vmopv1.VirtualMachinePublishRequestConditionSourceValid), ok(vmopv1.VirtualMachinePublishRequestConditionTargetValid),
			ok(vmopv1.VirtualMachinePublishRequestConditionUploaded), ok(vmopv1.VirtualMachinePublishRequestConditionImageAvailable)},
			metav1.ConditionTrue, vmopv1.TrueReason, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pr := &vmopv1.VirtualMachinePublishRequest{}
			pr.Status.Conditions = tt.conditions
			setCompleteCondition(pr, now)
			c := meta.FindStatusCondition(pr.Status.Conditions, vmopv1.VirtualMachinePublishRequestConditionComplete)
			if c.Status != tt.want || c.Reason != tt.reason || c.Message != tt.message {
				t.Errorf("Complete = %s/%s %q, want %s/%s %q", c.Status, c.Reason, c.Message, tt.want, tt.reason, tt.message)
			}
			done := tt.want == metav1.ConditionTrue
			if pr.Status.Ready != done || (pr.Status.CompletionTime != nil) != done {
				t.Errorf("ready %v, completionTime %v", pr.Status.Ready, pr.Status.CompletionTime)
			}
		})
	}
}
