package ova

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error Extract returns about the archive itself is
// an *Error wrapping exactly one of them; errors.Is tells them apart. An
// error that wraps none of them came from the reader or the file system.
var (
	// ErrCorrupt: the archive is not a well-formed OVA (not a tar, cut
	// short, no descriptor first, a descriptor or manifest that does not
	// parse, a disk that names no file).
	ErrCorrupt = errors.New("corrupt OVA")
	// ErrTampered: the archive's content does not match its manifest: a
	// digest or size differs, a listed file is missing, a file is not
	// listed, a file appears twice, or there is no manifest at all.
	ErrTampered = errors.New("tampered OVA")
	// ErrUnsafe: a member could escape or alias the extraction directory
	// (a path with directories, "..", an absolute path, a link, a device).
	ErrUnsafe = errors.New("unsafe OVA")
	// ErrTooLarge: a header, the descriptor, the manifest or the whole
	// content is larger than allowed.
	ErrTooLarge = errors.New("OVA too large")
	// ErrUnsupported: the OVA is valid but uses something kubevisor does
	// not handle (a disk format, compressed or chunked files, several
	// virtual systems).
	ErrUnsupported = errors.New("unsupported OVA")
)

// Error describes what is wrong with an archive.
type Error struct {
	// Err is one of the sentinel errors.
	Err error
	// File is the archive member concerned, if any.
	File string
	// Detail says what is wrong.
	Detail string
}

func (e *Error) Error() string {
	if e.File != "" {
		return fmt.Sprintf("%v: %s: %s", e.Err, e.File, e.Detail)
	}
	return fmt.Sprintf("%v: %s", e.Err, e.Detail)
}

func (e *Error) Unwrap() error { return e.Err }

func errorf(kind error, file, format string, args ...any) error {
	return &Error{Err: kind, File: file, Detail: fmt.Sprintf(format, args...)}
}

// IsContentError reports whether err is about the archive's content (an
// *Error) rather than a failure to read or store it.
func IsContentError(err error) bool {
	var e *Error
	return errors.As(err, &e)
}
