package library

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/certs"
	"github.com/kubevisor/kubevisor/internal/ova"
	"github.com/kubevisor/kubevisor/internal/scheme"
)

// The API server's answers are played by interceptors: TokenReviews know
// two tokens, SubjectAccessReviews allow admins everything and dev only in
// namespace team-a.
var tokens = map[string]authenticationv1.UserInfo{
	"admin-token": {Username: "admin", Groups: []string{"system:masters"}},
	"dev-token":   {Username: "dev", Groups: []string{"devs"}},
}

func reviews() interceptor.Funcs {
	return interceptor.Funcs{Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
		switch o := obj.(type) {
		case *authenticationv1.TokenReview:
			u, ok := tokens[o.Spec.Token]
			o.Status = authenticationv1.TokenReviewStatus{Authenticated: ok, User: u}
			return nil
		case *authorizationv1.SubjectAccessReview:
			s := o.Spec
			admin := false
			for _, g := range s.Groups {
				admin = admin || g == "system:masters"
			}
			o.Status.Allowed = admin || (s.User == "dev" && s.ResourceAttributes.Namespace == "team-a" && s.ResourceAttributes.Resource == "contentlibraryitems")
			if !o.Status.Allowed {
				o.Status.Reason = "no RBAC rule allows it"
			}
			return nil
		}
		return c.Create(ctx, obj, opts...)
	}}
}

const pubUUID = "99999999-0000-4000-8000-000000000001"

type env struct {
	c    client.Client
	svc  *Service
	srv  *httptest.Server
	ca   *certs.Authority
	pool *x509.CertPool
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s, err := scheme.New()
	if err != nil {
		t.Fatal(err)
	}
	libs := []client.Object{
		&imgregv1.ClusterContentLibrary{ObjectMeta: metav1.ObjectMeta{Name: "local", UID: "uid-local"},
			Spec: imgregv1.ClusterContentLibrarySpec{BaseContentLibrarySpec: imgregv1.BaseContentLibrarySpec{UUID: "10000000-0000-4000-8000-000000000001"}}},
		&imgregv1.ClusterContentLibrary{ObjectMeta: metav1.ObjectMeta{Name: "pub", UID: "uid-pub"},
			Spec: imgregv1.ClusterContentLibrarySpec{BaseContentLibrarySpec: imgregv1.BaseContentLibrarySpec{UUID: pubUUID,
				Publication: &imgregv1.ContentLibraryPublication{Enabled: true}}}},
		&imgregv1.ClusterContentLibrary{ObjectMeta: metav1.ObjectMeta{Name: "mirror", UID: "uid-mirror"},
			Spec: imgregv1.ClusterContentLibrarySpec{BaseContentLibrarySpec: imgregv1.BaseContentLibrarySpec{UUID: "10000000-0000-4000-8000-000000000003",
				Subscription: &imgregv1.ContentLibrarySubscription{URL: "https://example.invalid/index.json"}}}},
		&imgregv1.ContentLibrary{ObjectMeta: metav1.ObjectMeta{Name: "team-lib", Namespace: "team-a", UID: "uid-team"},
			Spec: imgregv1.ContentLibrarySpec{BaseContentLibrarySpec: imgregv1.BaseContentLibrarySpec{UUID: "10000000-0000-4000-8000-000000000004"}, Writable: true}},
		&imgregv1.ContentLibrary{ObjectMeta: metav1.ObjectMeta{Name: "pub", Namespace: "team-a", UID: "uid-binding",
			Labels: map[string]string{ManagedByLabel: ManagedBySupervisorNamespace}},
			Spec: imgregv1.ContentLibrarySpec{BaseContentLibrarySpec: imgregv1.BaseContentLibrarySpec{UUID: pubUUID}}},
	}
	c := fake.NewClientBuilder().WithScheme(s).WithObjects(libs...).
		WithStatusSubresource(&imgregv1.ClusterContentLibraryItem{}, &imgregv1.ContentLibraryItem{}, &imgregv1.ClusterContentLibrary{}, &imgregv1.ContentLibrary{}).
		WithInterceptorFuncs(reviews()).Build()
	store, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	ca, err := certs.LoadOrCreateAuthority(t.TempDir(), "ca", "test-ca")
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	svc := New(Config{Client: c, Store: store, ClientCAs: pool, MaxBytes: 1 << 20})
	srv := httptest.NewUnstartedServer(svc.Handler())
	srv.TLS = &tls.Config{ClientAuth: tls.RequestClientCert, MinVersion: tls.VersionTLS12}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return &env{c: c, svc: svc, srv: srv, ca: ca, pool: pool}
}

