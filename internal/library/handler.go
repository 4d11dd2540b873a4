package library

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/klog/v2"
	"sigs.k8s.io/controller-runtime/pkg/client"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/ova"
)

// Paths of the HTTP API (see Handler).
const (
	// PathPrefix is the prefix of every path the handler serves.
	PathPrefix = "/library/"
	// LibrariesPath is followed by <library>/items for uploads.
	LibrariesPath = "/library/v1/libraries/"
	// PublishedPath is followed by <library-uuid>/index.json and
	// <library-uuid>/items/<item-uuid>.{ova,ovf}.
	PublishedPath = "/library/v1/published/"
)

// PublishedIndexURL is the index URL of a library published at the
// Supervisor endpoint base (https://host:port).
func PublishedIndexURL(base, libraryUUID string) string {
	return strings.TrimSuffix(base, "/") + PublishedPath + libraryUUID + "/index.json"
}

// UploadResult is the JSON body of a successful upload.
type UploadResult struct {
	// Kind, Namespace and Name identify the item object.
	Kind      string `json:"kind"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
	// ItemName is the item's display name, UUID its UUID.
	ItemName string `json:"itemName"`
	UUID     string `json:"uuid"`
	// Library is the library's name.
	Library string `json:"library"`
	// ContentVersion, SHA256 and Size describe the stored archive.
	ContentVersion string `json:"contentVersion"`
	SHA256         string `json:"sha256"`
	Size           int64  `json:"size"`
	// Changed is false when the item already had this content.
	Changed bool `json:"changed"`
}

// ErrorBody is the JSON body of an error response.
type ErrorBody struct {
	// Error says what went wrong, for people.
	Error string `json:"error"`
	// Reason is a machine-readable cause: Unauthorized, Forbidden,
	// NotFound, NotWritable, Conflict, TooLarge, BadRequest, or for a
	// rejected archive the item condition reason (ContentDigestMismatch,
	// ContentLibraryItemFileUnavailable).
	Reason string `json:"reason"`
}

// Handler serves the content library's HTTP API, to be mounted under
// PathPrefix on the Supervisor's public HTTPS endpoint:
//
//	POST /library/v1/libraries/<library>/items?name=<item>[&namespace=<ns>]
//	     body: the OVA. Authenticated with the caller's Kubernetes
//	     credentials (bearer token or client certificate) and authorized
//	     as "create clustercontentlibraryitems" (or "create
//	     contentlibraryitems" in <ns> for a namespaced library).
//	GET  /library/v1/published/<library-uuid>/index.json
//	GET  /library/v1/published/<library-uuid>/items/<item-uuid>.ova
//	GET  /library/v1/published/<library-uuid>/items/<item-uuid>.ovf
//	     A library with spec.publication.enabled, readable without
//	     credentials, as a vSphere library published without
//	     authentication; downloads support Range requests.
//
// For client certificates to reach it, the server must request them
// (tls.Config.ClientAuth = tls.RequestClientCert or stricter).
func (s *Service) Handler() http.Handler {
	auth := &Authenticator{Client: s.cfg.Client, ClientCAs: s.cfg.ClientCAs}
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+LibrariesPath+"{library}/items", func(w http.ResponseWriter, r *http.Request) { s.upload(w, r, auth) })
	mux.HandleFunc("GET "+PublishedPath+"{uuid}/index.json", s.index)
	mux.HandleFunc("GET "+PublishedPath+"{uuid}/items/{file}", s.file)
	mux.HandleFunc(PathPrefix, func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("%s %s: no such library API path", r.Method, r.URL.Path))
	})
	return mux
}

func (s *Service) upload(w http.ResponseWriter, r *http.Request, auth *Authenticator) {
	ctx := r.Context()
	log := klog.FromContext(ctx).WithValues("path", r.URL.Path)
	libName, namespace, itemName := r.PathValue("library"), r.URL.Query().Get("namespace"), r.URL.Query().Get("name")
	if itemName == "" {
		writeError(w, http.StatusBadRequest, "BadRequest", "the item name is missing: add ?name=<item>")
		return
	}
	if err := checkItemName(itemName); err != nil {
		writeError(w, http.StatusBadRequest, "BadRequest", err.Error())
		return
	}

	user, err := auth.Authenticate(ctx, r)
	if err != nil {
		if errors.Is(err, ErrUnauthenticated) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="kubevisor"`)
			writeError(w, http.StatusUnauthorized, "Unauthorized", err.Error())
			return
		}
		s.unavailable(w, log, err)
		return
	}
	attrs := authorizationv1.ResourceAttributes{Verb: "create", Group: imgregv1.GroupName, Resource: "clustercontentlibraryitems"}
	if namespace != "" {
		attrs.Resource, attrs.Namespace = "contentlibraryitems", namespace
	}
	allowed, reason, err := auth.Allowed(ctx, user, attrs)
	if err != nil {
		s.unavailable(w, log, err)
		return
	}
	if !allowed {
		where := "cluster-wide"
		if namespace != "" {
			where = "in namespace " + namespace
		}
		msg := fmt.Sprintf("user %q may not create %s %s", user.Name, attrs.Resource, where)
		if reason != "" {
			msg += ": " + reason
		}
		writeError(w, http.StatusForbidden, "Forbidden", msg)
		return
	}

	var lib client.Object = &imgregv1.ClusterContentLibrary{}
	if namespace != "" {
		lib = &imgregv1.ContentLibrary{}
	}
	if err := s.cfg.APIReader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: libName}, lib); err != nil {
		if apierrors.IsNotFound(err) {
			writeError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("%s not found", describeKey(lib, namespace, libName)))
			return
		}
		s.unavailable(w, log, err)
		return
	}
	if r.ContentLength > s.cfg.MaxBytes {
		writeError(w, http.StatusRequestEntityTooLarge, "TooLarge", fmt.Sprintf("the archive has %d bytes; at most %d are accepted", r.ContentLength, s.cfg.MaxBytes))
		return
	}

	res, err := s.Import(ctx, lib, itemName, r.Body)
	if err != nil {
		var oe *ova.Error
		switch {
		case errors.Is(err, ErrNotWritable):
			writeError(w, http.StatusConflict, "NotWritable", err.Error())
		case errors.Is(err, ErrItemDeleting):
			writeError(w, http.StatusConflict, "Conflict", err.Error())
		case errors.Is(err, ova.ErrTooLarge):
			writeError(w, http.StatusRequestEntityTooLarge, "TooLarge", err.Error())
		case errors.As(err, &oe):
			writeError(w, http.StatusUnprocessableEntity, ProblemOf(err).Reason, "the OVA was rejected: "+err.Error())
		case ctx.Err() != nil:
			// The client went away.
		default:
			s.unavailable(w, log, err)
		}
		return
	}
	log.Info("Stored library item", "library", libName, "namespace", namespace, "item", itemName, "user", user.Name, "changed", res.Changed, "sha256", res.Record.OVA.SHA256)
	code := http.StatusOK
	if res.Created || res.Changed {
		code = http.StatusCreated
	}
	writeJSON(w, code, UploadResult{
		Kind: ItemKind(res.Item), Namespace: res.Item.GetNamespace(), Name: res.Item.GetName(),
		ItemName: itemName, UUID: res.Record.ItemUUID, Library: libName,
		ContentVersion: res.Record.ContentVersion, SHA256: res.Record.OVA.SHA256, Size: res.Record.OVA.Size,
		Changed: res.Changed,
	})
}

