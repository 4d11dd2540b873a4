package local

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestExtractTarKeepsWhatAnImageNeeds: hard links stay links, set-ID and
// sticky bits survive the chown, and group owners are kept (a node image's
// /usr/bin/passwd, /etc/shadow and /tmp depend on each).
func TestExtractTarKeepsWhatAnImageNeeds(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give files their owners")
	}
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for _, e := range []struct {
		hdr  tar.Header
		data string
	}{
		{hdr: tar.Header{Name: "usr/", Typeflag: tar.TypeDir, Mode: 0o755}},
		{hdr: tar.Header{Name: "usr/bin/passwd", Typeflag: tar.TypeReg, Mode: 0o4755}, data: "suid"},
		{hdr: tar.Header{Name: "usr/bin/chage", Typeflag: tar.TypeReg, Mode: 0o2755, Gid: 42}, data: "sgid"},
		{hdr: tar.Header{Name: "usr/bin/perl", Typeflag: tar.TypeReg, Mode: 0o755}, data: "perl"},
		{hdr: tar.Header{Name: "usr/bin/perl5.36.0", Typeflag: tar.TypeLink, Linkname: "usr/bin/perl", Mode: 0o755}},
		{hdr: tar.Header{Name: "etc/shadow", Typeflag: tar.TypeReg, Mode: 0o640, Gid: 42}, data: "root:*:"},
		{hdr: tar.Header{Name: "var/mail/", Typeflag: tar.TypeDir, Mode: 0o2775, Gid: 8}},
		{hdr: tar.Header{Name: "tmp/", Typeflag: tar.TypeDir, Mode: 0o1777}},
		{hdr: tar.Header{Name: "bin", Typeflag: tar.TypeSymlink, Linkname: "usr/bin"}},
	} {
		h := e.hdr
		h.Size, h.ModTime, h.Format = int64(len(e.data)), mtime, tar.FormatPAX
		if err := tw.WriteHeader(&h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	if err := extractTar(&buf, root); err != nil {
		t.Fatal(err)
	}
	stat := func(p string) *syscall.Stat_t {
		t.Helper()
		var st syscall.Stat_t
		if err := syscall.Lstat(filepath.Join(root, p), &st); err != nil {
			t.Fatal(err)
		}
		return &st
	}
	for _, tt := range []struct {
		path string
		mode uint32
		gid  uint32
	}{
		{"usr/bin/passwd", syscall.S_IFREG | 0o4755, 0},
		{"usr/bin/chage", syscall.S_IFREG | 0o2755, 42},
		{"etc/shadow", syscall.S_IFREG | 0o640, 42},
		{"var/mail", syscall.S_IFDIR | 0o2775, 8},
		{"tmp", syscall.S_IFDIR | 0o1777, 0},
	} {
		if st := stat(tt.path); st.Mode != tt.mode || st.Gid != tt.gid || st.Uid != 0 {
			t.Errorf("%s: mode %o, owner %d:%d; want mode %o, owner 0:%d", tt.path, st.Mode, st.Uid, st.Gid, tt.mode, tt.gid)
		}
	}
	if a, b := stat("usr/bin/perl"), stat("usr/bin/perl5.36.0"); a.Ino != b.Ino || a.Nlink != 2 {
		t.Errorf("the hard link is a copy: inodes %d and %d, %d links", a.Ino, b.Ino, a.Nlink)
	}
	if st, err := os.Lstat(filepath.Join(root, "bin")); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("bin: %v, %v; want a symbolic link", st, err)
	}
	if st, _ := os.Stat(filepath.Join(root, "usr/bin/perl")); !st.ModTime().Equal(mtime) {
		t.Errorf("modification time %v, want %v", st.ModTime(), mtime)
	}
}
