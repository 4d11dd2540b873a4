package cloudinit

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

func (a *Applier) writeFiles(files []File, deferred bool) error {
	var errs []string
	for _, f := range files {
		if f.Defer != deferred {
			continue
		}
		if err := a.writeFile(f); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", f.Path, err))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

func (a *Applier) writeFile(f File) error {
	p := a.path(f.Path)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	if f.Append {
		flags = os.O_WRONLY | os.O_CREATE | os.O_APPEND
	}
	fh, err := os.OpenFile(p, flags, f.Permissions)
	if err != nil {
		return err
	}
	if _, err := fh.Write(f.Content); err != nil {
		fh.Close()
		return err
	}
	if err := fh.Close(); err != nil {
		return err
	}
	if err := os.Chmod(p, f.Permissions); err != nil {
		return err
	}
	owner := f.Owner
	if owner == "" {
		owner = "root:root"
	}
	uid, gid, err := a.lookupOwner(owner)
	if err != nil {
		return err
	}
	return a.chown(p, uid, gid)
}

// lookupOwner resolves "user[:group]" (names or numbers) in the guest's
// /etc/passwd and /etc/group.
func (a *Applier) lookupOwner(owner string) (int, int, error) {
	user, group, hasGroup := strings.Cut(owner, ":")
	uid, gid, err := a.lookupUser(user)
	if err != nil {
		return 0, 0, err
	}
	if hasGroup && group != "" {
		if gid, err = a.lookupGroup(group); err != nil {
			return 0, 0, err
		}
	}
	return uid, gid, nil
}

func (a *Applier) lookupUser(name string) (uid, gid int, err error) {
	if n, err := strconv.Atoi(name); err == nil {
		return n, n, nil
	}
	for _, fields := range readDB(a.path("/etc/passwd")) {
		if len(fields) >= 4 && fields[0] == name {
			uid, _ = strconv.Atoi(fields[2])
			gid, _ = strconv.Atoi(fields[3])
			return uid, gid, nil
		}
	}
	return 0, 0, fmt.Errorf("unknown user %q", name)
}

func (a *Applier) lookupGroup(name string) (int, error) {
	if n, err := strconv.Atoi(name); err == nil {
		return n, nil
	}
	for _, fields := range readDB(a.path("/etc/group")) {
		if len(fields) >= 3 && fields[0] == name {
			gid, _ := strconv.Atoi(fields[2])
			return gid, nil
		}
	}
	return 0, fmt.Errorf("unknown group %q", name)
}

// chown changes ownership; when not running as root (unit tests) it is a
// no-op for root-owned files and an error otherwise.
func (a *Applier) chown(p string, uid, gid int) error {
	if os.Geteuid() != 0 {
		if uid == 0 && gid == 0 {
			return nil
		}
		return fmt.Errorf("chown %s to %d:%d: not running as root", p, uid, gid)
	}
	return os.Lchown(p, uid, gid)
}

// readDB reads a colon-separated database (/etc/passwd, /etc/group,
// /etc/shadow).
func readDB(path string) [][]string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out [][]string
	for _, line := range strings.Split(string(b), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, strings.Split(line, ":"))
	}
	return out
}

func writeDB(path string, rows [][]string, perm os.FileMode) error {
	var b strings.Builder
	for _, r := range rows {
		b.WriteString(strings.Join(r, ":"))
		b.WriteString("\n")
	}
	tmp := path + ".kubevisor-tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), perm); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
