package ova

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha1" //nolint:gosec // testing SHA1 manifests
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// rootfs writes a small root file system tarball, gzip-compressed when
// compress is set, and returns its path and uncompressed tar size.
func rootfs(t *testing.T, compress bool) (string, int64) {
	t.Helper()
	var tarBuf bytes.Buffer
	tw := tar.NewWriter(&tarBuf)
	for _, f := range []struct{ name, body string }{
		{"bin/sh", "#!static shell"},
		{"etc/os-release", "ID=kubevisor\nVERSION_ID=1\n"},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o755, Size: int64(len(f.body))}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(f.body))
	}
	tw.Close()
	size := int64(tarBuf.Len())
	data := tarBuf.Bytes()
	name := "rootfs.tar"
	if compress {
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(data)
		zw.Close()
		data, name = gz.Bytes(), "rootfs.tar.gz"
	}
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, size
}

func testSpec(disk string) Spec {
	return Spec{
		Name:       "photon-5",
		Annotation: "A small image & <friends>",
		OS:         OSInfo{ID: "36", Type: "vmwarePhoton64Guest", Version: "5", Description: "Photon OS"},
		Product:    ProductInfo{Product: "kubevisor base", Vendor: "kubevisor", Version: "1.2", FullVersion: "1.2.3+build.4"},
		Properties: []Property{
			{Key: "vmware-system.guest.kubernetes.distribution.image.version", Value: `{"kubernetes":{"version":"v1.36.3"}}`},
			{Key: "user-data", UserConfigurable: true, Label: "Cloud-init user data"},
			{Key: "kubevisor.os.name", Value: "photon"},
		},
		Firmware: "efi",
		CPUs:     4, MemoryMiB: 8192,
		Disks: []DiskSource{{Path: disk}},
	}
}

func writeOVA(t *testing.T, spec Spec) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Write(&buf, spec); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(fmt.Sprintf("gzip=%v", compress), func(t *testing.T) {
			disk, tarSize := rootfs(t, compress)
			data := writeOVA(t, testSpec(disk))
			if again := writeOVA(t, testSpec(disk)); !bytes.Equal(data, again) {
				t.Error("writing the same spec twice gives different archives")
			}

			dir := t.TempDir()
			c, err := Extract(bytes.NewReader(data), dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			diskName := "photon-5-disk1" + map[bool]string{false: ".tar", true: ".tar.gz"}[compress]
			if c.Descriptor != "photon-5.ovf" || c.Manifest != "photon-5.mf" || len(c.Files) != 3 || c.Files[2].Name != diskName {
				t.Fatalf("contents: %+v", c)
			}
			payload, _ := os.ReadFile(disk)
			sum := sha256.Sum256(payload)
			if c.Files[2].SHA256 != hex.EncodeToString(sum[:]) || c.Files[2].Size != int64(len(payload)) {
				t.Errorf("disk file %+v does not match the payload", c.Files[2])
			}
			extracted, _ := os.ReadFile(filepath.Join(dir, diskName))
			if !bytes.Equal(extracted, payload) {
				t.Error("extracted disk differs from the payload")
			}
			want := Info{
				Name:            "photon-5",
				Annotation:      "A small image & <friends>",
				OS:              OSInfo{ID: "36", Type: "vmwarePhoton64Guest", Version: "5", Description: "Photon OS"},
				Product:         ProductInfo{Product: "kubevisor base", Vendor: "kubevisor", Version: "1.2", FullVersion: "1.2.3+build.4"},
				Firmware:        "efi",
				HardwareVersion: 19,
				CPUs:            4, MemoryMiB: 8192,
				Disks: []DiskInfo{{ID: "vmdisk1", File: diskName, Format: FormatRootFS, Capacity: tarSize, PopulatedSize: tarSize}},
				Properties: []Property{
					{Key: "vmware-system.guest.kubernetes.distribution.image.version", Type: "string", Value: `{"kubernetes":{"version":"v1.36.3"}}`},
					{Key: "user-data", Type: "string", UserConfigurable: true, Label: "Cloud-init user data"},
					{Key: "kubevisor.os.name", Type: "string", Value: "photon"},
				},
			}
			if diff := cmp.Diff(want, c.Info); diff != "" {
				t.Errorf("info (-want +got):\n%s", diff)
			}
			if got := c.Info.Metadata()["kubevisor.os.name"]; got != "photon" {
				t.Errorf("metadata kubevisor.os.name = %q", got)
			}

			r, err := OpenRootFS(filepath.Join(dir, diskName))
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			hdr, err := tar.NewReader(r).Next()
			if err != nil || hdr.Name != "bin/sh" {
				t.Errorf("rootfs first entry = %v, %v", hdr, err)
			}
		})
	}
}

