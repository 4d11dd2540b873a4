package boot

import (
	"os"
	"path/filepath"
	"testing"
)

func TestResolveInRoot(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "var/lib"), 0o755)
	os.Symlink("/", filepath.Join(root, "var/lib/escape"))
	os.Symlink("../../etc", filepath.Join(root, "var/lib/up"))
	os.Symlink("/real", filepath.Join(root, "abs"))
	tests := []struct{ in, want string }{
		{"/var/lib/containerd", "/var/lib/containerd"},
		{"/var/lib/escape/etc/passwd", "/etc/passwd"},
		{"/var/lib/up/hosts", "/etc/hosts"},
		{"/abs/x", "/real/x"},
		{"/../../x", "/x"},
		{"var/../../y", "/y"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := resolveInRoot(root, tt.in)
			if err != nil || got != filepath.Join(root, tt.want) {
				t.Errorf("resolveInRoot(%s) = %s, %v; want %s", tt.in, got, err, filepath.Join(root, tt.want))
			}
		})
	}
	os.Symlink("loop", filepath.Join(root, "loop"))
	if _, err := resolveInRoot(root, "/loop/x"); err == nil {
		t.Errorf("a symlink loop resolved")
	}
}
