package library

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/kubevisor/kubevisor/internal/ova"
)

// Errors of the store.
var (
	// ErrNotStored: the store holds no content for the item.
	ErrNotStored = errors.New("item content is not stored")
	// ErrBadID: a library or item UUID that cannot name a directory.
	ErrBadID = errors.New("not a usable UUID")
)

// Store keeps library content on local disk. Layout under its root:
//
//	tmp/                                staging, emptied when the store opens
//	<library-uuid>/
//	  index.json                        a subscribed library's last item list
//	  descriptors/<sha256>.ovf          the publisher's OVF descriptors
//	  <item-uuid>/
//	    item.json                       the Record of the current content
//	    <sha256>/                       one content version (sha256 of the OVA)
//	      item.ova                      the archive, byte for byte
//	      files/                        its verified, extracted files
//
// A content version is staged under tmp/ and renamed into place whole, and
// item.json is replaced by a rename after it, so a crash at any point leaves
// either the old content or the new one visible, never a mix; leftovers in
// tmp/ and unreferenced versions are removed on the next write.
type Store struct {
	root string

	mu    sync.Mutex
	locks map[string]*itemLock
}

type itemLock struct {
	sync.Mutex
	users int
}

// Record describes an item's stored content.
type Record struct {
	// LibraryUUID and ItemUUID identify the item.
	LibraryUUID string `json:"libraryUUID"`
	ItemUUID    string `json:"itemUUID"`
	// Name is the item's name when the content was stored.
	Name string `json:"name"`
	// ContentVersion counts content changes ("1", "2", ...), or is the
	// publisher's version for a subscribed item.
	ContentVersion string `json:"contentVersion"`
	// OVA is the archive: its size and SHA-256.
	OVA ova.File `json:"ova"`
	// Descriptor and Manifest name the OVF descriptor and manifest among
	// Files.
	Descriptor string `json:"descriptor"`
	Manifest   string `json:"manifest"`
	// Files are the extracted files.
	Files []ova.File `json:"files"`
	// Stored is when this content was stored.
	Stored time.Time `json:"stored"`

	// dir is the content version's directory.
	dir string
}

// Dir is the content version's directory.
func (r *Record) Dir() string { return r.dir }

// OVAPath is the archive's path.
func (r *Record) OVAPath() string { return filepath.Join(r.dir, "item.ova") }

// FilesDir holds the extracted files.
func (r *Record) FilesDir() string { return filepath.Join(r.dir, "files") }

// Path is the path of one extracted file.
func (r *Record) Path(name string) string { return filepath.Join(r.dir, "files", name) }

// DescriptorPath is the OVF descriptor's path.
func (r *Record) DescriptorPath() string { return r.Path(r.Descriptor) }

// Info parses the stored descriptor.
func (r *Record) Info() (*ova.Info, error) {
	return readInfo(r.DescriptorPath())
}

func readInfo(path string) (*ova.Info, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	env, err := ova.Parse(data)
	if err != nil {
		return nil, err
	}
	info := ova.Summarize(env)
	return &info, nil
}

// Size is the space the extracted files take.
func (r *Record) Size() int64 {
	var n int64
	for _, f := range r.Files {
		n += f.Size
	}
	return n
}

// NewStore opens (creating it if needed) the store at root and empties its
// staging directory.
func NewStore(root string) (*Store, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("creating the library store: %w", err)
	}
	tmp := filepath.Join(root, "tmp")
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("emptying %s: %w", tmp, err)
	}
	if err := os.MkdirAll(tmp, 0o700); err != nil {
		return nil, err
	}
	s := &Store{root: root, locks: map[string]*itemLock{}}
	s.recover()
	return s, nil
}

// recover removes what a crash may have left: item directories without an
// item.json and content versions item.json does not point at.
func (s *Store) recover() {
	libs, _ := os.ReadDir(s.root)
	for _, lib := range libs {
		if !lib.IsDir() || lib.Name() == "tmp" {
			continue
		}
		items, _ := os.ReadDir(filepath.Join(s.root, lib.Name()))
		for _, item := range items {
			if !item.IsDir() || item.Name() == "descriptors" {
				continue
			}
			dir := filepath.Join(s.root, lib.Name(), item.Name())
			rec, err := s.get(dir)
			switch {
			case err == nil:
				s.pruneVersions(dir, rec.OVA.SHA256)
			case errors.Is(err, ErrNotStored):
				if _, statErr := os.Stat(filepath.Join(dir, "item.json")); errors.Is(statErr, os.ErrNotExist) {
					_ = s.removeAll(dir)
				}
			}
		}
	}
}

