package builder

import (
	"debug/elf"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/kubevisor/kubevisor/internal/imagearchive"
)

// rootFiles collects files of a root file system (such as the Debian
// base) for an image layer: each path with the symbolic links on the way
// to it, and for ELF files the shared libraries they need, found the way
// the dynamic loader would find them inside that root.
type rootFiles struct {
	root  string
	files map[string]imagearchive.File
}

func newRootFiles(root string) *rootFiles {
	return &rootFiles{root: root, files: map[string]imagearchive.File{}}
}

// libraryDirs are the loader's default search path on Debian amd64.
var libraryDirs = []string{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"}

// add adds the file at p (absolute in the root) and, for an ELF file, its
// interpreter and needed libraries, recursively.
func (r *rootFiles) add(p string) error {
	real, err := r.resolve(p)
	if err != nil {
		return err
	}
	if _, done := r.files[real]; done {
		return nil
	}
	host := filepath.Join(r.root, real)
	st, err := os.Stat(host)
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", p)
	}
	r.files[real] = imagearchive.File{Path: real, Source: host, Mode: int64(st.Mode().Perm())}
	f, err := elf.Open(host)
	if err != nil {
		return nil // not ELF: a plain file
	}
	defer f.Close()
	var deps []string
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP {
			data := make([]byte, prog.Filesz)
			if _, err := prog.ReadAt(data, 0); err != nil {
				return fmt.Errorf("%s: reading its interpreter: %w", p, err)
			}
			deps = append(deps, strings.TrimRight(string(data), "\x00"))
		}
	}
	libs, err := f.ImportedLibraries()
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	for _, lib := range libs {
		found := ""
		for _, dir := range libraryDirs {
			if _, err := r.resolve(path.Join(dir, lib)); err == nil {
				found = path.Join(dir, lib)
				break
			}
		}
		if found == "" {
			return fmt.Errorf("%s needs %s, which %s does not have", p, lib, r.root)
		}
		deps = append(deps, found)
	}
	for _, d := range deps {
		if err := r.add(d); err != nil {
			return err
		}
	}
	return nil
}

// addDir adds every regular file directly in dir (such as iptables'
// extensions, which it loads at run time).
func (r *rootFiles) addDir(dir string) error {
	real, err := r.resolve(dir)
	if err != nil {
		return err
	}
	entries, err := os.ReadDir(filepath.Join(r.root, real))
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Type().IsRegular() || e.Type()&os.ModeSymlink != 0 {
			if err := r.add(path.Join(real, e.Name())); err != nil {
				return err
			}
		}
	}
	return nil
}

// resolve follows the symbolic links of p inside the root, recording each
// link it passes as a Symlink entry, and returns the real path.
func (r *rootFiles) resolve(p string) (string, error) {
	real := "/"
	rest := strings.Split(strings.Trim(path.Clean("/"+p), "/"), "/")
	for hops := 0; len(rest) > 0; {
		name := rest[0]
		rest = rest[1:]
		if name == "" || name == "." {
			continue
		}
		if name == ".." {
			real = path.Dir(real)
			continue
		}
		next := path.Join(real, name)
		st, err := os.Lstat(filepath.Join(r.root, next))
		if err != nil {
			return "", err
		}
		if st.Mode()&os.ModeSymlink == 0 {
			real = next
			continue
		}
		if hops++; hops > 40 {
			return "", fmt.Errorf("%s: too many symbolic links", p)
		}
		target, err := os.Readlink(filepath.Join(r.root, next))
		if err != nil {
			return "", err
		}
		r.files[next] = imagearchive.File{Path: next, Type: imagearchive.Symlink, Link: target}
		if path.IsAbs(target) {
			real = "/"
		}
		rest = append(strings.Split(strings.Trim(target, "/"), "/"), rest...)
	}
	return real, nil
}

// layer returns what was collected.
func (r *rootFiles) layer() imagearchive.Layer {
	var l imagearchive.Layer
	for _, k := range sortedKeys(r.files) {
		l = append(l, r.files[k])
	}
	return l
}
