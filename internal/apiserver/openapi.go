package apiserver

import (
	"fmt"
	"strings"
	"sync"

	restful "github.com/emicklei/go-restful/v3"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/mux"
	"k8s.io/klog/v2"
	builder2 "k8s.io/kube-openapi/pkg/builder"
	"k8s.io/kube-openapi/pkg/builder3"
	"k8s.io/kube-openapi/pkg/cached"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/common/restfuladapter"
	"k8s.io/kube-openapi/pkg/handler"
	"k8s.io/kube-openapi/pkg/handler3"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// installOpenAPI serves /openapi/v2 and /openapi/v3 for the built-in APIs
// of s, the server chain's kube-apiserver, whose own installation the
// caller turned off (SkipOpenAPIInstallation). It must run after the APIs
// are installed and before the server is prepared. The documents served
// are kube-apiserver's; what differs is what stays in memory (about 19 MiB
// of live heap less, measured on 2026-11-28):
//
//   - v2 is built on the first request for it, not at start, and kept from
//     then on. An idle Supervisor's clients do not ask for it: kubectl and
//     client-go read v3. Older clients and tools such as Terraform's
//     kubernetes_manifest read the aggregated /openapi/v2, which downloads
//     this one and merges it with the CRDs' and the aggregator's
//     documents on its own first request, already lazily.
//   - v3 is built at start, one document per group-version, but each
//     document is kept only until it has been encoded (see encodedOnce).
//     The encoding is what is served, and the /openapi/v3 listing needs it
//     anyway for its hashes: kube-apiserver's admission chain reads the
//     listing every five seconds.
func installOpenAPI(s *genericapiserver.GenericAPIServer, v2 *common.Config, v3 *common.OpenAPIV3Config) error {
	container, mux := s.Handler.GoRestfulContainer, s.Handler.NonGoRestfulMux
	if v2 != nil {
		build := cached.Func(func() (*spec.Swagger, string, error) {
			doc, err := builder2.BuildOpenAPISpecFromRoutes(restfuladapter.AdaptWebServices(container.RegisteredWebServices()), v2)
			if err != nil {
				return nil, "", fmt.Errorf("building the built-in APIs' OpenAPI v2 document: %w", err)
			}
			doc.Definitions = handler.PruneDefaults(doc.Definitions)
			// The routes do not change once the server runs, so the
			// document built once is the document for good.
			return doc, "built-in", nil
		})
		handler.NewOpenAPIServiceLazy(cached.Once(build)).RegisterOpenAPIVersionedService("/openapi/v2", mux)
	}
	if v3 != nil {
		return installOpenAPIV3(container, mux, v3)
	}
	return nil
}

// installOpenAPIV3 serves a v3 document for each group-version of
// container's web services, built as kube-apiserver builds them.
func installOpenAPIV3(container *restful.Container, mux *mux.PathRecorderMux, cfg *common.OpenAPIV3Config) error {
	service := handler3.NewOpenAPIService()
	if err := service.RegisterOpenAPIV3VersionedService("/openapi/v3", mux); err != nil {
		return fmt.Errorf("serving OpenAPI v3: %w", err)
	}
	for _, ws := range container.RegisteredWebServices() {
		gv := strings.TrimPrefix(ws.RootPath(), "/") // api/v1, apis/apps/v1
		doc, err := builder3.BuildOpenAPISpecFromRoutes(restfuladapter.AdaptWebServices([]*restful.WebService{ws}), cfg)
		if err != nil {
			// As kube-apiserver does: the group-version goes unlisted.
			klog.ErrorS(err, "Building an OpenAPI v3 document; leaving it out", "groupVersion", gv)
			continue
		}
		narrowSharedKinds(doc, gv)
		service.UpdateGroupVersionLazy(gv, &encodedOnce{doc: doc, etag: gv})
	}
	return nil
}

// encodedOnce is a group-version's v3 document for handler3, which encodes
// the document it gets, keeps the encoding, and encodes again only when
// the etag it gets changes (cached.Transform's contract). A built-in
// group-version's document never changes, so after the first Get, whose
// document handler3 encodes at once, encodedOnce lets the document go: it
// empties it, since handler3 keeps a pointer to it, and from then on
// answers with an empty document under the same etag, which handler3 does
// not encode. (Encoding a document built from routes cannot fail, so there
// is no failed first encoding that handler3 would retry.)
type encodedOnce struct {
	mu   sync.Mutex
	doc  *spec3.OpenAPI // nil once let go
	etag string
	got  bool
}

// Get implements cached.Value.
func (e *encodedOnce) Get() (*spec3.OpenAPI, string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.got {
		e.got = true
		return e.doc, e.etag, nil
	}
	if e.doc != nil {
		*e.doc = spec3.OpenAPI{}
		e.doc = nil
	}
	return &spec3.OpenAPI{}, e.etag, nil
}

// sharedKinds are the kinds that every API group registers
// (metav1.AddToGroupVersion), so that their schemas list one
// group-version-kind per group.
var sharedKinds = map[string]bool{"WatchEvent": true, "DeleteOptions": true}

// narrowSharedKinds trims, in a group-version's document, the
// x-kubernetes-group-version-kind lists of the shared kinds' schemas to
// that group-version and core v1, as kube-apiserver does: otherwise each
// document lists them for every group.
func narrowSharedKinds(doc *spec3.OpenAPI, gvPath string) {
	group, version, ok := groupVersion(gvPath)
	if !ok || doc.Components == nil {
		return
	}
	const key = "x-kubernetes-group-version-kind"
	for _, schema := range doc.Components.Schemas {
		if schema == nil {
			continue
		}
		gvks, _ := schema.Extensions[key].([]interface{})
		if len(gvks) < 2 {
			continue
		}
		first, _ := gvks[0].(map[string]interface{})
		if kind, _ := first["kind"].(string); !sharedKinds[kind] {
			continue
		}
		var kept []interface{}
		for _, item := range gvks {
			m, _ := item.(map[string]interface{})
			g, gok := m["group"].(string)
			v, vok := m["version"].(string)
			if gok && vok && (g == group && v == version || g == "" && v == "v1") {
				kept = append(kept, item)
			}
		}
		if len(kept) == 0 {
			delete(schema.Extensions, key)
			continue
		}
		schema.Extensions[key] = kept
	}
}

// groupVersion parses a web service's root path without its slash:
// "api/v1" is the core group's v1, "apis/apps/v1" is apps/v1.
func groupVersion(path string) (group, version string, ok bool) {
	parts := strings.Split(path, "/")
	switch {
	case len(parts) == 2 && parts[0] == "api":
		return "", parts[1], true
	case len(parts) == 3 && parts[0] == "apis":
		return parts[1], parts[2], true
	}
	return "", "", false
}