// Root is the store's root directory.
func (s *Store) Root() string { return s.root }

func (s *Store) lock(key string) func() {
	s.mu.Lock()
	l := s.locks[key]
	if l == nil {
		l = &itemLock{}
		s.locks[key] = l
	}
	l.users++
	s.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		s.mu.Lock()
		if l.users--; l.users == 0 {
			delete(s.locks, key)
		}
		s.mu.Unlock()
	}
}

var (
	uuidLike  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)
	sha256Hex = regexp.MustCompile(`^[a-f0-9]{64}$`)
)

func (s *Store) itemDir(libraryUUID, itemUUID string) (string, error) {
	if !uuidLike.MatchString(libraryUUID) || !uuidLike.MatchString(itemUUID) || libraryUUID == "tmp" {
		return "", fmt.Errorf("library %q or item %q: %w", libraryUUID, itemUUID, ErrBadID)
	}
	return filepath.Join(s.root, libraryUUID, itemUUID), nil
}

// Expect is what Put checks the content against, and how it records it.
type Expect struct {
	// SHA256 and Size are the archive's expected digest and size (a
	// publisher's); unchecked when empty or zero.
	SHA256 string
	Size   int64
	// ContentVersion is recorded as the content version; when empty it is
	// one more than the previous content's.
	ContentVersion string
	// Files are the files the archive must hold (a publisher's list);
	// unchecked when nil.
	Files []ova.File
	// MaxBytes bounds the archive; ova.DefaultMaxBytes when zero.
	MaxBytes int64
}

