package imagearchive

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// readTar returns a tar's regular files and the names of all its entries,
// in order.
func readTar(t *testing.T, data []byte) (files map[string][]byte, names []string, headers map[string]*tar.Header) {
	t.Helper()
	files, headers = map[string][]byte{}, map[string]*tar.Header{}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files, names, headers
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		headers[hdr.Name] = hdr
		if hdr.Typeflag == tar.TypeReg {
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			files[hdr.Name] = b
		}
	}
}

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func testImages(t *testing.T) []Image {
	bin := filepath.Join(t.TempDir(), "tool")
	if err := os.WriteFile(bin, []byte("#!static tool"), 0o755); err != nil {
		t.Fatal(err)
	}
	created := time.Date(2026, 7, 22, 18, 7, 38, 0, time.UTC)
	base := Layer{
		{Path: "/etc/passwd", Data: []byte("root:x:0:0:root:/root:/sbin/nologin\n")},
		{Path: "/tmp", Type: Dir, Mode: 0o1777},
	}
	return []Image{
		{
			Names:   []string{"kubevisor.local/k8s/tool:v1", "kubevisor.local/k8s/tool:v1_build.1"},
			Config:  Config{Entrypoint: []string{"/usr/local/bin/tool"}, Env: []string{"PATH=/usr/local/bin:/bin"}},
			Layers:  []Layer{base, {{Path: "usr/local/bin/tool", Source: bin, Mode: 0o755}, {Path: "bin/tool", Type: Symlink, Link: "/usr/local/bin/tool"}}},
			Created: created,
		},
		{
			Names:   []string{"kubevisor.local/k8s/other:3.1"},
			Config:  Config{Entrypoint: []string{"/other"}, User: "65535:65535"},
			Layers:  []Layer{base, {{Path: "other", Data: []byte("other"), Mode: 0o755}, {Path: "again", Type: Hardlink, Link: "other"}}},
			Created: created,
		},
	}
}

func TestWrite(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, testImages(t)...); err != nil {
		t.Fatal(err)
	}
	files, _, _ := readTar(t, buf.Bytes())

	var manifest []manifestEntry
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest) != 2 {
		t.Fatalf("manifest has %d images, want 2", len(manifest))
	}
	if diff := cmp.Diff([]string{"kubevisor.local/k8s/tool:v1", "kubevisor.local/k8s/tool:v1_build.1"}, manifest[0].RepoTags); diff != "" {
		t.Errorf("RepoTags (-want +got):\n%s", diff)
	}
	// The base layer is shared: stored once, referenced by both images.
	if manifest[0].Layers[0] != manifest[1].Layers[0] {
		t.Errorf("the shared base layer has two names: %s and %s", manifest[0].Layers[0], manifest[1].Layers[0])
	}
	layerFiles := 0
	for name := range files {
		if strings.HasSuffix(name, "/layer.tar") {
			layerFiles++
		}
	}
	if layerFiles != 3 {
		t.Errorf("archive holds %d layers, want 3 (one shared)", layerFiles)
	}

	for _, m := range manifest {
		cfgData, ok := files[m.Config]
		if !ok {
			t.Fatalf("config %s is missing", m.Config)
		}
		if got := sum(cfgData) + ".json"; got != m.Config {
			t.Errorf("config is named %s but its digest is %s", m.Config, got)
		}
		var cfg imageConfig
		if err := json.Unmarshal(cfgData, &cfg); err != nil {
			t.Fatal(err)
		}
		if cfg.Architecture != "amd64" || cfg.OS != "linux" || cfg.RootFS.Type != "layers" {
			t.Errorf("config platform/rootfs = %s/%s/%s", cfg.OS, cfg.Architecture, cfg.RootFS.Type)
		}
		if len(cfg.RootFS.DiffIDs) != len(m.Layers) || len(cfg.History) != len(m.Layers) {
			t.Fatalf("%d diff IDs and %d history entries for %d layers", len(cfg.RootFS.DiffIDs), len(cfg.History), len(m.Layers))
		}
		for i, l := range m.Layers {
			data, ok := files[l]
			if !ok {
				t.Fatalf("layer %s is missing", l)
			}
			if got := "sha256:" + sum(data); got != cfg.RootFS.DiffIDs[i] {
				t.Errorf("layer %s: digest %s, diff ID %s", l, got, cfg.RootFS.DiffIDs[i])
			}
		}
	}

	// The tool image's top layer: parents added, sorted, content from the
	// source file, modes and link targets kept, mtime the creation time.
	var cfg imageConfig
	_ = json.Unmarshal(files[manifest[0].Config], &cfg)
	if diff := cmp.Diff([]string{"/usr/local/bin/tool"}, cfg.Config.Entrypoint); diff != "" {
		t.Errorf("entrypoint (-want +got):\n%s", diff)
	}
	top, names, headers := readTar(t, files[manifest[0].Layers[1]])
	if diff := cmp.Diff([]string{"bin/", "bin/tool", "usr/", "usr/local/", "usr/local/bin/", "usr/local/bin/tool"}, names); diff != "" {
		t.Errorf("top layer entries (-want +got):\n%s", diff)
	}
	if string(top["usr/local/bin/tool"]) != "#!static tool" || headers["usr/local/bin/tool"].Mode != 0o755 {
		t.Errorf("tool: %q mode %o", top["usr/local/bin/tool"], headers["usr/local/bin/tool"].Mode)
	}
	if h := headers["bin/tool"]; h.Typeflag != tar.TypeSymlink || h.Linkname != "/usr/local/bin/tool" {
		t.Errorf("bin/tool: type %c link %q", h.Typeflag, h.Linkname)
	}
	if h := headers["usr/"]; h.Mode != 0o755 || !h.ModTime.Equal(time.Date(2026, 7, 22, 18, 7, 38, 0, time.UTC)) {
		t.Errorf("usr/: mode %o mtime %s", h.Mode, h.ModTime)
	}
	_, _, baseHeaders := readTar(t, files[manifest[0].Layers[0]])
	if h := baseHeaders["tmp/"]; h == nil || h.Mode != 0o1777 {
		t.Errorf("tmp/ is missing or has the wrong mode: %+v", h)
	}
	_, _, otherHeaders := readTar(t, files[manifest[1].Layers[1]])
	if h := otherHeaders["again"]; h == nil || h.Typeflag != tar.TypeLink || h.Linkname != "other" {
		t.Errorf("hard link again: %+v", h)
	}
}

