package imagearchive

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Image is one container image.
type Image struct {
	// Names are the image's references, repository:tag, such as
	// kubevisor.local/k8s/kube-apiserver:v1.36.3. At least one is needed.
	Names []string
	// Config is the image's run configuration.
	Config Config
	// Layers are the file system layers, lowest first.
	Layers []Layer
	// Created stamps the config and every layer entry; the Unix epoch when
	// zero, so equal inputs make equal archives.
	Created time.Time
	// Architecture and OS are the platform; amd64 and linux when empty.
	Architecture, OS string
	// Compress stores the layers gzip-compressed (level 1). Importing then
	// moves a third of the bytes into the runtime's content store, at the
	// cost of decompressing when the image is unpacked.
	Compress bool
}

// Config is the part of an OCI image config that says how the image runs.
type Config struct {
	User       string            `json:"User,omitempty"`
	Env        []string          `json:"Env,omitempty"`
	Entrypoint []string          `json:"Entrypoint,omitempty"`
	Cmd        []string          `json:"Cmd,omitempty"`
	WorkingDir string            `json:"WorkingDir,omitempty"`
	Labels     map[string]string `json:"Labels,omitempty"`
	StopSignal string            `json:"StopSignal,omitempty"`
}

// Layer is the content of one layer.
type Layer []File

// Type is the kind of a File.
type Type int

// File types.
const (
	Regular Type = iota
	Dir
	Symlink
	Hardlink
)

// File is one entry of a layer.
type File struct {
	// Path is the entry's path in the image, slash-separated; a leading
	// slash is ignored.
	Path string
	// Type is the kind of entry (Regular by default).
	Type Type
	// Mode holds the permission bits; 0644 for a regular file and 0755 for
	// a directory when zero.
	Mode int64
	// UID and GID own the entry.
	UID, GID int
	// Source is a host file whose content a Regular entry takes; it is
	// read when the archive is written (twice: once to digest the layer).
	Source string
	// Data is a Regular entry's content when Source is empty.
	Data []byte
	// Link is the target of a Symlink, or the path of the entry a Hardlink
	// links to.
	Link string
}

// WriteFile writes an archive of the images to path through a temporary
// file, so path never holds a partial archive.
func WriteFile(p string, images ...Image) error {
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+filepath.Base(p)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := Write(tmp, images...); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), p)
}

// manifestEntry is one image of manifest.json.
type manifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

type imageConfig struct {
	Architecture string    `json:"architecture"`
	OS           string    `json:"os"`
	Created      time.Time `json:"created"`
	Config       Config    `json:"config"`
	RootFS       rootFS    `json:"rootfs"`
	History      []history `json:"history,omitempty"`
}

type rootFS struct {
	Type    string   `json:"type"`
	DiffIDs []string `json:"diff_ids"`
}

type history struct {
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by,omitempty"`
}

type layerInfo struct {
	entries  []File
	mtime    time.Time
	compress bool
	// blobHex and size describe the layer as stored: its name in the
	// archive is <blobHex>/layer.tar (or layer.tar.gz); for an
	// uncompressed layer the blob is the tar, whose digest is the diff ID.
	blobHex string
	size    int64
}

// name is the layer's member name in the archive.
func (l *layerInfo) name() string {
	if l.compress {
		return l.blobHex + "/layer.tar.gz"
	}
	return l.blobHex + "/layer.tar"
}

// writeBlob writes the layer as stored to w and returns the hex digests of
// the uncompressed tar and of what was written, and the written length.
func (l *layerInfo) writeBlob(w io.Writer) (diffHex, blobHex string, size int64, err error) {
	blobHash := sha256.New()
	cw := &countingWriter{w: io.MultiWriter(w, blobHash)}
	diffHash := sha256.New()
	if !l.compress {
		if _, err := writeLayer(io.MultiWriter(cw, diffHash), l.entries, l.mtime); err != nil {
			return "", "", 0, err
		}
		d := hex.EncodeToString(diffHash.Sum(nil))
		return d, d, cw.n, nil
	}
	zw, err := gzip.NewWriterLevel(cw, gzip.BestSpeed)
	if err != nil {
		return "", "", 0, err
	}
	if _, err := writeLayer(io.MultiWriter(zw, diffHash), l.entries, l.mtime); err != nil {
		return "", "", 0, err
	}
	if err := zw.Close(); err != nil {
		return "", "", 0, err
	}
	return hex.EncodeToString(diffHash.Sum(nil)), hex.EncodeToString(blobHash.Sum(nil)), cw.n, nil
}

