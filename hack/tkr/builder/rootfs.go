package builder

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"text/template"
	"time"

	"github.com/kubevisor/kubevisor/internal/guest/services"
)

// files are the node image's own files, at their paths in the image;
// *.tmpl files are templates (see fileData).
//
//go:embed files
var files embed.FS

// fileData is what the templates among files see.
type fileData struct {
	Release    string
	PauseImage string
}

// emptied are directories of the base whose content the image leaves out:
// mount points, caches, logs and documentation.
var emptied = []string{
	"dev", "proc", "sys", "run", "tmp", "var/tmp", "var/log", "var/cache/apt", "var/lib/apt/lists",
	"usr/share/man", "usr/share/info", "usr/share/locale", "usr/share/lintian", "usr/share/doc",
}

// keptDoc reports whether a path under usr/share/doc stays: Debian's
// copyright files (usr/share/doc/<package>/copyright) and their directories.
func keptDoc(rel string, isDir bool) bool {
	if !strings.HasPrefix(rel, "usr/share/doc/") {
		return false
	}
	if isDir {
		return strings.Count(rel, "/") == 3
	}
	return path.Base(rel) == "copyright" && strings.Count(rel, "/") == 4
}

// dropped reports whether a path of the base stays out of the image: the
// content of the emptied directories, but for the copyright files.
func dropped(rel string, isDir bool) bool {
	for _, e := range emptied {
		if strings.HasPrefix(rel, e+"/") {
			return !keptDoc(rel, isDir)
		}
	}
	return false
}

// overlayEntry is a file the image adds to, or replaces in, the base.
type overlayEntry struct {
	typ    byte
	mode   int64
	data   []byte
	source string
	link   string
}

// rootfs writes <out>/rootfs.tar.gz, the node's root file system: the
// Debian base (less caches and docs) with the Kubernetes node binaries,
// the CNI plugins, containerd's root with the images preloaded, and the
// node's configuration and services on top.
func (b *build) rootfs(ctx context.Context) error {
	overlay, err := b.overlay()
	if err != nil {
		return err
	}
	var inputs []string
	for _, p := range sortedKeys(overlay) {
		e := overlay[p]
		switch {
		case e.source != "":
			// Sources are step outputs, covered by the stamps below.
			inputs = append(inputs, fmt.Sprintf("%s %c %o %s", p, e.typ, e.mode, e.source))
		default:
			inputs = append(inputs, fmt.Sprintf("%s %c %o %s %s", p, e.typ, e.mode, e.link, fingerprint([]string{string(e.data)})))
		}
	}
	h := fingerprint(inputs)
	out := b.rootfsPath()
	stepInputs := []string{"recipe=rootfs/2", "base=" + b.base, "overlay=" + h, "kubernetes=" + b.stampOf("kubernetes"),
		"cni=" + b.stampOf("cni"), "images=" + b.stampOf("images"), "containerd=" + b.stampOf("containerd"),
		"emptied=" + strings.Join(emptied, ",")}
	return b.step("rootfs", stepInputs, []string{out}, func() error {
		return b.writeRootFS(ctx, out, overlay)
	})
}

// containerdRoot is where the node's containerd keeps its state.
const containerdRoot = "var/lib/containerd"

func (b *build) rootfsPath() string { return filepath.Join(b.o.Output, "rootfs.tar.gz") }

// overlay lists what the image puts on top of the base.
func (b *build) overlay() (map[string]overlayEntry, error) {
	o := map[string]overlayEntry{}
	file := func(p string, mode int64, data []byte) { o[p] = overlayEntry{typ: tar.TypeReg, mode: mode, data: data} }
	bin := func(p, src string) { o[p] = overlayEntry{typ: tar.TypeReg, mode: 0o755, source: src} }
	dir := func(p string, mode int64) { o[p] = overlayEntry{typ: tar.TypeDir, mode: mode} }

	k8s := b.binDir("k8s")
	bin("usr/bin/kubelet", filepath.Join(k8s, "kubelet"))
	bin("usr/bin/kubectl", filepath.Join(k8s, "kubectl"))
	bin("usr/lib/kubevisor/bin/kubeadm", filepath.Join(k8s, "kubeadm"))
	bin("usr/lib/kubevisor/bin/cri-ready", filepath.Join(b.binDir("kubevisor"), "criready"))
	for _, p := range cniPlugins {
		bin("opt/cni/bin/"+path.Base(p), filepath.Join(b.binDir("cni"), path.Base(p)))
	}
	// The archives themselves are not in the image: their images are in
	// the preloaded containerd root (var/lib/containerd, step
	// containerd), which records each archive's digest as imported.
	for _, f := range imageLists {
		o["var/lib/kubevisor/images/"+f] = overlayEntry{typ: tar.TypeReg, mode: 0o644, source: filepath.Join(b.imagesDir(), f)}
	}
	for _, d := range []string{"etc/cni/net.d", "etc/containerd/certs.d", "etc/kubernetes/manifests", "opt/cni/bin", "var/lib/kubevisor/images"} {
		dir(d, 0o755)
	}
	file("etc/hostname", 0o644, []byte("localhost\n"))
	file("etc/hosts", 0o644, []byte("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"))
	file("etc/resolv.conf", 0o644, []byte("# Written at boot from the VM's network configuration.\n"))
	rel, err := json.MarshalIndent(b.release, "", "  ")
	if err != nil {
		return nil, err
	}
	file("etc/kubevisor/release.json", 0o644, append(rel, '\n'))

	data := fileData{Release: b.release.Name(), PauseImage: b.release.Image("pause", b.release.PauseTag)}
	err = fs.WalkDir(files, "files", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		content, err := files.ReadFile(p)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(p, "files/")
		if strings.HasSuffix(rel, ".tmpl") {
			rel = strings.TrimSuffix(rel, ".tmpl")
			t, err := template.New(rel).Option("missingkey=error").Parse(string(content))
			if err != nil {
				return err
			}
			var buf bytes.Buffer
			if err := t.Execute(&buf, data); err != nil {
				return fmt.Errorf("%s: %w", p, err)
			}
			content = buf.Bytes()
		}
		mode := int64(0o644)
		if strings.HasPrefix(rel, "usr/bin/") || strings.HasPrefix(rel, "usr/lib/kubevisor/") {
			mode = 0o755
		}
		if strings.HasPrefix(rel, strings.TrimPrefix(services.Dir, "/")+"/") {
			if err := checkService(rel, content); err != nil {
				return err
			}
		}
		file(rel, mode, content)
		return nil
	})
	if err != nil {
		return nil, err
	}
	// Parents nobody listed.
	for p := range o {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if _, ok := o[d]; !ok {
				if _, err := os.Lstat(filepath.Join(b.base, d)); err != nil {
					dir(d, 0o755)
				}
			}
		}
	}
	return o, nil
}