type response struct {
	code int
	body []byte
	hdr  http.Header
}

func (e *env) do(t *testing.T, hc *http.Client, method, path, token string, body []byte, hdr ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if hc == nil {
		hc = e.srv.Client()
	}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{code: resp.StatusCode, body: data, hdr: resp.Header}
}

// certClient presents a client certificate issued by the env's CA.
func (e *env) certClient(t *testing.T, cn string, groups ...string) *http.Client {
	kp, err := e.ca.Issue(certs.LeafSpec{CommonName: cn, Organizations: groups})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := tls.X509KeyPair(kp.CertPEM, kp.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	hc := e.srv.Client()
	tr := hc.Transport.(*http.Transport).Clone()
	tr.TLSClientConfig.Certificates = []tls.Certificate{cert}
	return &http.Client{Transport: tr}
}

func reason(t *testing.T, r response) string {
	var e ErrorBody
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	return e.Reason
}

func TestUpload(t *testing.T) {
	e := newEnv(t)
	good := makeOVA(t, "base", "hello")
	bad := append([]byte(nil), good...)
	bad[len(bad)-2048] ^= 0xff // inside the disk payload
	up := "/library/v1/libraries/local/items?name=base"

	tests := []struct {
		name   string
		client *http.Client
		path   string
		token  string
		body   []byte
		code   int
		reason string
	}{
		{"no credentials", nil, up, "", good, http.StatusUnauthorized, "Unauthorized"},
		{"unknown token", nil, up, "stolen", good, http.StatusUnauthorized, "Unauthorized"},
		{"not allowed cluster-wide", nil, up, "dev-token", good, http.StatusForbidden, "Forbidden"},
		{"no name", nil, "/library/v1/libraries/local/items", "admin-token", good, http.StatusBadRequest, "BadRequest"},
		{"bad name", nil, "/library/v1/libraries/local/items?name=a%2Fb", "admin-token", good, http.StatusBadRequest, "BadRequest"},
		{"unknown library", nil, "/library/v1/libraries/nope/items?name=base", "admin-token", good, http.StatusNotFound, "NotFound"},
		{"subscribed library", nil, "/library/v1/libraries/mirror/items?name=base", "admin-token", good, http.StatusConflict, "NotWritable"},
		{"binding", nil, "/library/v1/libraries/pub/items?name=base&namespace=team-a", "dev-token", good, http.StatusConflict, "NotWritable"},
		{"tampered", nil, up, "admin-token", bad, http.StatusUnprocessableEntity, imgregv1.ContentDigestMismatchReason},
		{"not an OVA", nil, up, "admin-token", []byte("hello"), http.StatusUnprocessableEntity, imgregv1.ContentLibraryItemFileUnavailableReason},
		{"too large", nil, up, "admin-token", make([]byte, 2<<20), http.StatusRequestEntityTooLarge, "TooLarge"},
		{"uploaded", nil, up, "admin-token", good, http.StatusCreated, ""},
		{"same content again", nil, up, "admin-token", good, http.StatusOK, ""},
		{"client certificate", e.certClient(t, "alice", "system:masters"), "/library/v1/libraries/local/items?name=by-cert", "", good, http.StatusCreated, ""},
		{"untrusted client certificate", untrustedCertClient(t, e), "/library/v1/libraries/local/items?name=by-cert", "", good, http.StatusUnauthorized, "Unauthorized"},
		{"namespaced library", nil, "/library/v1/libraries/team-lib/items?name=base&namespace=team-a", "dev-token", good, http.StatusCreated, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, tt.client, http.MethodPost, tt.path, tt.token, tt.body)
			if r.code != tt.code {
				t.Fatalf("status %d, want %d: %s", r.code, tt.code, r.body)
			}
			if tt.reason != "" {
				if got := reason(t, r); got != tt.reason {
					t.Errorf("reason %q, want %q (%s)", got, tt.reason, r.body)
				}
			}
		})
	}

	// The uploaded item exists, with its status filled from the OVA.
	uuid := LocalItemUUID("10000000-0000-4000-8000-000000000001", "base")
	item := &imgregv1.ClusterContentLibraryItem{}
	if err := e.c.Get(context.Background(), client.ObjectKey{Name: ItemObjectName(uuid)}, item); err != nil {
		t.Fatal(err)
	}
	st := item.Status
	ready := meta.FindStatusCondition(st.Conditions, imgregv1.ReadyConditionType)
	sum := sha256.Sum256(good)
	if item.Spec.UUID != uuid || st.Name != "base" || !st.Cached || st.ContentVersion != "1" || ready == nil || ready.Status != metav1.ConditionTrue || len(st.FileInfo) != 3 {
		t.Errorf("item %+v", item)
	}
	if len(item.OwnerReferences) != 1 || item.OwnerReferences[0].UID != "uid-local" {
		t.Errorf("owner %+v", item.OwnerReferences)
	}
	rec, err := e.svc.Store().Get("10000000-0000-4000-8000-000000000001", uuid)
	if err != nil || rec.OVA.SHA256 != hex.EncodeToString(sum[:]) {
		t.Fatalf("stored %+v, %v", rec, err)
	}
	nsItem := &imgregv1.ContentLibraryItemList{}
	if err := e.c.List(context.Background(), nsItem, client.InNamespace("team-a")); err != nil || len(nsItem.Items) != 1 || nsItem.Items[0].Status.Name != "base" {
		t.Errorf("namespaced items %+v, %v", nsItem.Items, err)
	}
}