// member is one tar member of a hand-made archive.
type member struct {
	name string
	body string
	typ  byte
	link string
}

func makeTar(t testing.TB, members []member) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		typ := m.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		hdr := &tar.Header{Name: m.name, Mode: 0o644, Typeflag: typ, Linkname: m.link, Size: int64(len(m.body))}
		if typ != tar.TypeReg {
			hdr.Size = 0
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			tw.Write([]byte(m.body))
		}
	}
	tw.Close()
	return buf.Bytes()
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

const miniOVF = `<?xml version="1.0"?>
<Envelope xmlns="http://schemas.dmtf.org/ovf/envelope/1" xmlns:ovf="http://schemas.dmtf.org/ovf/envelope/1" xmlns:vmw="http://www.vmware.com/schema/ovf">
  <References><File ovf:id="f1" ovf:href="disk.vmdk" ovf:size="4"/></References>
  <DiskSection><Disk ovf:diskId="d1" ovf:fileRef="f1" ovf:capacity="2" ovf:capacityAllocationUnits="byte * 2^30" ovf:format="http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized"/></DiskSection>
  <VirtualSystem ovf:id="vm"><OperatingSystemSection ovf:id="94" vmw:osType="ubuntu64Guest"/></VirtualSystem>
</Envelope>`

// goodMembers is a minimal valid VMware-style OVA with a VMDK disk.
func goodMembers() []member {
	return []member{
		{name: "vm.ovf", body: miniOVF},
		{name: "vm.mf", body: fmt.Sprintf("SHA256(vm.ovf)= %s\nSHA256(disk.vmdk)= %s\n", sha(miniOVF), sha("VMDK"))},
		{name: "disk.vmdk", body: "VMDK"},
	}
}

