package crd

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

//go:embed bases capi
var files embed.FS

// Kubevisor returns the CRDs of kubevisor's own API groups.
func Kubevisor() ([][]byte, error) { return read("bases") }

// ClusterAPI returns the Cluster API CRDs. It fails when they have not been
// copied in, which happens only when the binary was built without make.
func ClusterAPI() ([][]byte, error) {
	docs, err := read("capi")
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("the Cluster API CRDs are missing from this build: build with 'make build', which copies them from the cluster-api module")
	}
	return docs, nil
}

func read(dir string) ([][]byte, error) {
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	docs := make([][]byte, 0, len(names))
	for _, n := range names {
		data, err := files.ReadFile(path.Join(dir, n))
		if err != nil {
			return nil, err
		}
		docs = append(docs, data)
	}
	return docs, nil
}
