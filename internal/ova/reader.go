package ova

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on what Extract accepts.
const (
	// DefaultMaxBytes bounds the content of an archive when Options.MaxBytes
	// is zero.
	DefaultMaxBytes int64 = 64 << 30
	// maxDescriptorBytes bounds the OVF descriptor.
	maxDescriptorBytes = 16 << 20
	// maxManifestBytes bounds the manifest and the certificate.
	maxManifestBytes = 1 << 20
	// maxMembers bounds the number of archive members.
	maxMembers = 1024
	// maxNameLen bounds a member's name.
	maxNameLen = 255
)

// Options tune Extract.
type Options struct {
	// MaxBytes bounds the sum of the members' sizes; DefaultMaxBytes when
	// zero.
	MaxBytes int64
}

// File is one extracted file.
type File struct {
	// Name is the member's name, which is also its name in the directory.
	Name string `json:"name"`
	// Size is its size in bytes.
	Size int64 `json:"size"`
	// SHA256 is its lowercase hex SHA-256 digest.
	SHA256 string `json:"sha256"`
}

// Contents describes an extracted, verified OVA.
type Contents struct {
	// Descriptor, Manifest and Certificate name the OVF descriptor, the
	// manifest and the signing certificate ("" when unsigned; a
	// certificate is kept but not checked).
	Descriptor, Manifest, Certificate string
	// Files are every extracted member, in archive order.
	Files []File
	// Envelope is the parsed descriptor.
	Envelope *Envelope
	// Info summarizes the descriptor.
	Info Info
}

// File returns the named file, or false.
func (c *Contents) File(name string) (File, bool) {
	for _, f := range c.Files {
		if f.Name == name {
			return f, true
		}
	}
	return File{}, false
}

// Extract reads an OVA from r into dir, which must exist and be empty, and
// verifies it: the descriptor comes first; every member is a plain file
// with a plain name; the manifest lists every member except itself and the
// certificate, with the right digest; the descriptor's files are all there
// with their stated sizes; and every disk is in a supported format.
// Members are written as they are read, so on error dir holds a partial
// extraction that the caller discards.
func Extract(r io.Reader, dir string, opts Options) (*Contents, error) {
	limit := opts.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	x := &extraction{dir: dir, limit: limit, digests: map[string]string{}}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, tarError(err, "")
		}
		if hdr.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		if err := x.member(tr, hdr); err != nil {
			return nil, err
		}
	}
	return x.finish()
}

type extraction struct {
	dir     string
	limit   int64
	total   int64
	members int
	c       Contents
	// digests are the SHA-256 of every member read.
	digests  map[string]string
	manifest Manifest
}

