package kubevisor

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// releaseExecutablePages asks the kernel to reclaim the resident pages of
// the Supervisor's own executable that are not writable (its code and
// read-only data), and returns the executable's resident size (RssFile)
// before and after, in bytes.
//
// The start runs the init code of every package and the first pass of
// every component, and this kernel (6.18, ext4) keeps a freshly written
// binary in large folios and maps each folio whole: 125 to 159 MiB of the
// binary's 157 MiB were resident in an idle Supervisor, although an idle
// one runs a small part of it. MADV_PAGEOUT drops those pages from memory
// (they are clean copies of the file); what is used again is read back
// from the file in readahead-sized pieces. Measured on 2026-11-28: the
// binary's resident pages fell from 159 to 32 MiB, and were 63 MiB 30 s
// later and 68 MiB two minutes later.
//
// It is safe on any mapping: a page with private changes is swapped out or
// stays, never discarded (unlike MADV_DONTNEED), and pages that other
// processes also map are left alone. The kernel pages out a file's pages
// only for a process that owns the file or could open it for writing, so a
// root-owned binary run by another user keeps them (madvise still
// succeeds: hence the sizes returned). Kernels before 5.4 do not know
// MADV_PAGEOUT, and locked mappings refuse it: both return EINVAL.
func releaseExecutablePages() (before, after int64, err error) {
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return 0, 0, err
	}
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		return 0, 0, err
	}
	before = rssFile()
	var errs []error
	for _, m := range readOnlyMappings(maps, exe) {
		if _, _, e := unix.Syscall(unix.SYS_MADVISE, uintptr(m.start), uintptr(m.end-m.start), unix.MADV_PAGEOUT); e != 0 {
			errs = append(errs, fmt.Errorf("madvise(MADV_PAGEOUT) %x-%x: %w", m.start, m.end, e))
		}
	}
	return before, rssFile(), errors.Join(errs...)
}

// mapping is an address range of /proc/<pid>/maps.
type mapping struct{ start, end uint64 }

// readOnlyMappings returns the mappings of path in a /proc/<pid>/maps
// text that are not writable. A line is "start-end perms offset dev inode
// path"; the path is the rest of the line after the fifth field, so it
// may hold spaces (and ends in " (deleted)" for a replaced file, as the
// /proc/self/exe link then does too).
func readOnlyMappings(maps []byte, path string) []mapping {
	var out []mapping
	sc := bufio.NewScanner(bytes.NewReader(maps))
	for sc.Scan() {
		rest := sc.Text()
		var f [5]string
		for i := range f {
			rest = strings.TrimLeft(rest, " ")
			f[i], rest, _ = strings.Cut(rest, " ")
		}
		if strings.TrimLeft(rest, " ") != path || strings.Contains(f[1], "w") {
			continue
		}
		lo, hi, ok := strings.Cut(f[0], "-")
		if !ok {
			continue
		}
		start, err1 := strconv.ParseUint(lo, 16, 64)
		end, err2 := strconv.ParseUint(hi, 16, 64)
		if err1 != nil || err2 != nil || end <= start {
			continue
		}
		out = append(out, mapping{start, end})
	}
	return out
}

// rssFile is the process's resident file-backed memory in bytes, or -1.
func rssFile() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "RssFile:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}