func TestWriteIsReproducible(t *testing.T) {
	images := testImages(t)
	var a, b bytes.Buffer
	if err := Write(&a, images...); err != nil {
		t.Fatal(err)
	}
	if err := Write(&b, images...); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two writes of the same images differ")
	}
}

func TestWriteFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "images.tar")
	if err := WriteFile(p, testImages(t)[1]); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if files, _, _ := readTar(t, data); files["manifest.json"] == nil {
		t.Error("manifest.json is missing")
	}
	if entries, _ := os.ReadDir(filepath.Dir(p)); len(entries) != 1 {
		t.Errorf("the directory holds %d files, want only the archive", len(entries))
	}
}

func TestWriteRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		img  Image
	}{
		{"no name", Image{}},
		{"no tag", Image{Names: []string{"kubevisor.local/k8s/tool"}}},
		{"port, no tag", Image{Names: []string{"kubevisor.local:5000/tool"}}},
		{"digest", Image{Names: []string{"tool@sha256:00"}}},
		{"duplicate path", Image{Names: []string{"t:1"}, Layers: []Layer{{{Path: "a"}, {Path: "/a"}}}}},
		{"file as a parent", Image{Names: []string{"t:1"}, Layers: []Layer{{{Path: "a"}, {Path: "a/b"}}}}},
		{"symlink without target", Image{Names: []string{"t:1"}, Layers: []Layer{{{Path: "a", Type: Symlink}}}}},
		{"dangling hard link", Image{Names: []string{"t:1"}, Layers: []Layer{{{Path: "b", Type: Hardlink, Link: "c"}}}}},
		{"missing source", Image{Names: []string{"t:1"}, Layers: []Layer{{{Path: "a", Source: "/nonexistent/file"}}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := Write(io.Discard, tc.img); err == nil {
				t.Error("Write succeeded")
			}
		})
	}
}

func TestWriteCompressed(t *testing.T) {
	images := testImages(t)
	for i := range images {
		images[i].Compress = true
	}
	var buf bytes.Buffer
	if err := Write(&buf, images...); err != nil {
		t.Fatal(err)
	}
	files, _, _ := readTar(t, buf.Bytes())
	var manifest []manifestEntry
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
		t.Fatal(err)
	}
	if manifest[0].Layers[0] != manifest[1].Layers[0] {
		t.Error("the shared base layer is stored twice")
	}
	var cfg imageConfig
	if err := json.Unmarshal(files[manifest[0].Config], &cfg); err != nil {
		t.Fatal(err)
	}
	for i, l := range manifest[0].Layers {
		blob := files[l]
		if !strings.HasSuffix(l, "/layer.tar.gz") || !strings.HasPrefix(l, sum(blob)+"/") {
			t.Errorf("layer %s is not named <blob digest>/layer.tar.gz (digest %s)", l, sum(blob))
		}
		zr, err := gzip.NewReader(bytes.NewReader(blob))
		if err != nil {
			t.Fatal(err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatal(err)
		}
		if got := "sha256:" + sum(plain); got != cfg.RootFS.DiffIDs[i] {
			t.Errorf("layer %s: uncompressed digest %s, diff ID %s", l, got, cfg.RootFS.DiffIDs[i])
		}
		if _, names, _ := readTar(t, plain); len(names) == 0 {
			t.Errorf("layer %s is empty", l)
		}
	}
}