// published finds the published library with the UUID: a
// ClusterContentLibrary, or a ContentLibrary that is not a binding.
func (s *Service) published(ctx context.Context, uuid string) (client.Object, error) {
	var cluster imgregv1.ClusterContentLibraryList
	if err := s.cfg.APIReader.List(ctx, &cluster); err != nil {
		return nil, err
	}
	for i := range cluster.Items {
		if l := &cluster.Items[i]; l.Spec.UUID == uuid && isPublished(l) {
			return l, nil
		}
	}
	var namespaced imgregv1.ContentLibraryList
	if err := s.cfg.APIReader.List(ctx, &namespaced); err != nil {
		return nil, err
	}
	for i := range namespaced.Items {
		if l := &namespaced.Items[i]; l.Spec.UUID == uuid && isPublished(l) {
			return l, nil
		}
	}
	return nil, nil
}

func isPublished(lib client.Object) bool {
	spec := LibrarySpec(lib)
	return spec.Publication != nil && spec.Publication.Enabled && spec.Subscription == nil &&
		!IsBinding(lib) && lib.GetDeletionTimestamp().IsZero()
}

// BuildIndex lists the stored items of lib, by name.
func (s *Service) BuildIndex(ctx context.Context, lib client.Object) (*Index, error) {
	spec := LibrarySpec(lib)
	items, err := s.itemsOf(ctx, s.cfg.APIReader, lib)
	if err != nil {
		return nil, err
	}
	idx := &Index{APIVersion: IndexAPIVersion, Library: IndexLibrary{UUID: spec.UUID, Name: lib.GetName(), Version: strconv.FormatInt(lib.GetGeneration(), 10)}, Items: []IndexItem{}}
	for _, item := range items {
		if !item.GetDeletionTimestamp().IsZero() {
			continue
		}
		rec, err := s.cfg.Store.Get(spec.UUID, ItemSpec(item).UUID)
		if errors.Is(err, ErrNotStored) {
			continue
		}
		if err != nil {
			return nil, err
		}
		st := ItemStatusOf(item)
		name := st.Name
		if name == "" {
			name = rec.Name
		}
		idx.Items = append(idx.Items, indexItem(rec, name, st.Description))
	}
	sort.Slice(idx.Items, func(i, j int) bool { return idx.Items[i].Name < idx.Items[j].Name })
	return idx, nil
}