// Put reads an OVA from body, verifies it (see ova.Extract, and Expect) and
// makes it the item's content. Content identical to what is stored changes
// nothing. It returns the record and whether the content changed. A
// rejected archive gives an error wrapping an *ova.Error.
func (s *Store) Put(ctx context.Context, libraryUUID, itemUUID, name string, body io.Reader, want Expect) (*Record, bool, error) {
	dir, err := s.itemDir(libraryUUID, itemUUID)
	if err != nil {
		return nil, false, err
	}
	limit := want.MaxBytes
	if limit <= 0 {
		limit = ova.DefaultMaxBytes
	}
	stage, err := os.MkdirTemp(filepath.Join(s.root, "tmp"), "put-")
	if err != nil {
		return nil, false, err
	}
	defer os.RemoveAll(stage)

	sum, size, contents, err := receive(ctx, stage, body, limit)
	if err != nil {
		return nil, false, err
	}
	if want.SHA256 != "" && sum != want.SHA256 {
		return nil, false, &ova.Error{Err: ova.ErrTampered, File: name + ".ova", Detail: fmt.Sprintf("SHA-256 is %s, the publisher announced %s", sum, want.SHA256)}
	}
	if want.Size > 0 && size != want.Size {
		return nil, false, &ova.Error{Err: ova.ErrTampered, File: name + ".ova", Detail: fmt.Sprintf("is %d bytes, the publisher announced %d", size, want.Size)}
	}
	if err := checkFiles(contents.Files, want.Files); err != nil {
		return nil, false, err
	}

	unlock := s.lock(dir)
	defer unlock()
	prev, err := s.get(dir)
	if err != nil && !errors.Is(err, ErrNotStored) {
		return nil, false, err
	}
	if prev != nil && prev.OVA.SHA256 == sum && (want.ContentVersion == "" || want.ContentVersion == prev.ContentVersion) {
		return prev, false, nil
	}
	rec := &Record{
		LibraryUUID: libraryUUID, ItemUUID: itemUUID, Name: name,
		ContentVersion: want.ContentVersion,
		OVA:            ova.File{Name: name + ".ova", Size: size, SHA256: sum},
		Descriptor:     contents.Descriptor, Manifest: contents.Manifest,
		Files:  contents.Files,
		Stored: time.Now().UTC().Truncate(time.Second),
	}
	if rec.ContentVersion == "" {
		rec.ContentVersion = "1"
		if prev != nil {
			n, _ := strconv.Atoi(prev.ContentVersion)
			rec.ContentVersion = strconv.Itoa(n + 1)
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, err
	}
	rec.dir = filepath.Join(dir, sum)
	if err := os.Rename(stage, rec.dir); err != nil {
		if !errors.Is(err, os.ErrExist) && !isNotEmpty(err) {
			return nil, false, fmt.Errorf("storing item %s: %w", itemUUID, err)
		}
		// The same content is already there (an earlier version).
	}
	if err := syncDir(dir); err != nil {
		return nil, false, err
	}
	if err := writeJSONFile(filepath.Join(dir, "item.json"), rec); err != nil {
		return nil, false, fmt.Errorf("storing item %s: %w", itemUUID, err)
	}
	s.pruneVersions(dir, sum)
	return rec, true, nil
}

// receive stages the archive from body into stage: item.ova and files/.
func receive(ctx context.Context, stage string, body io.Reader, limit int64) (string, int64, *ova.Contents, error) {
	f, err := os.OpenFile(filepath.Join(stage, "item.ova"), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return "", 0, nil, err
	}
	defer f.Close()
	files := filepath.Join(stage, "files")
	if err := os.Mkdir(files, 0o755); err != nil {
		return "", 0, nil, err
	}
	h := sha256.New()
	counted := &limitedReader{r: ctxReader{ctx, body}, left: limit + 1<<20}
	tee := io.TeeReader(counted, io.MultiWriter(f, h))
	contents, err := ova.Extract(tee, files, ova.Options{MaxBytes: limit})
	if err != nil {
		if counted.exceeded {
			return "", 0, nil, &ova.Error{Err: ova.ErrTooLarge, Detail: fmt.Sprintf("the archive exceeds %d bytes", limit)}
		}
		return "", 0, nil, err
	}
	// The tar's end-of-archive blocks and any padding after them are part
	// of the archive's bytes and digest.
	if _, err := io.Copy(io.Discard, tee); err != nil {
		if counted.exceeded {
			return "", 0, nil, &ova.Error{Err: ova.ErrTooLarge, Detail: fmt.Sprintf("the archive exceeds %d bytes", limit)}
		}
		return "", 0, nil, fmt.Errorf("reading the archive: %w", err)
	}
	if err := f.Sync(); err != nil {
		return "", 0, nil, err
	}
	return hex.EncodeToString(h.Sum(nil)), counted.read, contents, nil
}

// limitedReader fails once more than left bytes have been read.
type limitedReader struct {
	r        io.Reader
	left     int64
	read     int64
	exceeded bool
}

var errLimit = errors.New("size limit exceeded")

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		l.exceeded = true
		return 0, errLimit
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	l.read += int64(n)
	return n, err
}

// ctxReader stops reading once ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// Get returns the item's stored content, or ErrNotStored.
func (s *Store) Get(libraryUUID, itemUUID string) (*Record, error) {
	dir, err := s.itemDir(libraryUUID, itemUUID)
	if err != nil {
		return nil, err
	}
	unlock := s.lock(dir)
	defer unlock()
	return s.get(dir)
}