func untrustedCertClient(t *testing.T, e *env) *http.Client {
	other, err := certs.LoadOrCreateAuthority(t.TempDir(), "ca", "other-ca")
	if err != nil {
		t.Fatal(err)
	}
	return (&env{srv: e.srv, ca: other}).certClient(t, "mallory", "system:masters")
}

func TestPublication(t *testing.T) {
	e := newEnv(t)
	data := makeOVA(t, "ubuntu", "published")
	if r := e.do(t, nil, http.MethodPost, "/library/v1/libraries/pub/items?name=ubuntu", "admin-token", data); r.code != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.code, r.body)
	}
	itemID := LocalItemUUID(pubUUID, "ubuntu")

	if r := e.do(t, nil, http.MethodGet, "/library/v1/published/10000000-0000-4000-8000-000000000001/index.json", "", nil); r.code != http.StatusNotFound {
		t.Errorf("an unpublished library's index: %d", r.code)
	}
	r := e.do(t, nil, http.MethodGet, "/library/v1/published/"+pubUUID+"/index.json", "", nil)
	if r.code != http.StatusOK {
		t.Fatalf("index: %d %s", r.code, r.body)
	}
	var idx Index
	if err := json.Unmarshal(r.body, &idx); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if idx.APIVersion != IndexAPIVersion || idx.Library.UUID != pubUUID || len(idx.Items) != 1 {
		t.Fatalf("index %+v", idx)
	}
	it := idx.Items[0]
	if it.UUID != itemID || it.Name != "ubuntu" || it.OVA.SHA256 != hex.EncodeToString(sum[:]) || it.OVA.Size != int64(len(data)) || it.ContentVersion != "1" || len(it.Files) != 3 {
		t.Errorf("item %+v", it)
	}
	if r2 := e.do(t, nil, http.MethodGet, "/library/v1/published/"+pubUUID+"/index.json", "", nil, "If-None-Match", r.hdr.Get("ETag")); r2.code != http.StatusNotModified {
		t.Errorf("conditional index: %d", r2.code)
	}

	full := e.do(t, nil, http.MethodGet, "/library/v1/published/"+pubUUID+"/"+it.OVA.Href, "", nil)
	if full.code != http.StatusOK || !bytes.Equal(full.body, data) {
		t.Errorf("OVA download: %d, %d bytes", full.code, len(full.body))
	}
	part := e.do(t, nil, http.MethodGet, "/library/v1/published/"+pubUUID+"/"+it.OVA.Href, "", nil, "Range", "bytes=100-199")
	if part.code != http.StatusPartialContent || !bytes.Equal(part.body, data[100:200]) {
		t.Errorf("range download: %d, %d bytes", part.code, len(part.body))
	}
	desc := e.do(t, nil, http.MethodGet, "/library/v1/published/"+pubUUID+"/"+it.Descriptor.Href, "", nil)
	dsum := sha256.Sum256(desc.body)
	if desc.code != http.StatusOK || hex.EncodeToString(dsum[:]) != it.Descriptor.SHA256 {
		t.Errorf("descriptor download: %d", desc.code)
	}
	for _, p := range []string{"items/" + itemID + ".tar", "items/nope.ova", "items/..%2F..%2Fx.ova"} {
		if r := e.do(t, nil, http.MethodGet, "/library/v1/published/"+pubUUID+"/"+p, "", nil); r.code != http.StatusNotFound {
			t.Errorf("GET %s: %d", p, r.code)
		}
	}
}