// itemsOf lists the item objects owned by lib.
func (s *Service) itemsOf(ctx context.Context, c client.Reader, lib client.Object) ([]client.Object, error) {
	var out []client.Object
	keep := func(item client.Object) {
		for _, ref := range item.GetOwnerReferences() {
			if ref.UID == lib.GetUID() {
				out = append(out, item)
				return
			}
		}
	}
	if _, ok := lib.(*imgregv1.ClusterContentLibrary); ok {
		var list imgregv1.ClusterContentLibraryItemList
		if err := c.List(ctx, &list); err != nil {
			return nil, err
		}
		for i := range list.Items {
			keep(&list.Items[i])
		}
		return out, nil
	}
	var list imgregv1.ContentLibraryItemList
	if err := c.List(ctx, &list, client.InNamespace(lib.GetNamespace())); err != nil {
		return nil, err
	}
	for i := range list.Items {
		keep(&list.Items[i])
	}
	return out, nil
}

func (s *Service) index(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	log := klog.FromContext(ctx).WithValues("path", r.URL.Path)
	lib, err := s.published(ctx, r.PathValue("uuid"))
	if err != nil {
		s.unavailable(w, log, err)
		return
	}
	if lib == nil {
		writeError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("no published library has UUID %s", r.PathValue("uuid")))
		return
	}
	idx, err := s.BuildIndex(ctx, lib)
	if err != nil {
		s.unavailable(w, log, err)
		return
	}
	data, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		s.unavailable(w, log, err)
		return
	}
	sum := sha256.Sum256(data)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	w.Header().Set("ETag", etag)
	w.Header().Set("Cache-Control", "no-cache")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(data)+1))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(append(data, '\n'))
	}
}

func (s *Service) file(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	log := klog.FromContext(ctx).WithValues("path", r.URL.Path)
	file := r.PathValue("file")
	itemUUID, ext := strings.TrimSuffix(file, ".ova"), "ova"
	if strings.HasSuffix(file, ".ovf") {
		itemUUID, ext = strings.TrimSuffix(file, ".ovf"), "ovf"
	} else if !strings.HasSuffix(file, ".ova") {
		writeError(w, http.StatusNotFound, "NotFound", "items are served as <item-uuid>.ova and <item-uuid>.ovf")
		return
	}
	lib, err := s.published(ctx, r.PathValue("uuid"))
	if err != nil {
		s.unavailable(w, log, err)
		return
	}
	if lib == nil {
		writeError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("no published library has UUID %s", r.PathValue("uuid")))
		return
	}
	rec, err := s.cfg.Store.Get(LibrarySpec(lib).UUID, itemUUID)
	if err != nil {
		if errors.Is(err, ErrNotStored) || errors.Is(err, ErrBadID) {
			writeError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("library %s has no stored item %s", lib.GetName(), itemUUID))
			return
		}
		s.unavailable(w, log, err)
		return
	}
	path, name, etag, ctype := rec.OVAPath(), rec.OVA.Name, rec.OVA.SHA256, "application/x-tar"
	if ext == "ovf" {
		desc, _ := findFile(rec.Files, rec.Descriptor)
		path, name, etag, ctype = rec.DescriptorPath(), rec.Descriptor, desc.SHA256, "application/xml"
	}
	f, err := os.Open(path)
	if err != nil {
		// Deleted or replaced between Get and Open.
		writeError(w, http.StatusNotFound, "NotFound", fmt.Sprintf("item %s is no longer stored", itemUUID))
		return
	}
	defer f.Close()
	w.Header().Set("ETag", `"`+etag+`"`)
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	http.ServeContent(w, r, "", rec.Stored, f)
}

// unavailable answers a failure that is not the caller's fault.
func (s *Service) unavailable(w http.ResponseWriter, log klog.Logger, err error) {
	log.Error(err, "Content library request failed")
	writeError(w, http.StatusServiceUnavailable, "Unavailable", "the content library service cannot answer right now: "+err.Error())
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	data, _ := json.MarshalIndent(v, "", "  ")
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(data, '\n'))
}

func writeError(w http.ResponseWriter, code int, reason, msg string) {
	writeJSON(w, code, ErrorBody{Error: msg, Reason: reason})
}

func describeKey(obj client.Object, namespace, name string) string {
	o := obj.DeepCopyObject().(client.Object)
	o.SetNamespace(namespace)
	o.SetName(name)
	return describe(o)
}
