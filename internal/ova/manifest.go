package ova

import (
	"bufio"
	"bytes"
	"crypto/sha1" //nolint:gosec // read only: older OVAs carry SHA1 manifests
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"regexp"
	"sort"
	"strings"
)

// Digest is one manifest line: a file's digest under an algorithm.
type Digest struct {
	// Algorithm is "SHA1", "SHA256" or "SHA512".
	Algorithm string
	// Hex is the lowercase hex digest.
	Hex string
}

// Manifest maps a file name to its digest.
type Manifest map[string]Digest

var manifestLine = regexp.MustCompile(`^(SHA1|SHA256|SHA512)\((.+)\)\s*=\s*([0-9a-fA-F]+)$`)

// digestLen is each algorithm's digest length in hex characters.
var digestLen = map[string]int{"SHA1": 40, "SHA256": 64, "SHA512": 128}

// ParseManifest parses a manifest. It returns an *Error wrapping ErrCorrupt
// on a malformed or duplicate line.
func ParseManifest(name string, data []byte) (Manifest, error) {
	m := Manifest{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxManifestBytes)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		parts := manifestLine.FindStringSubmatch(line)
		if parts == nil {
			return nil, errorf(ErrCorrupt, name, "line %d is not \"SHA256(<file>)= <hex>\"", n)
		}
		alg, file, sum := parts[1], parts[2], strings.ToLower(parts[3])
		if len(sum) != digestLen[alg] {
			return nil, errorf(ErrCorrupt, name, "line %d: %s digest of %s has %d hex digits", n, alg, file, len(sum))
		}
		if _, dup := m[file]; dup {
			return nil, errorf(ErrCorrupt, name, "line %d: %s is listed twice", n, file)
		}
		m[file] = Digest{Algorithm: alg, Hex: sum}
	}
	if err := sc.Err(); err != nil {
		return nil, errorf(ErrCorrupt, name, "reading manifest: %v", err)
	}
	return m, nil
}

// FormatManifest renders SHA256 lines for files (name to hex digest),
// sorted in the order given by names.
func FormatManifest(names []string, sha256Hex map[string]string) []byte {
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "SHA256(%s)= %s\n", n, sha256Hex[n])
	}
	return []byte(b.String())
}

func newHash(alg string) hash.Hash {
	switch alg {
	case "SHA1":
		return sha1.New() //nolint:gosec // verifying an existing manifest
	case "SHA512":
		return sha512.New()
	default:
		return sha256.New()
	}
}

// HashReader returns the hex digest of everything r yields.
func HashReader(alg string, r io.Reader) (string, int64, error) {
	h := newHash(alg)
	n, err := io.Copy(h, r)
	if err != nil {
		return "", n, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