// Write writes an archive of the images to w.
func Write(w io.Writer, images ...Image) error {
	if len(images) == 0 {
		return errors.New("no images to write")
	}
	var manifest []manifestEntry
	var layers []*layerInfo
	seen := map[string]bool{}
	type blob struct {
		name string
		data []byte
	}
	var configs []blob
	var epoch time.Time
	for i, img := range images {
		if len(img.Names) == 0 {
			return fmt.Errorf("image %d has no name", i)
		}
		for _, n := range img.Names {
			if err := checkReference(n); err != nil {
				return err
			}
		}
		created := img.Created.UTC().Truncate(time.Second)
		if img.Created.IsZero() {
			created = time.Unix(0, 0).UTC()
		}
		if i == 0 {
			epoch = created
		}
		cfg := imageConfig{
			Architecture: img.Architecture, OS: img.OS, Created: created, Config: img.Config,
			RootFS: rootFS{Type: "layers", DiffIDs: []string{}},
		}
		if cfg.Architecture == "" {
			cfg.Architecture = "amd64"
		}
		if cfg.OS == "" {
			cfg.OS = "linux"
		}
		entry := manifestEntry{RepoTags: img.Names}
		for j, l := range img.Layers {
			entries, err := normalize(l)
			if err != nil {
				return fmt.Errorf("image %s, layer %d: %w", img.Names[0], j, err)
			}
			li := &layerInfo{entries: entries, mtime: created, compress: img.Compress}
			diffHex, blobHex, n, err := li.writeBlob(io.Discard)
			if err != nil {
				return fmt.Errorf("image %s, layer %d: %w", img.Names[0], j, err)
			}
			li.blobHex, li.size = blobHex, n
			cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, "sha256:"+diffHex)
			cfg.History = append(cfg.History, history{Created: created, CreatedBy: "kubevisor imagearchive"})
			entry.Layers = append(entry.Layers, li.name())
			if !seen[li.name()] {
				seen[li.name()] = true
				layers = append(layers, li)
			}
		}
		data, err := json.Marshal(cfg)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		entry.Config = hex.EncodeToString(sum[:]) + ".json"
		if !seen[entry.Config] {
			seen[entry.Config] = true
			configs = append(configs, blob{entry.Config, data})
		}
		manifest = append(manifest, entry)
	}
	mdata, err := json.Marshal(manifest)
	if err != nil {
		return err
	}

	tw := tar.NewWriter(w)
	header := func(name string, typ byte, size int64) *tar.Header {
		mode := int64(0o644)
		if typ == tar.TypeDir {
			mode = 0o755
		}
		return &tar.Header{Name: name, Typeflag: typ, Mode: mode, Size: size, ModTime: epoch}
	}
	for _, li := range layers {
		if err := tw.WriteHeader(header(li.blobHex+"/", tar.TypeDir, 0)); err != nil {
			return err
		}
		if err := tw.WriteHeader(header(li.name(), tar.TypeReg, li.size)); err != nil {
			return err
		}
		_, blobHex, n, err := li.writeBlob(tw)
		if err != nil {
			return err
		}
		if n != li.size || blobHex != li.blobHex {
			return errors.New("a layer's source files changed while the archive was written")
		}
	}
	for _, c := range append(configs, blob{"manifest.json", mdata}) {
		if err := tw.WriteHeader(header(c.name, tar.TypeReg, int64(len(c.data)))); err != nil {
			return err
		}
		if _, err := tw.Write(c.data); err != nil {
			return err
		}
	}
	return tw.Close()
}

// checkReference rejects names containers cannot be tagged with: a
// reference needs a repository and a tag, with no digest and no spaces.
func checkReference(ref string) error {
	slash := strings.LastIndex(ref, "/")
	colon := strings.LastIndex(ref, ":")
	switch {
	case ref == "" || strings.ContainsAny(ref, " \t\n@"):
		return fmt.Errorf("image name %q: want repository:tag", ref)
	case colon <= slash || colon == len(ref)-1 || colon == 0:
		return fmt.Errorf("image name %q: want repository:tag", ref)
	}
	return nil
}

