package local

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/kubevisor/kubevisor/internal/guest/status"
	"github.com/kubevisor/kubevisor/internal/mounts"
)

// Publish implements provider.Publisher: it writes the VM's root file
// system as it is now (the image plus the VM's changes) as a tar.gz into
// dir. Scratch directories, virtual file systems, the cloud-init seed and
// the agent's status are left out (their directories stay, empty).
func (p *Provider) Publish(ctx context.Context, id, dir string) (string, error) {
	unlock, err := p.lockVM(ctx, id)
	if err != nil {
		return "", err
	}
	defer unlock()
	rec, err := p.load(id)
	if err != nil {
		return "", err
	}
	d := p.vmDir(id)
	mnt, err := os.MkdirTemp(string(d), "publish-")
	if err != nil {
		return "", err
	}
	defer os.Remove(mnt)
	// A read-only overlay of the disk over the image: the merged view,
	// without touching the VM's own mount.
	opts := fmt.Sprintf("lowerdir=%s:%s", d.upper(), p.imageRoot(rec.ImageKey))
	if err := unix.Mount("overlay", mnt, "overlay", unix.MS_RDONLY, opts); err != nil {
		return "", fmt.Errorf("mounting VM %s's disk: %w", id, err)
	}
	defer func() { _ = mounts.Unmount(mnt) }()

	skip := map[string]bool{"/proc": true, "/sys": true, "/dev": true, "/run": true, "/tmp": true,
		seedDir: true, status.PersistentPath: true}
	for _, s := range rec.Scratch {
		skip[filepath.Clean(s)] = true
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	out := filepath.Join(dir, fmt.Sprintf("%s-%s.tar.gz", id, time.Now().UTC().Format("20060102T150405Z")))
	tmp := out + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp)
	if err := writeTree(ctx, f, mnt, skip); err != nil {
		f.Close()
		return "", fmt.Errorf("publishing VM %s: %w", id, err)
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, out); err != nil {
		return "", err
	}
	return out, nil
}

// writeTree writes root as a tar.gz; for guest paths in skip only the
// directory itself is kept.
func writeTree(ctx context.Context, w io.Writer, root string, skip map[string]bool) error {
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	inodes := map[uint64]string{}
	err := filepath.WalkDir(root, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		rel, _ := filepath.Rel(root, path)
		if rel == "." {
			return nil
		}
		guest := "/" + rel
		info, err := de.Info()
		if err != nil {
			return err
		}
		if skip[guest] && !de.IsDir() {
			return nil
		}
		if info.Mode()&(fs.ModeSocket) != 0 {
			return nil
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = rel
		if de.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uname, hdr.Gname = "", ""
		hdr.Format = tar.FormatPAX
		if st, ok := info.Sys().(*syscall.Stat_t); ok && info.Mode().IsRegular() && st.Nlink > 1 {
			if first, ok := inodes[st.Ino]; ok {
				hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
			} else {
				inodes[st.Ino] = rel
			}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if hdr.Typeflag == tar.TypeReg && hdr.Size > 0 {
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			if err != nil {
				return err
			}
		}
		if de.IsDir() && skip[guest] {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return zw.Close()
}
