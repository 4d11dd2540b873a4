package busyboximage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestRelTo(t *testing.T) {
	for link, want := range map[string]string{
		"bin/sh":         "../bin/busybox",
		"usr/bin/wget":   "../../bin/busybox",
		"linuxrc":        "bin/busybox",
		"usr/sbin/httpd": "../../bin/busybox",
	} {
		if got := relTo(link, "bin/busybox"); got != want {
			t.Errorf("relTo(%s) = %s, want %s", link, got, want)
		}
	}
}

func TestBuild(t *testing.T) {
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("needs /bin/busybox (Debian package busybox-static)")
	}
	dir := t.TempDir()
	agent := filepath.Join(dir, "agent")
	os.WriteFile(agent, []byte("#!/bin/sh\n"), 0o755)
	build := func(out string) []byte {
		if err := Build(Options{Busybox: "/bin/busybox", Agent: agent, Output: out}); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(out)
		return b
	}
	a, b := build(filepath.Join(dir, "a.tar.gz")), build(filepath.Join(dir, "b.tar.gz"))
	if !bytes.Equal(a, b) {
		t.Errorf("two builds differ")
	}
	zr, err := gzip.NewReader(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	found := map[string]*tar.Header{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		found[h.Name] = h
	}
	for name, check := range map[string]func(*tar.Header) bool{
		"bin/busybox":             func(h *tar.Header) bool { return h.Typeflag == tar.TypeReg && h.Mode == 0o755 },
		"bin/sh":                  func(h *tar.Header) bool { return h.Linkname == "../bin/busybox" },
		"usr/sbin/httpd":          func(h *tar.Header) bool { return h.Linkname == "../../bin/busybox" },
		"bin/systemctl":           func(h *tar.Header) bool { return h.Linkname == AgentPath },
		"sbin/init":               func(h *tar.Header) bool { return h.Linkname == AgentPath },
		".kubevisor/guest":        func(h *tar.Header) bool { return h.Mode == 0o755 },
		"tmp/":                    func(h *tar.Header) bool { return h.Mode == 0o1777 },
		"etc/os-release":          func(h *tar.Header) bool { return h.Size > 0 },
		"etc/passwd":              func(h *tar.Header) bool { return h.Uid == 0 },
		"etc/kubevisor/services/": func(h *tar.Header) bool { return h.Typeflag == tar.TypeDir },
	} {
		h, ok := found[name]
		if !ok || !check(h) {
			t.Errorf("%s: %+v", name, h)
		}
	}
}