// checkService validates a guest agent service definition.
func checkService(name string, content []byte) error {
	tmp, err := os.CreateTemp("", "service-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return err
	}
	tmp.Close()
	if _, err := services.ReadDefinition(tmp.Name()); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// writeRootFS walks the base and writes it, with the overlay, as a gzip
// tarball.
func (b *build) writeRootFS(ctx context.Context, out string, overlay map[string]overlayEntry) error {
	tmp, err := os.CreateTemp(filepath.Dir(out), ".rootfs-*.tar.gz")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	bw := bufio.NewWriterSize(tmp, 1<<20)
	zw, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(zw)
	w := &rootWriter{tw: tw, base: b.base, overlay: overlay, links: map[[2]uint64]string{}, mtime: b.modTime}
	err = filepath.WalkDir(b.base, func(host string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(b.base, host)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if dropped(rel, d.IsDir()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		return w.base1(rel, host)
	})
	if err != nil {
		return err
	}
	// The preloaded containerd root, as the files containerd wrote.
	store := b.containerdDir()
	err = filepath.WalkDir(store, func(host string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(store, host)
		if err != nil {
			return err
		}
		return w.base1(path.Join(containerdRoot, filepath.ToSlash(rel)), host)
	})
	if err != nil {
		return err
	}
	for _, p := range sortedKeys(overlay) {
		if err := w.overlay1(p, overlay[p]); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), out)
}

type rootWriter struct {
	tw      *tar.Writer
	base    string
	overlay map[string]overlayEntry
	links   map[[2]uint64]string
	mtime   time.Time
}

// base1 writes one entry of the base, or the overlay entry that replaces it.
func (w *rootWriter) base1(rel, host string) error {
	if e, ok := w.overlay[rel]; ok {
		delete(w.overlay, rel)
		return w.overlay1(rel, e)
	}
	st, err := os.Lstat(host)
	if err != nil {
		return err
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fmt.Errorf("%s: no stat", host)
	}
	hdr := &tar.Header{Name: rel, Mode: int64(sys.Mode & 0o7777), Uid: int(sys.Uid), Gid: int(sys.Gid), ModTime: st.ModTime().Truncate(time.Second)}
	switch {
	case st.IsDir():
		hdr.Typeflag, hdr.Name = tar.TypeDir, rel+"/"
	case st.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(host)
		if err != nil {
			return err
		}
		hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, target
	case st.Mode().IsRegular():
		key := [2]uint64{sys.Dev, sys.Ino}
		if sys.Nlink > 1 {
			if first, ok := w.links[key]; ok {
				hdr.Typeflag, hdr.Linkname = tar.TypeLink, first
				return w.tw.WriteHeader(hdr)
			}
			w.links[key] = rel
		}
		hdr.Typeflag, hdr.Size = tar.TypeReg, st.Size()
		return w.copy(hdr, host)
	default:
		return nil // devices, fifos and sockets: made at boot
	}
	return w.tw.WriteHeader(hdr)
}

// overlay1 writes one entry the image adds.
func (w *rootWriter) overlay1(rel string, e overlayEntry) error {
	hdr := &tar.Header{Name: rel, Typeflag: e.typ, Mode: e.mode, ModTime: w.mtime}
	switch e.typ {
	case tar.TypeDir:
		hdr.Name = rel + "/"
	case tar.TypeSymlink:
		hdr.Linkname = e.link
	case tar.TypeReg:
		if e.source != "" {
			st, err := os.Stat(e.source)
			if err != nil {
				return err
			}
			hdr.Size = st.Size()
			return w.copy(hdr, e.source)
		}
		hdr.Size = int64(len(e.data))
		if err := w.tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := w.tw.Write(e.data)
		return err
	}
	return w.tw.WriteHeader(hdr)
}

func (w *rootWriter) copy(hdr *tar.Header, src string) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := w.tw.WriteHeader(hdr); err != nil {
		return err
	}
	n, err := io.Copy(w.tw, f)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	if n != hdr.Size {
		return fmt.Errorf("%s changed while it was read", src)
	}
	return nil
}