// normalize cleans the paths of a layer's files, rejects duplicates and
// escapes, adds the parent directories nobody listed, and sorts the
// entries so that every directory precedes its content and every hard
// link the file it links to.
func normalize(l Layer) ([]File, error) {
	byPath := map[string]File{}
	for _, f := range l {
		p := path.Clean("/" + f.Path)
		if p == "/" {
			continue
		}
		p = strings.TrimPrefix(p, "/")
		if _, dup := byPath[p]; dup {
			return nil, fmt.Errorf("%s is listed twice", p)
		}
		switch f.Type {
		case Regular, Dir:
		case Symlink, Hardlink:
			if f.Link == "" {
				return nil, fmt.Errorf("%s: a link needs a target", p)
			}
		default:
			return nil, fmt.Errorf("%s: unknown type %d", p, f.Type)
		}
		if f.Type == Hardlink {
			f.Link = strings.TrimPrefix(path.Clean("/"+f.Link), "/")
		}
		f.Path = p
		byPath[p] = f
	}
	for p := range byPath {
		for d := path.Dir(p); d != "."; d = path.Dir(d) {
			if f, ok := byPath[d]; ok {
				if f.Type != Dir {
					return nil, fmt.Errorf("%s is inside %s, which is not a directory", p, d)
				}
				continue
			}
			byPath[d] = File{Path: d, Type: Dir}
		}
	}
	out := make([]File, 0, len(byPath))
	for _, f := range byPath {
		out = append(out, f)
	}
	// Hard links go last, so that what they link to precedes them.
	sort.Slice(out, func(i, j int) bool {
		if hi, hj := out[i].Type == Hardlink, out[j].Type == Hardlink; hi != hj {
			return hj
		}
		return out[i].Path < out[j].Path
	})
	for _, f := range out {
		if f.Type == Hardlink {
			if t, ok := byPath[f.Link]; !ok || t.Type != Regular {
				return nil, fmt.Errorf("%s: hard link to %s, which is not a regular file of the layer", f.Path, f.Link)
			}
		}
	}
	return out, nil
}

// writeLayer writes a layer's tar to w and returns its length.
func writeLayer(w io.Writer, files []File, mtime time.Time) (int64, error) {
	cw := &countingWriter{w: w}
	tw := tar.NewWriter(cw)
	for _, f := range files {
		hdr := &tar.Header{Name: f.Path, Mode: f.Mode, Uid: f.UID, Gid: f.GID, ModTime: mtime}
		switch f.Type {
		case Dir:
			hdr.Typeflag, hdr.Name = tar.TypeDir, f.Path+"/"
			if hdr.Mode == 0 {
				hdr.Mode = 0o755
			}
		case Symlink:
			hdr.Typeflag, hdr.Linkname = tar.TypeSymlink, f.Link
			if hdr.Mode == 0 {
				hdr.Mode = 0o777
			}
		case Hardlink:
			hdr.Typeflag, hdr.Linkname = tar.TypeLink, f.Link
			if hdr.Mode == 0 {
				hdr.Mode = 0o644
			}
		default:
			hdr.Typeflag = tar.TypeReg
			if hdr.Mode == 0 {
				hdr.Mode = 0o644
			}
		}
		if err := writeEntry(tw, hdr, f); err != nil {
			return 0, fmt.Errorf("%s: %w", f.Path, err)
		}
	}
	if err := tw.Close(); err != nil {
		return 0, err
	}
	return cw.n, nil
}

// writeEntry writes one header and, for a regular file, its content.
func writeEntry(tw *tar.Writer, hdr *tar.Header, f File) error {
	if hdr.Typeflag != tar.TypeReg {
		return tw.WriteHeader(hdr)
	}
	if f.Source == "" {
		hdr.Size = int64(len(f.Data))
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(f.Data)
		return err
	}
	file, err := os.Open(f.Source)
	if err != nil {
		return err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", f.Source)
	}
	hdr.Size = st.Size()
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	n, err := io.Copy(tw, file)
	if err != nil {
		return err
	}
	if n != hdr.Size {
		return fmt.Errorf("%s changed while it was read", f.Source)
	}
	return nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
