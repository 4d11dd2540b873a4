package local

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

func TestCopyTreeSharesOnlyTheSharedPaths(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "scratch")
	write := func(rel, data string) {
		p := filepath.Join(src, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("content/blobs/sha256/abc", "blob")
	write("content/ingest/partial", "partial")
	write("metadata.db", "db")
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	shared := sharedBelow("/var/lib/containerd", []string{"/var/lib/containerd/content/blobs", "/var/lib/kubelet/x", "/var/lib/containerd"})
	if len(shared) != 1 || shared[0] != "content/blobs" {
		t.Fatalf("sharedBelow = %q, want [content/blobs]", shared)
	}
	if err := copyTree(src, dst, shared); err != nil {
		t.Fatal(err)
	}
	ino := func(root, rel string) uint64 {
		st, err := os.Stat(filepath.Join(root, rel))
		if err != nil {
			t.Fatal(err)
		}
		return st.Sys().(*syscall.Stat_t).Ino
	}
	if ino(src, "content/blobs/sha256/abc") != ino(dst, "content/blobs/sha256/abc") {
		t.Error("a file below a shared path was copied, want a hard link")
	}
	for _, rel := range []string{"content/ingest/partial", "metadata.db"} {
		if ino(src, rel) == ino(dst, rel) {
			t.Errorf("%s was hard-linked, want a copy", rel)
		}
		if b, _ := os.ReadFile(filepath.Join(dst, rel)); len(b) == 0 {
			t.Errorf("%s: copy is empty", rel)
		}
	}
}