// TestSubscription mirrors a published library through its HTTPS index,
// over TLS verified with the publisher's CA, and refuses tampered content.
func TestSubscription(t *testing.T) {
	ctx := context.Background()
	pub := newEnv(t)
	data := makeOVA(t, "ubuntu", "mirrored")
	if r := pub.do(t, nil, http.MethodPost, "/library/v1/libraries/pub/items?name=ubuntu", "admin-token", data); r.code != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.code, r.body)
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: pub.srv.Certificate().Raw})
	sub := &imgregv1.ContentLibrarySubscription{URL: PublishedIndexURL(pub.srv.URL, pubUUID), CABundle: caPEM}

	store, _ := NewStore(t.TempDir())
	subscriber := New(Config{Store: store})
	const mirrorUUID = "20000000-0000-4000-8000-000000000001"

	_, err := subscriber.FetchIndex(ctx, mirrorUUID, &imgregv1.ContentLibrarySubscription{URL: sub.URL})
	var se *SyncError
	if !errors.As(err, &se) || se.Reason != imgregv1.SubscriptionCertificateUntrustedReason {
		t.Fatalf("sync without the CA = %v", err)
	}
	idx, err := subscriber.FetchIndex(ctx, mirrorUUID, sub)
	if err != nil || len(idx.Items) != 1 {
		t.Fatalf("FetchIndex = %+v, %v", idx, err)
	}
	entry := idx.Items[0]
	dl := &DownloadRequest{LibraryUUID: mirrorUUID, ItemUUID: SubscribedItemUUID(mirrorUUID, entry.UUID), Subscription: sub, Entry: entry}
	info, err := subscriber.ItemInfo(nil, dl)
	if err != nil || info.Product.Product != "test image" {
		t.Fatalf("descriptor before download: %+v, %v", info, err)
	}
	saved, _ := store.LoadIndex(mirrorUUID)
	if saved.Item(entry.UUID) == nil {
		t.Error("the index was not saved")
	}

	rec, err := subscriber.Download(ctx, *dl)
	if err != nil {
		t.Fatal(err)
	}
	if rec.OVA.SHA256 != entry.OVA.SHA256 || rec.ContentVersion != entry.ContentVersion || rec.Name != "ubuntu" {
		t.Errorf("downloaded %+v", rec)
	}

	// A publisher whose archive does not match its own index.
	tampered := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		resp, err := pub.srv.Client().Get(pub.srv.URL + r.URL.Path)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if strings.HasSuffix(r.URL.Path, ".ova") {
			body[len(body)-2048] ^= 0xff
		}
		w.Write(body)
	}))
	defer tampered.Close()
	bad := &imgregv1.ContentLibrarySubscription{URL: PublishedIndexURL(tampered.URL, pubUUID),
		CABundle: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tampered.Certificate().Raw})}
	badUUID := "20000000-0000-4000-8000-000000000002"
	badIdx, err := subscriber.FetchIndex(ctx, badUUID, bad)
	if err != nil {
		t.Fatal(err)
	}
	req := DownloadRequest{LibraryUUID: badUUID, ItemUUID: SubscribedItemUUID(badUUID, entry.UUID), Subscription: bad, Entry: badIdx.Items[0]}
	if _, err := subscriber.Download(ctx, req); !errors.Is(err, ova.ErrTampered) {
		t.Fatalf("download of a tampered archive = %v, want ErrTampered", err)
	}
	if p := subscriber.DownloadProblem(req.ItemUUID, req.Entry.OVA.SHA256); p == nil || p.Reason != imgregv1.ContentDigestMismatchReason {
		t.Errorf("problem %+v", p)
	}
	if _, err := store.Get(badUUID, req.ItemUUID); !errors.Is(err, ErrNotStored) {
		t.Errorf("tampered content was stored: %v", err)
	}
	if subscriber.RetryAfter(req.ItemUUID, req.Entry.OVA.SHA256) <= 0 {
		t.Error("a failed download is retried at once")
	}
}
