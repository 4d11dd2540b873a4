package builder

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kubevisor/kubevisor/internal/imagearchive"
)

func TestKubeadmVersions(t *testing.T) {
	constants := []byte(`
	// DefaultEtcdVersion indicates the default etcd version that kubeadm uses
	DefaultEtcdVersion = "3.6.8-0"
	CoreDNSVersion = "v1.14.2"
	PauseVersion = "3.10.2"
	SupportedEtcdVersion = map[uint8]string{
		34: "3.5.24-0",
		35: "3.6.8-0",
		36: "3.6.9-0",
	}
`)
	for _, tc := range []struct{ minor, etcd string }{{"36", "3.6.9-0"}, {"34", "3.5.24-0"}, {"37", "3.6.8-0"}} {
		etcd, coredns, pause, err := kubeadmVersions(constants, tc.minor)
		if err != nil {
			t.Fatal(err)
		}
		if etcd != tc.etcd || coredns != "v1.14.2" || pause != "3.10.2" {
			t.Errorf("minor %s: etcd %s coredns %s pause %s", tc.minor, etcd, coredns, pause)
		}
	}
	if _, _, _, err := kubeadmVersions([]byte("package constants\n"), "36"); err == nil {
		t.Error("no constants: no error")
	}
}

func TestStaging(t *testing.T) {
	goMod := []byte("replace (\n\tk8s.io/api => ./staging/src/k8s.io/api\n\tk8s.io/cri-streaming => ./staging/src/k8s.io/cri-streaming\n" +
		"\tgithub.com/x/y => github.com/x/y v1.0.0\n)\n")
	if diff := cmp.Diff([]string{"k8s.io/api", "k8s.io/cri-streaming"}, staging(goMod)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestDropped(t *testing.T) {
	for _, tc := range []struct {
		rel   string
		isDir bool
		want  bool
	}{
		{"usr/share/doc/runc", true, false},
		{"usr/share/doc/runc/copyright", false, false},
		{"usr/share/doc/runc/changelog.Debian.gz", false, true},
		{"usr/share/doc/runc/examples", true, true},
		{"usr/share/doc/runc/examples/copyright", false, true},
		{"usr/share/man/man1", true, true},
		{"var/log/dpkg.log", false, true},
		{"var/log", true, false},
		{"usr/bin/containerd", false, false},
		{"dev/null", false, true},
	} {
		if got := dropped(tc.rel, tc.isDir); got != tc.want {
			t.Errorf("dropped(%s, %t) = %t, want %t", tc.rel, tc.isDir, got, tc.want)
		}
	}
}

// TestRootFiles checks that files are collected at their real paths with
// every symbolic link on the way, as in a merged-/usr Debian.
func TestRootFiles(t *testing.T) {
	root := t.TempDir()
	mk := func(p, content string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, p), []byte(content), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	ln := func(target, p string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(root, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, filepath.Join(root, p)); err != nil {
			t.Fatal(err)
		}
	}
	mk("usr/sbin/xtables-nft-multi", "#!/bin/sh\n")
	mk("usr/lib/x86_64-linux-gnu/xtables/libxt_mark.so", "not elf")
	ln("usr/sbin", "sbin")
	ln("/etc/alternatives/iptables", "usr/sbin/iptables")
	ln("/usr/sbin/iptables-nft", "etc/alternatives/iptables")
	ln("xtables-nft-multi", "usr/sbin/iptables-nft")

	r := newRootFiles(root)
	if err := r.add("/sbin/iptables"); err != nil {
		t.Fatal(err)
	}
	if err := r.addDir("/usr/lib/x86_64-linux-gnu/xtables"); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range r.layer() {
		switch f.Type {
		case imagearchive.Symlink:
			got[f.Path] = "-> " + f.Link
		default:
			got[f.Path] = f.Source
		}
	}
	want := map[string]string{
		"/sbin":                       "-> usr/sbin",
		"/usr/sbin/iptables":          "-> /etc/alternatives/iptables",
		"/etc/alternatives/iptables":  "-> /usr/sbin/iptables-nft",
		"/usr/sbin/iptables-nft":      "-> xtables-nft-multi",
		"/usr/sbin/xtables-nft-multi": filepath.Join(root, "usr/sbin/xtables-nft-multi"),
		"/usr/lib/x86_64-linux-gnu/xtables/libxt_mark.so": filepath.Join(root, "usr/lib/x86_64-linux-gnu/xtables/libxt_mark.so"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if err := r.add("/usr/sbin/missing"); err == nil {
		t.Error("a missing file: no error")
	}
}
