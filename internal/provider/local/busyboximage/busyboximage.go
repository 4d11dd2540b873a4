package busyboximage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"os/exec"
	"path"
	"sort"
	"strings"
	"time"
)

// Options says what goes into the image.
type Options struct {
	// Busybox is a static busybox binary (Debian: busybox-static installs
	// /bin/busybox).
	Busybox string
	// Agent is the static kubevisor-guest binary.
	Agent string
	// Output is the .tar.gz to write.
	Output string
	// ModTime stamps every entry (default: 2024-01-01 UTC).
	ModTime time.Time
}

// AgentPath is where the image carries the guest agent (the local
// provider binds its own copy over it at boot).
const AgentPath = "/.kubevisor/guest"

type entry struct {
	name     string
	mode     int64
	typ      byte
	linkname string
	data     []byte
}

// Build writes the image's root file system tarball.
func Build(o Options) error {
	if o.ModTime.IsZero() {
		o.ModTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	bb, err := os.ReadFile(o.Busybox)
	if err != nil {
		return fmt.Errorf("reading busybox (Debian package busybox-static): %w", err)
	}
	agent, err := os.ReadFile(o.Agent)
	if err != nil {
		return fmt.Errorf("reading the guest agent: %w", err)
	}
	applets, version, err := listApplets(o.Busybox)
	if err != nil {
		return err
	}
	entries := map[string]entry{}
	dir := func(name string, mode int64) { entries[name] = entry{name: name, mode: mode, typ: tar.TypeDir} }
	file := func(name string, mode int64, data []byte) {
		entries[name] = entry{name: name, mode: mode, typ: tar.TypeReg, data: data}
	}
	link := func(name, target string) {
		entries[name] = entry{name: name, mode: 0o777, typ: tar.TypeSymlink, linkname: target}
	}
	for _, d := range []string{"bin", "sbin", "usr", "usr/bin", "usr/sbin", "usr/local", "usr/local/bin", "etc",
		"etc/kubevisor", "etc/kubevisor/services", "etc/sysctl.d", "home", "mnt", "opt", "srv", "var", "var/lib",
		"var/log", "var/www", "var/spool", "proc", "sys", "dev", "run", ".kubevisor"} {
		dir(d, 0o755)
	}
	dir("root", 0o700)
	dir("tmp", 0o1777)
	dir("var/tmp", 0o1777)
	link("var/run", "../run")
	file("bin/busybox", 0o755, bb)
	for _, a := range applets {
		if a == "bin/busybox" {
			continue
		}
		link(a, relTo(a, "bin/busybox"))
	}
	file(strings.TrimPrefix(AgentPath, "/"), 0o755, agent)
	link("sbin/init", AgentPath)
	link("bin/systemctl", AgentPath)
	file("etc/passwd", 0o644, []byte("root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/bin/false\n"+
		"www-data:x:33:33:www-data:/var/www:/bin/false\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"))
	file("etc/group", 0o644, []byte("root:x:0:\ndaemon:x:1:\ntty:x:5:\ndisk:x:6:\nwheel:x:10:\nwww-data:x:33:\n"+
		"users:x:100:\nnogroup:x:65534:\n"))
	file("etc/shadow", 0o640, []byte("root:*:19723:0:99999:7:::\ndaemon:*:19723:0:99999:7:::\n"+
		"www-data:*:19723:0:99999:7:::\nnobody:*:19723:0:99999:7:::\n"))
	file("etc/hosts", 0o644, []byte("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"))
	file("etc/hostname", 0o644, []byte("kubevisor\n"))
	file("etc/resolv.conf", 0o644, []byte("# no name servers configured\n"))
	file("etc/nsswitch.conf", 0o644, []byte("passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"))
	file("etc/shells", 0o644, []byte("/bin/sh\n/bin/ash\n"))
	file("etc/profile", 0o644, []byte("export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\nexport PS1='\\h:\\w\\$ '\n"))
	file("etc/os-release", 0o644, []byte(fmt.Sprintf("NAME=\"kubevisor busybox\"\nID=kubevisor-busybox\nID_LIKE=busybox\n"+
		"VERSION_ID=%q\nPRETTY_NAME=\"kubevisor busybox %s\"\nHOME_URL=\"https://github.com/kubevisor/kubevisor\"\n", version, version)))
	file("var/www/index.html", 0o644, []byte("kubevisor busybox image\n"))
	return write(o.Output, entries, o.ModTime)
}

// listApplets asks busybox for its applets' install paths.
func listApplets(busybox string) (applets []string, version string, err error) {
	out, err := exec.Command(busybox, "--list-full").Output()
	if err != nil {
		return nil, "", fmt.Errorf("listing busybox applets: %w", err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.Contains(l, "..") {
			applets = append(applets, strings.TrimPrefix(l, "/"))
		}
	}
	help, _ := exec.Command(busybox).Output() // prints its banner, exits 0
	version = "unknown"
	if f := strings.Fields(string(help)); len(f) >= 2 && f[0] == "BusyBox" {
		version = strings.TrimPrefix(f[1], "v")
	}
	return applets, version, nil
}

// relTo is the relative symlink target from link to target (both relative
// to the root).
func relTo(link, target string) string {
	depth := strings.Count(path.Dir(link), "/") + 1
	if path.Dir(link) == "." {
		depth = 0
	}
	return strings.Repeat("../", depth) + target
}

func write(output string, entries map[string]entry, mtime time.Time) error {
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	for _, n := range names {
		e := entries[n]
		// Sorting lists every directory before what it holds.
		name := e.name
		if e.typ == tar.TypeDir {
			name += "/"
		}
		hdr := &tar.Header{Name: name, Mode: e.mode, Typeflag: e.typ, Linkname: e.linkname, ModTime: mtime,
			Size: int64(len(e.data)), Uname: "root", Gname: "root", Format: tar.FormatPAX}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(e.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	tmp := output + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, output)
}