func (s *Store) get(dir string) (*Record, error) {
	data, err := os.ReadFile(filepath.Join(dir, "item.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNotStored
	}
	if err != nil {
		return nil, err
	}
	rec := &Record{}
	if err := json.Unmarshal(data, rec); err != nil {
		return nil, fmt.Errorf("reading %s: %w", filepath.Join(dir, "item.json"), err)
	}
	rec.dir = filepath.Join(dir, rec.OVA.SHA256)
	if _, err := os.Stat(rec.dir); err != nil {
		return nil, fmt.Errorf("%w: %s is missing", ErrNotStored, rec.dir)
	}
	return rec, nil
}

// Delete removes an item's content; it is not an error if there is none.
// The library is found by the item's UUID, so an item whose library is
// already gone can still be cleaned up.
func (s *Store) Delete(itemUUID string) error {
	if !uuidLike.MatchString(itemUUID) {
		return fmt.Errorf("item %q: %w", itemUUID, ErrBadID)
	}
	dirs, err := filepath.Glob(filepath.Join(s.root, "*", itemUUID))
	if err != nil {
		return err
	}
	for _, dir := range dirs {
		if filepath.Base(filepath.Dir(dir)) == "tmp" {
			continue
		}
		unlock := s.lock(dir)
		err := s.removeAll(dir)
		unlock()
		if err != nil {
			return fmt.Errorf("deleting item %s: %w", itemUUID, err)
		}
	}
	return nil
}

// DeleteLibrary removes everything stored for a library.
func (s *Store) DeleteLibrary(libraryUUID string) error {
	if !uuidLike.MatchString(libraryUUID) || libraryUUID == "tmp" {
		return fmt.Errorf("library %q: %w", libraryUUID, ErrBadID)
	}
	return s.removeAll(filepath.Join(s.root, libraryUUID))
}

// Items lists the UUIDs of the items stored for a library.
func (s *Store) Items(libraryUUID string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(s.root, libraryUUID))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && e.Name() != "descriptors" {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// removeAll makes dir disappear at once (a rename into tmp/), then
// removes it.
func (s *Store) removeAll(dir string) error {
	gone, err := os.MkdirTemp(filepath.Join(s.root, "tmp"), "del-")
	if err != nil {
		return err
	}
	target := filepath.Join(gone, "x")
	if err := os.Rename(dir, target); err != nil && !errors.Is(err, os.ErrNotExist) {
		os.RemoveAll(gone)
		return err
	}
	return os.RemoveAll(gone)
}

// pruneVersions removes the item's content versions other than keep.
func (s *Store) pruneVersions(dir, keep string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.IsDir() && e.Name() != keep {
			_ = s.removeAll(filepath.Join(dir, e.Name()))
		}
	}
}

// SaveIndex records a subscribed library's item list.
func (s *Store) SaveIndex(libraryUUID string, idx *Index) error {
	if !uuidLike.MatchString(libraryUUID) || libraryUUID == "tmp" {
		return fmt.Errorf("library %q: %w", libraryUUID, ErrBadID)
	}
	return writeJSONFile(filepath.Join(s.root, libraryUUID, "index.json"), idx)
}

// LoadIndex returns the item list SaveIndex recorded, or nil.
func (s *Store) LoadIndex(libraryUUID string) (*Index, error) {
	data, err := os.ReadFile(filepath.Join(s.root, libraryUUID, "index.json"))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	idx := &Index{}
	if err := json.Unmarshal(data, idx); err != nil {
		return nil, fmt.Errorf("reading the saved index of library %s: %w", libraryUUID, err)
	}
	return idx, nil
}

// DescriptorPath is where a publisher's descriptor of digest sha is kept.
func (s *Store) DescriptorPath(libraryUUID, sha string) string {
	return filepath.Join(s.root, libraryUUID, "descriptors", sha+".ovf")
}

// PutDescriptor keeps a publisher's OVF descriptor after checking its
// digest and that it parses.
func (s *Store) PutDescriptor(libraryUUID, sha string, data []byte) error {
	if !uuidLike.MatchString(libraryUUID) || !sha256Hex.MatchString(sha) {
		return fmt.Errorf("library %q or digest %q: %w", libraryUUID, sha, ErrBadID)
	}
	sum := sha256.Sum256(data)
	if got := hex.EncodeToString(sum[:]); got != sha {
		return &ova.Error{Err: ova.ErrTampered, File: "descriptor", Detail: fmt.Sprintf("SHA-256 is %s, the publisher announced %s", got, sha)}
	}
	if _, err := ova.Parse(data); err != nil {
		return err
	}
	return writeFile(s.DescriptorPath(libraryUUID, sha), data)
}

// PruneDescriptors removes the library's descriptors not in keep.
func (s *Store) PruneDescriptors(libraryUUID string, keep map[string]bool) error {
	entries, err := os.ReadDir(filepath.Join(s.root, libraryUUID, "descriptors"))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		sha := e.Name()[:len(e.Name())-len(filepath.Ext(e.Name()))]
		if !keep[sha] {
			_ = os.Remove(filepath.Join(s.root, libraryUUID, "descriptors", e.Name()))
		}
	}
	return nil
}

func writeJSONFile(path string, v any) error {
	data, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return writeFile(path, append(data, '\n'))
}

// writeFile replaces path atomically: a temporary file, synced, renamed.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func isNotEmpty(err error) bool {
	return errors.Is(err, syscall.ENOTEMPTY) || errors.Is(err, syscall.EEXIST)
}
