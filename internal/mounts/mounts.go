package mounts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/sys/unix"
)

// Unescape undoes mountinfo's octal escapes of a path (\040 for a space,
// \011 a tab, \012 a newline, \134 a backslash).
func Unescape(s string) string {
	r := strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)
	return r.Replace(s)
}

// Below lists the mount points at or below dir, deepest first.
func Below(dir string) ([]string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var targets []string
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) > 4 {
			t := Unescape(f[4])
			if t == abs || strings.HasPrefix(t, abs+"/") {
				targets = append(targets, t)
			}
		}
	}
	sort.Sort(sort.Reverse(sort.StringSlice(targets)))
	return targets, nil
}

// Unmount detaches target (MNT_DETACH); one already gone is no error.
func Unmount(target string) error {
	if err := unix.Unmount(target, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("unmounting %s: %w", target, err)
	}
	return nil
}

// UnmountBelow detaches every mount at or below dir, deepest first.
func UnmountBelow(dir string) error {
	targets, err := Below(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, t := range targets {
		if err := Unmount(t); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
