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
	docs, err := read("capi", func(name string) bool { return !strings.HasPrefix(name, webhookPrefix) })
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("the Cluster API CRDs are missing from this build: build with 'make build', which copies them from the cluster-api module")
	}
	return docs, nil
}

// webhookPrefix starts the names of Cluster API's webhook manifests.
const webhookPrefix = "webhooks-"

// ClusterAPIWebhooks returns Cluster API's admission webhook
// configurations by module ("core", "bootstrap-kubeadm",
// "controlplane-kubeadm"). They point at a Service that the Supervisor
// replaces with its own webhook server.
func ClusterAPIWebhooks() (map[string][]byte, error) {
	entries, err := fs.ReadDir(files, "capi")
	if err != nil {
		return nil, err
	}
	out := map[string][]byte{}
	for _, e := range entries {
		module, ok := strings.CutPrefix(e.Name(), webhookPrefix)
		if !ok {
			continue
		}
		data, err := files.ReadFile(path.Join("capi", e.Name()))
		if err != nil {
			return nil, err
		}
		out[strings.TrimSuffix(module, ".yaml")] = data
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the Cluster API webhook manifests are missing from this build: build with 'make build'")
	}
	return out, nil
}

func read(dir string, keep ...func(string) bool) ([][]byte, error) {
	entries, err := fs.ReadDir(files, dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".yaml") && (len(keep) == 0 || keep[0](e.Name())) {
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