func (x *extraction) member(tr *tar.Reader, hdr *tar.Header) error {
	name := hdr.Name
	if err := checkName(name); err != nil {
		return err
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeRegA: //nolint:staticcheck // old tars still use TypeRegA
	case tar.TypeSymlink, tar.TypeLink:
		return errorf(ErrUnsafe, name, "is a link to %q; an OVA holds plain files only", hdr.Linkname)
	default:
		return errorf(ErrUnsafe, name, "is not a plain file (tar type %q)", hdr.Typeflag)
	}
	if x.members++; x.members > maxMembers {
		return errorf(ErrTooLarge, name, "more than %d members", maxMembers)
	}
	if hdr.Size < 0 {
		return errorf(ErrCorrupt, name, "negative size")
	}
	if x.total += hdr.Size; x.total > x.limit {
		return errorf(ErrTooLarge, name, "the content exceeds %d bytes", x.limit)
	}
	if _, dup := x.digests[name]; dup {
		return errorf(ErrTampered, name, "appears twice in the archive")
	}

	first := x.c.Descriptor == ""
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case first && ext != ".ovf":
		return errorf(ErrCorrupt, name, "the first member of an OVA must be the OVF descriptor (<name>.ovf)")
	case first:
		if hdr.Size > maxDescriptorBytes {
			return errorf(ErrTooLarge, name, "descriptor of %d bytes exceeds %d", hdr.Size, maxDescriptorBytes)
		}
	case ext == ".ovf":
		return errorf(ErrUnsupported, name, "a second OVF descriptor (only one virtual system per OVA)")
	case ext == ".mf":
		if x.c.Manifest != "" {
			return errorf(ErrTampered, name, "a second manifest (the first was %s)", x.c.Manifest)
		}
		if hdr.Size > maxManifestBytes {
			return errorf(ErrTooLarge, name, "manifest of %d bytes exceeds %d", hdr.Size, maxManifestBytes)
		}
	case ext == ".cert":
		if x.c.Certificate != "" {
			return errorf(ErrTampered, name, "a second certificate (the first was %s)", x.c.Certificate)
		}
		if hdr.Size > maxManifestBytes {
			return errorf(ErrTooLarge, name, "certificate of %d bytes exceeds %d", hdr.Size, maxManifestBytes)
		}
	}

	// Small members are also kept in memory to be parsed.
	var keep *bytes.Buffer
	if first || ext == ".mf" {
		keep = &bytes.Buffer{}
	}
	sum, err := x.write(tr, name, hdr.Size, keep)
	if err != nil {
		return err
	}
	x.digests[name] = sum
	x.c.Files = append(x.c.Files, File{Name: name, Size: hdr.Size, SHA256: sum})

	switch {
	case first:
		x.c.Descriptor = name
		env, err := Parse(keep.Bytes())
		if err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.File = name
			}
			return err
		}
		x.c.Envelope = env
	case ext == ".mf":
		x.c.Manifest = name
		m, err := ParseManifest(name, keep.Bytes())
		if err != nil {
			return err
		}
		x.manifest = m
	case ext == ".cert":
		x.c.Certificate = name
	}
	return nil
}