func TestExtractVMDK(t *testing.T) {
	c, err := Extract(bytes.NewReader(makeTar(t, goodMembers())), t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []DiskInfo{{ID: "d1", File: "disk.vmdk", Format: FormatVMDKStreamOptimized, Capacity: 2 << 30}}
	if diff := cmp.Diff(want, c.Info.Disks); diff != "" {
		t.Errorf("disks (-want +got):\n%s", diff)
	}
	if c.Info.OS.ID != "94" || c.Info.OS.Type != "ubuntu64Guest" || c.Info.Name != "vm" || c.Info.Firmware != "bios" {
		t.Errorf("info %+v", c.Info)
	}
}

func TestExtractSHA1Manifest(t *testing.T) {
	m := goodMembers()
	s1 := func(s string) string { sum := sha1.Sum([]byte(s)); return hex.EncodeToString(sum[:]) } //nolint:gosec
	m[1].body = fmt.Sprintf("SHA1(vm.ovf)= %s\nSHA1(disk.vmdk)= %s\n", s1(miniOVF), s1("VMDK"))
	if _, err := Extract(bytes.NewReader(makeTar(t, m)), t.TempDir(), Options{}); err != nil {
		t.Fatal(err)
	}
	m[1].body = fmt.Sprintf("SHA1(vm.ovf)= %s\nSHA1(disk.vmdk)= %s\n", s1(miniOVF), s1("VMDX"))
	if _, err := Extract(bytes.NewReader(makeTar(t, m)), t.TempDir(), Options{}); !errors.Is(err, ErrTampered) {
		t.Fatalf("SHA1 mismatch: %v", err)
	}
}

func TestExtractRejects(t *testing.T) {
	good := goodMembers()
	with := func(edit func(m []member) []member) []byte {
		m := make([]member, len(good))
		copy(m, good)
		return makeTar(t, edit(m))
	}
	valid := makeTar(t, good)
	otherOVF := strings.Replace(miniOVF, `ovf:size="4"`, `ovf:size="5"`, 1)

	tests := []struct {
		name    string
		archive []byte
		opts    Options
		want    error
		detail  string
	}{
		{"tampered digest", with(func(m []member) []member { m[2].body = "VMDX"; return m }), Options{}, ErrTampered, "digest"},
		{"tampered descriptor", with(func(m []member) []member { m[0].body = otherOVF; return m }), Options{}, ErrTampered, "vm.ovf"},
		{"extra file", with(func(m []member) []member { return append(m, member{name: "evil.sh", body: "rm -rf /"}) }), Options{}, ErrTampered, "not listed in the manifest"},
		{"extra file in manifest", with(func(m []member) []member {
			m[1].body += fmt.Sprintf("SHA256(evil.sh)= %s\n", sha("x"))
			return append(m, member{name: "evil.sh", body: "x"})
		}), Options{}, ErrTampered, "not referenced by the descriptor"},
		{"missing file", with(func(m []member) []member { return m[:2] }), Options{}, ErrTampered, "missing"},
		{"no manifest", with(func(m []member) []member { return []member{m[0], m[2]} }), Options{}, ErrTampered, "no manifest"},
		{"duplicate member", with(func(m []member) []member { return append(m, m[2]) }), Options{}, ErrTampered, "twice"},
		{"two manifests", with(func(m []member) []member { return append(m, member{name: "b.mf", body: m[1].body}) }), Options{}, ErrTampered, "second manifest"},
		{"descriptor not first", with(func(m []member) []member { return []member{m[1], m[0], m[2]} }), Options{}, ErrCorrupt, "first member"},
		{"truncated", valid[:len(valid)-1024-510], Options{}, ErrCorrupt, "truncated"},
		{"truncated header", valid[:512+100], Options{}, ErrCorrupt, ""},
		{"empty", nil, Options{}, ErrCorrupt, "empty"},
		{"not a tar", []byte(strings.Repeat("garbage!", 200)), Options{}, ErrCorrupt, ""},
		{"bad xml", with(func(m []member) []member {
			m[0].body = "<Envelope><References>"
			m[1].body = fmt.Sprintf("SHA256(vm.ovf)= %s\nSHA256(disk.vmdk)= %s\n", sha(m[0].body), sha("VMDK"))
			return m
		}), Options{}, ErrCorrupt, "OVF envelope"},
		{"bad manifest line", with(func(m []member) []member { m[1].body = "MD5(vm.ovf)= abc\n"; return m }), Options{}, ErrCorrupt, "line 1"},
		{"traversal", with(func(m []member) []member { return append(m, member{name: "../../etc/passwd", body: "x"}) }), Options{}, ErrUnsafe, ""},
		{"absolute path", with(func(m []member) []member { return append(m, member{name: "/etc/passwd", body: "x"}) }), Options{}, ErrUnsafe, ""},
		{"subdirectory", with(func(m []member) []member { return append(m, member{name: "a/b", body: "x"}) }), Options{}, ErrUnsafe, ""},
		{"hidden file", with(func(m []member) []member { return append(m, member{name: ".bashrc", body: "x"}) }), Options{}, ErrUnsafe, ""},
		{"symlink", with(func(m []member) []member {
			return append(m, member{name: "link", typ: tar.TypeSymlink, link: "/etc/shadow"})
		}), Options{}, ErrUnsafe, "link"},
		{"hard link", with(func(m []member) []member {
			return append(m, member{name: "hard", typ: tar.TypeLink, link: "vm.ovf"})
		}), Options{}, ErrUnsafe, "link"},
		{"directory", with(func(m []member) []member { return append(m, member{name: "dir", typ: tar.TypeDir}) }), Options{}, ErrUnsafe, ""},
		{"device", with(func(m []member) []member { return append(m, member{name: "sda", typ: tar.TypeBlock}) }), Options{}, ErrUnsafe, ""},
		{"over the size limit", valid, Options{MaxBytes: 100}, ErrTooLarge, ""},
		{"oversize pax header", oversizeHeader(t), Options{}, ErrTooLarge, ""},
		{"long name", with(func(m []member) []member {
			return append(m, member{name: strings.Repeat("n", 300), body: "x"})
		}), Options{}, ErrTooLarge, ""},
		{"unsupported format", ovaWith(t, strings.Replace(miniOVF, "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized", "http://example.com/qcow2", 1)), Options{}, ErrUnsupported, "qcow2"},
		{"compressed file", ovaWith(t, strings.Replace(miniOVF, `ovf:size="4"`, `ovf:size="4" ovf:compression="gzip"`, 1)), Options{}, ErrUnsupported, "compression"},
		{"size mismatch", ovaWith(t, otherOVF), Options{}, ErrTampered, "descriptor says 5"},
		{"dangling disk", ovaWith(t, strings.Replace(miniOVF, `ovf:fileRef="f1"`, `ovf:fileRef="f9"`, 1)), Options{}, ErrCorrupt, "f9"},
		{"vapp", ovaWith(t, strings.Replace(miniOVF, `</Envelope>`, `<VirtualSystemCollection/></Envelope>`, 1)), Options{}, ErrUnsupported, "VirtualSystemCollection"},
		{"reference traversal", ovaWith(t, strings.Replace(miniOVF, `ovf:href="disk.vmdk"`, `ovf:href="../disk.vmdk"`, 1)), Options{}, ErrUnsafe, "references"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			_, err := Extract(bytes.NewReader(tt.archive), dir, tt.opts)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Extract() = %v, want %v", err, tt.want)
			}
			var e *Error
			if !errors.As(err, &e) || !IsContentError(err) {
				t.Errorf("%v is not an *ova.Error", err)
			}
			if !strings.Contains(err.Error(), tt.detail) {
				t.Errorf("error %q does not mention %q", err, tt.detail)
			}
			// Nothing escaped the directory.
			if _, err := os.Stat(filepath.Join(filepath.Dir(dir), "etc")); err == nil {
				t.Error("a file was written outside the extraction directory")
			}
		})
	}
}

