package ova

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
)

// OpenRootFS opens a FormatRootFS payload and returns its tar stream,
// decompressing it when it is gzip-compressed.
func OpenRootFS(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	r, err := rootFSReader(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return struct {
		io.Reader
		io.Closer
	}{r, f}, nil
}

// rootFSReader returns r's tar stream, through gzip when r starts with the
// gzip magic number.
func rootFSReader(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	magic, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, err
	}
	if len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		return gzip.NewReader(br)
	}
	return br, nil
}

// RootFSSize returns the size of the uncompressed tar stream of a root file
// system payload, after checking that it is a tar archive.
func RootFSSize(r io.Reader) (int64, error) {
	tr, err := rootFSReader(r)
	if err != nil {
		return 0, err
	}
	c := &countingReader{r: tr}
	t := tar.NewReader(c)
	for {
		_, err := t.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("not a root file system tarball: %w", err)
		}
	}
	if _, err := io.Copy(io.Discard, c); err != nil {
		return 0, err
	}
	return c.n, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
