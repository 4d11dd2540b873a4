package apiserver

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apiserver/pkg/server/mux"
	"k8s.io/kube-openapi/pkg/handler3"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// testDocument is a small v3 document with one schema.
func testDocument() *spec3.OpenAPI {
	return &spec3.OpenAPI{
		Version: "3.0.0",
		Info:    &spec.Info{InfoProps: spec.InfoProps{Title: "Kubernetes", Version: "v1.36.3"}},
		Components: &spec3.Components{Schemas: map[string]*spec.Schema{
			"com.example.v1.Widget": {SchemaProps: spec.SchemaProps{
				Type:       []string{"object"},
				Properties: map[string]spec.Schema{"size": {SchemaProps: spec.SchemaProps{Type: []string{"integer"}}}},
			}},
		}},
	}
}

// get fetches path from srv with the Accept header accept.
func get(t *testing.T, srv *httptest.Server, path, accept string) []byte {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s (%s): %s: %s", path, accept, resp.Status, body)
	}
	return body
}

// TestEncodedOnceServesTheDocumentAfterLettingItGo serves a document
// through handler3, as kube-apiserver's built-in group-versions are
// served, and checks that what is listed and served stays the same after
// encodedOnce has let the document go.
func TestEncodedOnceServesTheDocumentAfterLettingItGo(t *testing.T) {
	const gv = "apis/example.com/v1"
	for _, first := range []string{"application/json", "application/com.github.proto-openapi.spec.v3@v1.0+protobuf"} {
		t.Run(first, func(t *testing.T) {
			service := handler3.NewOpenAPIService()
			m := mux.NewPathRecorderMux("test")
			if err := service.RegisterOpenAPIV3VersionedService("/openapi/v3", m); err != nil {
				t.Fatal(err)
			}
			doc := testDocument()
			source := &encodedOnce{doc: doc, etag: gv}
			service.UpdateGroupVersionLazy(gv, source)
			srv := httptest.NewServer(m)
			defer srv.Close()

			firstBody := get(t, srv, "/openapi/v3/"+gv, first)
			listing := get(t, srv, "/openapi/v3", "application/json")
			want := get(t, srv, "/openapi/v3/"+gv, "application/json")
			if source.doc != nil || doc.Components != nil {
				t.Fatal("the document is still held after it was encoded and served")
			}
			var served spec3.OpenAPI
			if err := json.Unmarshal(want, &served); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(served.Components.Schemas, testDocument().Components.Schemas) {
				t.Fatalf("served schemas %v, want the document's", served.Components.Schemas)
			}
			for range 3 {
				if body := get(t, srv, "/openapi/v3/"+gv, first); string(body) != string(firstBody) {
					t.Fatalf("%s changed after the document was let go", first)
				}
				if body := get(t, srv, "/openapi/v3/"+gv, "application/json"); string(body) != string(want) {
					t.Fatalf("JSON changed after the document was let go:\n%s\nwant\n%s", body, want)
				}
				if body := get(t, srv, "/openapi/v3", "application/json"); string(body) != string(listing) {
					t.Fatalf("the listing (with its hash) changed:\n%s\nwant\n%s", body, listing)
				}
			}
			if !strings.Contains(string(listing), gv+"?hash=") {
				t.Fatalf("listing %s lacks %s", listing, gv)
			}
		})
	}
}

// gvks is an x-kubernetes-group-version-kind list.
func gvks(kind string, gvs ...[2]string) []interface{} {
	var out []interface{}
	for _, gv := range gvs {
		out = append(out, map[string]interface{}{"group": gv[0], "version": gv[1], "kind": kind})
	}
	return out
}

func TestNarrowSharedKinds(t *testing.T) {
	core, apps, batch := [2]string{"", "v1"}, [2]string{"apps", "v1"}, [2]string{"batch", "v1"}
	const key = "x-kubernetes-group-version-kind"
	schema := func(list []interface{}) *spec.Schema {
		return &spec.Schema{VendorExtensible: spec.VendorExtensible{Extensions: spec.Extensions{key: list}}}
	}
	doc := &spec3.OpenAPI{Components: &spec3.Components{Schemas: map[string]*spec.Schema{
		"DeleteOptions": schema(gvks("DeleteOptions", core, apps, batch)),
		"WatchEvent":    schema(gvks("WatchEvent", batch, apps)),
		// Registered into several groups on purpose: left alone.
		"Scale": schema(gvks("Scale", apps, core, batch)),
	}}}
	narrowSharedKinds(doc, "apis/apps/v1")
	for name, want := range map[string][]interface{}{
		"DeleteOptions": gvks("DeleteOptions", core, apps),
		"WatchEvent":    gvks("WatchEvent", apps),
		"Scale":         gvks("Scale", apps, core, batch),
	} {
		if got := doc.Components.Schemas[name].Extensions[key]; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: %v, want %v", name, got, want)
		}
	}

	// A group-version none of whose entries match loses the list.
	doc = &spec3.OpenAPI{Components: &spec3.Components{Schemas: map[string]*spec.Schema{
		"WatchEvent": schema(gvks("WatchEvent", batch, apps)),
	}}}
	narrowSharedKinds(doc, "apis/policy/v1")
	if _, ok := doc.Components.Schemas["WatchEvent"].Extensions[key]; ok {
		t.Errorf("WatchEvent kept %v for policy/v1", doc.Components.Schemas["WatchEvent"].Extensions[key])
	}
}

func TestGroupVersion(t *testing.T) {
	for path, want := range map[string][3]string{
		"api/v1":                     {"", "v1", "true"},
		"apis/apps/v1":               {"apps", "v1", "true"},
		"apis/networking.k8s.io/v1":  {"networking.k8s.io", "v1", "true"},
		"apis":                       {"", "", "false"},
		"api/v1/namespaces":          {"", "", "false"},
		"apis/apps/v1/deployments/x": {"", "", "false"},
	} {
		g, v, ok := groupVersion(path)
		if got := [3]string{g, v, map[bool]string{true: "true", false: "false"}[ok]}; got != want {
			t.Errorf("groupVersion(%q) = %v, want %v", path, got, want)
		}
	}
}
