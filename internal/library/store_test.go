package library

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/kubevisor/kubevisor/internal/ova"
)

// makeOVA returns an OVA whose root file system holds one file with body.
func makeOVA(t testing.TB, name, body string) []byte {
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
	var buf bytes.Buffer
	err := ova.Write(&buf, ova.Spec{
		Name:       name,
		OS:         ova.OSInfo{ID: "36", Type: "otherLinux64Guest", Version: "1"},
		Product:    ova.ProductInfo{Product: "test image", Vendor: "kubevisor", Version: "1.0"},
		Properties: []ova.Property{{Key: "user-data", UserConfigurable: true}, {Key: CapabilitiesProperty, Value: "cloud-init"}},
		Disks:      []ova.DiskSource{{Path: disk}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const (
	libUUID  = "11111111-2222-3333-4444-555555555555"
	itemUUID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
)

func TestStorePutGet(t *testing.T) {
	ctx := context.Background()
	s, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(libUUID, itemUUID); !errors.Is(err, ErrNotStored) {
		t.Fatalf("Get on an empty store = %v, want ErrNotStored", err)
	}

	v1 := makeOVA(t, "base", "one")
	rec, changed, err := s.Put(ctx, libUUID, itemUUID, "base", bytes.NewReader(v1), Expect{})
	if err != nil || !changed {
		t.Fatalf("Put = %v, changed %v", err, changed)
	}
	if rec.ContentVersion != "1" || rec.OVA.Size != int64(len(v1)) || rec.Descriptor != "base.ovf" || len(rec.Files) != 3 {
		t.Fatalf("record %+v", rec)
	}
	stored, _ := os.ReadFile(rec.OVAPath())
	if !bytes.Equal(stored, v1) {
		t.Error("the stored archive differs from the uploaded one")
	}
	info, err := rec.Info()
	if err != nil || info.Product.Product != "test image" || len(info.Disks) != 1 {
		t.Fatalf("Info = %+v, %v", info, err)
	}
	if _, err := os.Stat(rec.Path(info.Disks[0].File)); err != nil {
		t.Error(err)
	}

	again, changed, err := s.Put(ctx, libUUID, itemUUID, "base", bytes.NewReader(v1), Expect{})
	if err != nil || changed || again.ContentVersion != "1" {
		t.Fatalf("Put of the same content = %+v, changed %v, %v", again, changed, err)
	}

	v2 := makeOVA(t, "base", "two")
	rec2, changed, err := s.Put(ctx, libUUID, itemUUID, "base", bytes.NewReader(v2), Expect{})
	if err != nil || !changed || rec2.ContentVersion != "2" {
		t.Fatalf("Put of new content = %+v, changed %v, %v", rec2, changed, err)
	}
	if _, err := os.Stat(rec.Dir()); !os.IsNotExist(err) {
		t.Errorf("the old content version %s is still there", rec.Dir())
	}

	// A tampered archive and one that does not match the announced
	// digest leave the current content as it was.
	bad := append([]byte(nil), v2...)
	bad[len(bad)-2048] ^= 0xff
	if _, _, err := s.Put(ctx, libUUID, itemUUID, "base", bytes.NewReader(bad), Expect{}); !errors.Is(err, ova.ErrTampered) && !errors.Is(err, ova.ErrCorrupt) {
		t.Fatalf("Put of a damaged archive = %v", err)
	}
	if _, _, err := s.Put(ctx, libUUID, itemUUID, "base", bytes.NewReader(v1), Expect{SHA256: rec2.OVA.SHA256}); !errors.Is(err, ova.ErrTampered) {
		t.Fatalf("Put with the wrong announced digest = %v, want ErrTampered", err)
	}
	if _, _, err := s.Put(ctx, libUUID, itemUUID, "base", bytes.NewReader(v1), Expect{Files: rec2.Files}); !errors.Is(err, ova.ErrTampered) {
		t.Fatalf("Put with other announced files = %v, want ErrTampered", err)
	}
	if _, _, err := s.Put(ctx, libUUID, itemUUID, "base", bytes.NewReader(v1), Expect{MaxBytes: 1024}); !errors.Is(err, ova.ErrTooLarge) {
		t.Fatalf("Put over the limit = %v, want ErrTooLarge", err)
	}
	got, err := s.Get(libUUID, itemUUID)
	if err != nil || got.OVA.SHA256 != rec2.OVA.SHA256 {
		t.Fatalf("after rejected puts Get = %+v, %v", got, err)
	}
	if entries, _ := os.ReadDir(filepath.Join(s.Root(), "tmp")); len(entries) != 0 {
		t.Errorf("staging leftovers: %v", entries)
	}

	items, _ := s.Items(libUUID)
	if len(items) != 1 || items[0] != itemUUID {
		t.Errorf("Items = %v", items)
	}
	if err := s.Delete(itemUUID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(libUUID, itemUUID); !errors.Is(err, ErrNotStored) {
		t.Fatalf("Get after Delete = %v", err)
	}
	if err := s.DeleteLibrary(libUUID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(s.Root(), libUUID)); !os.IsNotExist(err) {
		t.Error("the library directory is still there")
	}
}

func TestStoreRejectsBadIDs(t *testing.T) {
	s, _ := NewStore(t.TempDir())
	for _, id := range []string{"", "..", "../x", "a/b", "tmp"} {
		if _, _, err := s.Put(context.Background(), id, itemUUID, "x", bytes.NewReader(nil), Expect{}); err == nil || errors.Is(err, ErrNotStored) {
			t.Errorf("Put with library %q = %v", id, err)
		}
		if _, err := s.Get(id, itemUUID); err == nil || errors.Is(err, ErrNotStored) {
			t.Errorf("Get with library %q = %v", id, err)
		}
	}
}

// TestStoreRecovery: what a crash leaves behind is cleaned up when the
// store opens, and the last complete content stays visible.
func TestStoreRecovery(t *testing.T) {
	root := t.TempDir()
	s, _ := NewStore(root)
	rec, _, err := s.Put(context.Background(), libUUID, itemUUID, "base", bytes.NewReader(makeOVA(t, "base", "one")), Expect{})
	if err != nil {
		t.Fatal(err)
	}
	itemDir := filepath.Dir(rec.Dir())
	leftovers := []string{
		filepath.Join(root, "tmp", "put-123", "files"),             // a staging area
		filepath.Join(itemDir, "0123abcd", "files"),                // a version renamed in, item.json not yet written
		filepath.Join(root, libUUID, "half-item", "abcd", "files"), // a first version, item.json not yet written
	}
	for _, d := range leftovers {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	s, err = NewStore(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range leftovers {
		if _, err := os.Stat(filepath.Dir(d)); !os.IsNotExist(err) {
			t.Errorf("%s survived recovery", filepath.Dir(d))
		}
	}
	got, err := s.Get(libUUID, itemUUID)
	if err != nil || got.OVA.SHA256 != rec.OVA.SHA256 {
		t.Fatalf("Get after recovery = %+v, %v", got, err)
	}
}

func TestNames(t *testing.T) {
	a, b := LocalItemUUID(libUUID, "ubuntu"), LocalItemUUID(libUUID, "photon")
	if a == b || a != LocalItemUUID(libUUID, "ubuntu") || len(a) != 36 || a[14] != '5' {
		t.Errorf("LocalItemUUID: %s, %s", a, b)
	}
	if SubscribedItemUUID(libUUID, "x") == LocalItemUUID(libUUID, "x") {
		t.Error("subscribed and local items share a UUID space")
	}
	name := ItemObjectName(a)
	if len(name) != len("clitem-")+17 || name != ItemObjectName(a) {
		t.Errorf("ItemObjectName = %s", name)
	}
	if got := ImageName(name, a); got != "vmi-"+name[len("clitem-"):] {
		t.Errorf("ImageName(%s) = %s", name, got)
	}
	if got := ImageName("my-item", a); got != "vmi-"+name[len("clitem-"):] {
		t.Errorf("ImageName of a hand-named item = %s", got)
	}
	if u := NewUUID(); len(u) != 36 || u[14] != '4' || u == NewUUID() {
		t.Errorf("NewUUID = %s", u)
	}
}