// ovaWith is goodMembers with another descriptor and a matching manifest.
func ovaWith(t *testing.T, ovf string) []byte {
	m := goodMembers()
	m[0].body = ovf
	m[1].body = fmt.Sprintf("SHA256(vm.ovf)= %s\nSHA256(disk.vmdk)= %s\n", sha(ovf), sha("VMDK"))
	return makeTar(t, m)
}

// oversizeHeader is an archive whose second member has a 2 MiB PAX
// header, written by hand (archive/tar refuses to write one).
func oversizeHeader(t *testing.T) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "vm.ovf", Mode: 0o644, Size: int64(len(miniOVF))})
	tw.Write([]byte(miniOVF))
	tw.Flush()
	body := fmt.Sprintf(" comment=%s\n", strings.Repeat("A", 2<<20))
	record := ""
	for digits := 1; ; digits++ {
		if total := len(body) + digits; len(fmt.Sprint(total)) == digits {
			record = fmt.Sprint(total) + body
			break
		}
	}
	block := make([]byte, 512)
	copy(block, "PaxHeaders/x")
	copy(block[100:], "0000644\x00")
	copy(block[124:], fmt.Sprintf("%011o\x00", len(record)))
	copy(block[136:], "00000000000\x00")
	block[156] = 'x'
	copy(block[257:], "ustar\x0000")
	copy(block[148:], "        ")
	sum := 0
	for _, b := range block {
		sum += int(b)
	}
	copy(block[148:], fmt.Sprintf("%06o\x00 ", sum))
	buf.Write(block)
	buf.WriteString(record)
	buf.Write(make([]byte, (512-len(record)%512)%512))
	buf.Write(make([]byte, 1024))
	return buf.Bytes()
}

func TestParseManifest(t *testing.T) {
	m, err := ParseManifest("x.mf", []byte("SHA256(a b.ovf)= "+strings.Repeat("AB", 32)+"\r\n\nSHA512(d.vmdk) = "+strings.Repeat("0", 128)+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := Manifest{"a b.ovf": {"SHA256", strings.Repeat("ab", 32)}, "d.vmdk": {"SHA512", strings.Repeat("0", 128)}}
	if diff := cmp.Diff(want, m); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	for _, bad := range []string{"SHA256(a)= 12", "SHA256 a = " + strings.Repeat("0", 64), "SHA256(a)= " + strings.Repeat("0", 64) + "\nSHA256(a)= " + strings.Repeat("0", 64)} {
		if _, err := ParseManifest("x.mf", []byte(bad)); !errors.Is(err, ErrCorrupt) {
			t.Errorf("ParseManifest(%q) = %v, want ErrCorrupt", bad, err)
		}
	}
}

func TestScaleUnits(t *testing.T) {
	tests := []struct {
		units string
		want  int64
		ok    bool
	}{
		{"", 3, true},
		{"byte", 3, true},
		{"byte * 2^30", 3 << 30, true},
		{"byte * 2^10 * 2^10", 3 << 20, true},
		{"byte * 10^3", 3000, true},
		{"MegaBytes", 3 << 20, true},
		{"byte * 2^70", 0, false},
		{"bits", 0, false},
	}
	for _, tt := range tests {
		got, err := scaleUnits(3, tt.units)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("scaleUnits(3, %q) = %d, %v; want %d, ok=%v", tt.units, got, err, tt.want, tt.ok)
		}
	}
}

func TestHardwareVersion(t *testing.T) {
	for in, want := range map[string]int32{"vmx-19": 19, "vmx-13 vmx-21": 13, "virtualbox-2.2": 0, "": 0} {
		if got := hardwareVersion(in); got != want {
			t.Errorf("hardwareVersion(%q) = %d, want %d", in, got, want)
		}
	}
}

// FuzzExtract feeds arbitrary bytes (seeded with valid and broken OVAs) to
// Extract: it must never panic, never write outside its directory, and
// fail only with an *Error.
func FuzzExtract(f *testing.F) {
	f.Add(makeTar(f, goodMembers()))
	valid := makeTar(f, goodMembers())
	f.Add(valid[:len(valid)/2])
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		parent := t.TempDir()
		dir := filepath.Join(parent, "x")
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		_, err := Extract(bytes.NewReader(data), dir, Options{MaxBytes: 1 << 20})
		if err != nil && !IsContentError(err) {
			t.Fatalf("error %v is not an *ova.Error", err)
		}
		entries, _ := os.ReadDir(parent)
		if len(entries) != 1 {
			t.Fatalf("files appeared next to the extraction directory: %v", entries)
		}
	})
}
