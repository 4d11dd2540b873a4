package local

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kubevisor/kubevisor/internal/provider"
)

// imageIndex remembers which payload file (path, size, modification time)
// has which SHA-256, so that a payload is hashed once.
type imageIndex struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	ModTime int64  `json:"modTime"`
	SHA256  string `json:"sha256"`
}

// imageRoot is an extracted image's root file system.
func (p *Provider) imageRoot(key string) string { return filepath.Join(p.dir.images, key, "rootfs") }

// ensureImage extracts the image's payload (a tar, optionally gzip) once
// into a shared read-only directory keyed by the payload's SHA-256, and
// returns the key.
func (p *Provider) ensureImage(img provider.Image) (string, error) {
	if img.DiskPath == "" {
		return "", fmt.Errorf("image %s has no disk payload on this host: %w", img.Name, provider.ErrInvalid)
	}
	st, err := os.Stat(img.DiskPath)
	if err != nil {
		return "", fmt.Errorf("image %s: %w: %w", img.Name, err, provider.ErrInvalid)
	}
	p.imageMu.Lock()
	defer p.imageMu.Unlock()
	unlock, err := lockFile(filepath.Join(p.dir.images, ".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()

	sum := sha256.Sum256([]byte(img.DiskPath))
	indexPath := filepath.Join(p.dir.images, "index", hex.EncodeToString(sum[:16])+".json")
	var idx imageIndex
	if b, err := os.ReadFile(indexPath); err == nil && json.Unmarshal(b, &idx) == nil &&
		idx.Path == img.DiskPath && idx.Size == st.Size() && idx.ModTime == st.ModTime().UnixNano() {
		if _, err := os.Stat(p.imageRoot(idx.SHA256)); err == nil {
			return idx.SHA256, nil
		}
	}
	key, err := fileSHA256(img.DiskPath)
	if err != nil {
		return "", fmt.Errorf("hashing image %s: %w", img.Name, err)
	}
	if _, err := os.Stat(p.imageRoot(key)); err != nil {
		if err := p.extractImage(img, key); err != nil {
			return "", err
		}
	}
	idx = imageIndex{Path: img.DiskPath, Size: st.Size(), ModTime: st.ModTime().UnixNano(), SHA256: key}
	b, _ := json.Marshal(idx)
	if err := writeFileAtomic(indexPath, b, 0o644); err != nil {
		return "", err
	}
	return key, nil
}

func (p *Provider) extractImage(img provider.Image, key string) error {
	tmp, err := os.MkdirTemp(p.dir.images, ".extract-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	root := filepath.Join(tmp, "rootfs")
	if err := os.Mkdir(root, 0o755); err != nil {
		return err
	}
	f, err := os.Open(img.DiskPath)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := extractTar(f, root); err != nil {
		return fmt.Errorf("extracting image %s: %w: %w", img.Name, err, provider.ErrInvalid)
	}
	if err := os.Rename(tmp, filepath.Join(p.dir.images, key)); err != nil {
		return fmt.Errorf("storing image %s: %w", img.Name, err)
	}
	return nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// extractTar unpacks a tar or tar.gz stream into root, keeping modes,
// owners, links and device nodes; no entry can write outside root.
func extractTar(r io.Reader, root string) error {
	br := bufio.NewReader(r)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return err
		}
		defer zr.Close()
		r = zr
	} else {
		r = br
	}
	tr := tar.NewReader(r)
	type dirTime struct {
		path string
		t    time.Time
	}
	var dirs []dirTime
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		rel := filepath.Clean("/" + h.Name)
		if rel == "/" {
			continue
		}
		target := filepath.Join(root, rel)
		if err := checkParents(root, rel); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
			return err
		}
		mode := os.FileMode(h.Mode) & os.ModePerm
		switch h.Typeflag {
		case tar.TypeDir:
			if st, err := os.Lstat(target); err != nil || !st.IsDir() {
				_ = os.RemoveAll(target)
				if err := os.Mkdir(target, 0o755); err != nil {
					return err
				}
			}
			dirs = append(dirs, dirTime{target, h.ModTime})
		case tar.TypeReg:
			_ = os.RemoveAll(target)
			f, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			_ = os.RemoveAll(target)
			if err := os.Symlink(h.Linkname, target); err != nil {
				return err
			}
		case tar.TypeLink:
			src := filepath.Clean("/" + h.Linkname)
			if err := checkParents(root, src); err != nil {
				return err
			}
			_ = os.RemoveAll(target)
			if err := os.Link(filepath.Join(root, src), target); err != nil {
				return err
			}
		case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
			m := uint32(unix.S_IFIFO)
			switch h.Typeflag {
			case tar.TypeChar:
				m = unix.S_IFCHR
			case tar.TypeBlock:
				m = unix.S_IFBLK
			}
			_ = os.RemoveAll(target)
			if err := unix.Mknod(target, m|uint32(mode), int(unix.Mkdev(uint32(h.Devmajor), uint32(h.Devminor)))); err != nil {
				return err
			}
		default:
			continue // PAX globals and the like
		}
		if err := os.Lchown(target, h.Uid, h.Gid); err != nil {
			return err
		}
		if h.Typeflag != tar.TypeSymlink {
			// chmod after chown: chown clears set-ID bits.
			full := mode
			if h.Mode&0o4000 != 0 {
				full |= os.ModeSetuid
			}
			if h.Mode&0o2000 != 0 {
				full |= os.ModeSetgid
			}
			if h.Mode&0o1000 != 0 {
				full |= os.ModeSticky
			}
			if err := os.Chmod(target, full); err != nil {
				return err
			}
			if h.Typeflag != tar.TypeDir {
				_ = os.Chtimes(target, h.ModTime, h.ModTime)
			}
		}
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		_ = os.Chtimes(dirs[i].path, dirs[i].t, dirs[i].t)
	}
	return nil
}

// checkParents refuses a path whose existing parent directories under
// root include a symbolic link: a tar must not write through a link.
func checkParents(root, rel string) error {
	dir := filepath.Dir(rel)
	if dir == "/" {
		return nil
	}
	cur := root
	for _, part := range strings.Split(strings.TrimPrefix(dir, "/"), "/") {
		cur = filepath.Join(cur, part)
		st, err := os.Lstat(cur)
		if err != nil {
			return nil // does not exist yet: nothing below it exists either
		}
		if st.Mode()&os.ModeSymlink != 0 {
			return fmt.Errorf("tar entry %s goes through the symbolic link %s", rel, strings.TrimPrefix(cur, root))
		}
	}
	return nil
}