// write copies one member to its file, hashing it, and checks that the
// archive really holds size bytes of it.
func (x *extraction) write(tr *tar.Reader, name string, size int64, keep *bytes.Buffer) (string, error) {
	f, err := os.OpenFile(filepath.Join(x.dir, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			// Names differing only in ways the file system folds.
			return "", errorf(ErrTampered, name, "appears twice in the archive")
		}
		return "", fmt.Errorf("creating %s: %w", name, err)
	}
	h := sha256.New()
	writers := []io.Writer{f, h}
	if keep != nil {
		writers = append(writers, keep)
	}
	w := io.MultiWriter(writers...)
	n, err := io.Copy(w, tr)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, tar.ErrHeader) {
			return "", tarError(err, name)
		}
		return "", fmt.Errorf("extracting %s: %w", name, err)
	}
	if n != size {
		return "", errorf(ErrCorrupt, name, "holds %d bytes, its header says %d", n, size)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// finish checks the archive as a whole once every member has been read.
func (x *extraction) finish() (*Contents, error) {
	c := &x.c
	if c.Descriptor == "" {
		return nil, errorf(ErrCorrupt, "", "empty archive: no OVF descriptor")
	}
	if c.Manifest == "" {
		return nil, errorf(ErrTampered, "", "no manifest (<name>.mf): the content cannot be verified")
	}
	for _, name := range sortedKeys(x.manifest) {
		want := x.manifest[name]
		got, ok := x.digests[name]
		if !ok {
			return nil, errorf(ErrTampered, name, "is listed in the manifest but missing from the archive")
		}
		if want.Algorithm != "SHA256" {
			var err error
			if got, _, err = hashFile(want.Algorithm, filepath.Join(x.dir, name)); err != nil {
				return nil, err
			}
		}
		if got != want.Hex {
			return nil, errorf(ErrTampered, name, "%s digest is %s, the manifest says %s", want.Algorithm, got, want.Hex)
		}
	}
	for _, f := range c.Files {
		if f.Name == c.Manifest || f.Name == c.Certificate {
			continue
		}
		if _, ok := x.manifest[f.Name]; !ok {
			return nil, errorf(ErrTampered, f.Name, "is not listed in the manifest")
		}
	}

	env := c.Envelope
	if env.Collection != nil {
		return nil, errorf(ErrUnsupported, c.Descriptor, "a VirtualSystemCollection (vApp); only a single VirtualSystem is supported")
	}
	if env.VirtualSystem == nil {
		return nil, errorf(ErrCorrupt, c.Descriptor, "no VirtualSystem")
	}
	referenced := map[string]bool{c.Descriptor: true, c.Manifest: true, c.Certificate: true}
	ids := map[string]bool{}
	for _, ref := range env.References {
		if err := checkName(ref.Href); err != nil {
			var e *Error
			if errors.As(err, &e) {
				e.Detail = "the descriptor references it: " + e.Detail
			}
			return nil, err
		}
		if ref.ChunkSize != "" {
			return nil, errorf(ErrUnsupported, ref.Href, "chunked files are not supported")
		}
		if ref.Compression != "" && ref.Compression != "identity" {
			return nil, errorf(ErrUnsupported, ref.Href, "compression %q is not supported", ref.Compression)
		}
		f, ok := c.File(ref.Href)
		if !ok {
			return nil, errorf(ErrTampered, ref.Href, "is referenced by the descriptor but missing from the archive")
		}
		if ref.Size != "" {
			size, err := strconv.ParseInt(ref.Size, 10, 64)
			if err != nil {
				return nil, errorf(ErrCorrupt, c.Descriptor, "File %s has size %q", ref.Href, ref.Size)
			}
			if size != f.Size {
				return nil, errorf(ErrTampered, ref.Href, "is %d bytes, the descriptor says %d", f.Size, size)
			}
		}
		referenced[ref.Href] = true
		ids[ref.ID] = true
	}
	for _, f := range c.Files {
		if !referenced[f.Name] {
			return nil, errorf(ErrTampered, f.Name, "is not referenced by the descriptor")
		}
	}
	for _, d := range env.Disks {
		if d.FileRef == "" || !ids[d.FileRef] {
			return nil, errorf(ErrCorrupt, c.Descriptor, "disk %s refers to file %q, which the descriptor does not reference", d.DiskID, d.FileRef)
		}
		if !SupportedFormat(d.Format) {
			return nil, errorf(ErrUnsupported, c.Descriptor, "disk %s has format %q; supported: %s and VMDK", d.DiskID, d.Format, FormatRootFS)
		}
		if _, err := parseCapacity(d.Capacity, d.CapacityAllocationUnits); err != nil {
			return nil, errorf(ErrCorrupt, c.Descriptor, "disk %s: %v", d.DiskID, err)
		}
	}
	c.Info = Summarize(env)
	return c, nil
}

// checkName accepts a plain file name: no directories, no "." or "..", no
// control characters, valid UTF-8, at most maxNameLen bytes.
func checkName(name string) error {
	switch {
	case name == "":
		return errorf(ErrCorrupt, name, "a member has an empty name")
	case len(name) > maxNameLen:
		return errorf(ErrTooLarge, name[:32]+"...", "a name of %d bytes exceeds %d", len(name), maxNameLen)
	case !utf8.ValidString(name):
		return errorf(ErrUnsafe, strconv.Quote(name), "the name is not valid UTF-8")
	case strings.ContainsAny(name, `/\`), name == ".", name == "..", strings.HasPrefix(name, "."):
		return errorf(ErrUnsafe, name, "the name is not a plain file name (directories, \"..\" and absolute paths are refused)")
	}
	for _, r := range name {
		if unicode.IsControl(r) {
			return errorf(ErrUnsafe, strconv.Quote(name), "the name has control characters")
		}
	}
	return nil
}

// tarError classifies an error of the tar reader.
func tarError(err error, file string) error {
	switch {
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(ErrCorrupt, file, "the archive is truncated")
	case errors.Is(err, tar.ErrFieldTooLong):
		return errorf(ErrTooLarge, file, "a tar header is too large: %v", err)
	case errors.Is(err, tar.ErrHeader):
		return errorf(ErrCorrupt, file, "not a valid tar archive: %v", err)
	case strings.HasPrefix(err.Error(), "archive/tar:"):
		return errorf(ErrCorrupt, file, "%v", err)
	}
	return fmt.Errorf("reading the archive: %w", err)
}

func hashFile(alg, path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	return HashReader(alg, f)
}
