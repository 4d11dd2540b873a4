package library

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
	"github.com/kubevisor/kubevisor/internal/ova"
)

// Limits of what a subscriber reads from a publisher.
const (
	maxIndexBytes      = 32 << 20
	maxDescriptorBytes = 16 << 20
	// requestTimeout bounds fetching the index or a descriptor.
	requestTimeout = time.Minute
	// retryMin and retryMax bound the wait before a failed download is
	// tried again.
	retryMin = 10 * time.Second
	retryMax = 10 * time.Minute
)

// SyncError is why a subscribed library could not be synchronised: a
// SubscriptionSynced condition reason and a message.
type SyncError struct {
	Reason string
	Err    error
}

func (e *SyncError) Error() string { return e.Err.Error() }
func (e *SyncError) Unwrap() error { return e.Err }

func syncError(err error) error {
	reason := imgregv1.SubscriptionSyncFailedReason
	var unknown x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	var host x509.HostnameError
	var verify *tls.CertificateVerificationError
	if errors.As(err, &unknown) || errors.As(err, &invalid) || errors.As(err, &host) || errors.As(err, &verify) {
		reason = imgregv1.SubscriptionCertificateUntrustedReason
		err = fmt.Errorf("%w (set spec.subscription.caBundle to the publisher's CA)", err)
	}
	return &SyncError{Reason: reason, Err: err}
}

// IndexURL is the URL of a subscription's index: the subscription URL
// itself when it names a .json file (as status.publishInfo.URL does),
// otherwise <url>/index.json.
func IndexURL(sub *imgregv1.ContentLibrarySubscription) (*url.URL, error) {
	u, err := url.Parse(sub.URL)
	if err != nil {
		return nil, fmt.Errorf("subscription URL %q: %w", sub.URL, err)
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("subscription URL %q is not https", sub.URL)
	}
	if !strings.HasSuffix(u.Path, ".json") {
		u.Path = strings.TrimSuffix(u.Path, "/") + "/index.json"
	}
	return u, nil
}

// httpClient trusts sub.caBundle, or the system roots when it is empty.
func httpClient(sub *imgregv1.ContentLibrarySubscription) (*http.Client, error) {
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(sub.CABundle) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(sub.CABundle) {
			return nil, errors.New("spec.subscription.caBundle holds no PEM certificate")
		}
		tlsCfg.RootCAs = pool
	}
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   30 * time.Second,
		ResponseHeaderTimeout: time.Minute,
		IdleConnTimeout:       30 * time.Second,
	}}, nil
}

// get fetches u and returns its body, bounded by limit bytes.
func get(ctx context.Context, c *http.Client, u string, limit int64) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	resp, err := open(ctx, c, u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", u, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", u, limit)
	}
	return data, nil
}

func open(ctx context.Context, c *http.Client, u string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		resp.Body.Close()
		return nil, fmt.Errorf("GET %s: %s: %s", u, resp.Status, bytes.TrimSpace(body))
	}
	return resp, nil
}

// FetchIndex reads a subscription's index and the descriptor of every
// item it lists (kept in the store under libraryUUID, content-addressed),
// then saves the index. A failure is a *SyncError.
func (s *Service) FetchIndex(ctx context.Context, libraryUUID string, sub *imgregv1.ContentLibrarySubscription) (*Index, error) {
	u, err := IndexURL(sub)
	if err != nil {
		return nil, syncError(err)
	}
	c, err := httpClient(sub)
	if err != nil {
		return nil, syncError(err)
	}
	defer c.CloseIdleConnections()
	data, err := get(ctx, c, u.String(), maxIndexBytes)
	if err != nil {
		return nil, syncError(err)
	}
	idx := &Index{}
	if err := json.Unmarshal(data, idx); err != nil {
		return nil, syncError(fmt.Errorf("%s is not a library index: %w", u, err))
	}
	if idx.APIVersion != IndexAPIVersion {
		return nil, syncError(fmt.Errorf("%s has apiVersion %q, want %q", u, idx.APIVersion, IndexAPIVersion))
	}
	keep := map[string]bool{}
	seen := map[string]bool{}
	for _, item := range idx.Items {
		if err := checkIndexItem(&item); err != nil {
			return nil, syncError(fmt.Errorf("%s: %w", u, err))
		}
		if seen[item.UUID] {
			return nil, syncError(fmt.Errorf("%s lists item %s twice", u, item.UUID))
		}
		seen[item.UUID] = true
		sha := item.Descriptor.SHA256
		keep[sha] = true
		if _, err := readInfo(s.cfg.Store.DescriptorPath(libraryUUID, sha)); err == nil {
			continue
		}
		ref, err := u.Parse(item.Descriptor.Href)
		if err != nil {
			return nil, syncError(fmt.Errorf("item %s: descriptor href %q: %w", item.Name, item.Descriptor.Href, err))
		}
		desc, err := get(ctx, c, ref.String(), maxDescriptorBytes)
		if err != nil {
			return nil, syncError(fmt.Errorf("item %s: %w", item.Name, err))
		}
		if err := s.cfg.Store.PutDescriptor(libraryUUID, sha, desc); err != nil {
			return nil, syncError(fmt.Errorf("item %s: %w", item.Name, err))
		}
	}
	if err := s.cfg.Store.SaveIndex(libraryUUID, idx); err != nil {
		return nil, err
	}
	_ = s.cfg.Store.PruneDescriptors(libraryUUID, keep)
	return idx, nil
}

func checkIndexItem(item *IndexItem) error {
	switch {
	case !uuidLike.MatchString(item.UUID):
		return fmt.Errorf("item UUID %q is not usable", item.UUID)
	case checkItemName(item.Name) != nil:
		return fmt.Errorf("item %s: %w", item.UUID, checkItemName(item.Name))
	case !sha256Hex.MatchString(item.OVA.SHA256) || !sha256Hex.MatchString(item.Descriptor.SHA256):
		return fmt.Errorf("item %s has no SHA-256 digests", item.Name)
	case item.OVA.Href == "" || item.Descriptor.Href == "":
		return fmt.Errorf("item %s has no download links", item.Name)
	}
	return nil
}

// download is one download in flight.
type download struct {
	sha  string
	done chan struct{}
	rec  *Record
	err  error
}

// failure remembers a failed download, to report it and to wait before
// the next attempt.
type failure struct {
	sha      string
	problem  *Problem
	at       time.Time
	attempts int
}

// DownloadRequest names an item to download and where from.
type DownloadRequest struct {
	// LibraryUUID and ItemUUID identify the item locally.
	LibraryUUID, ItemUUID string
	// Subscription is the library's subscription.
	Subscription *imgregv1.ContentLibrarySubscription
	// Entry is the item in the publisher's index.
	Entry IndexItem
	// Item is the item object, to wake its controller when done.
	Item client.Object
}

// Download downloads and verifies an item's OVA (one download per item at
// a time; a second caller waits for the first) and stores it. A failed
// download is remembered (see DownloadProblem).
func (s *Service) Download(ctx context.Context, req DownloadRequest) (*Record, error) {
	d := s.startDownload(req)
	select {
	case <-d.done:
		return d.rec, d.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// StartDownload starts downloading an item in the background unless it is
// stored, being downloaded, or failed recently (it is retried with
// backoff). The item's controller is woken when it ends.
func (s *Service) StartDownload(req DownloadRequest) {
	s.dlMu.Lock()
	f := s.failures[req.ItemUUID]
	s.dlMu.Unlock()
	if f != nil && f.sha == req.Entry.OVA.SHA256 && s.now().Before(f.at.Add(backoff(f.attempts))) {
		return
	}
	s.startDownload(req)
}

// RetryAfter is how long until a failed download of the item may be tried
// again (0 when it has not failed).
func (s *Service) RetryAfter(itemUUID, sha string) time.Duration {
	s.dlMu.Lock()
	defer s.dlMu.Unlock()
	f := s.failures[itemUUID]
	if f == nil || f.sha != sha {
		return 0
	}
	if d := f.at.Add(backoff(f.attempts)).Sub(s.now()); d > 0 {
		return d
	}
	return time.Second
}

// DownloadProblem is why the last download of the item's content sha
// failed, or nil.
func (s *Service) DownloadProblem(itemUUID, sha string) *Problem {
	s.dlMu.Lock()
	defer s.dlMu.Unlock()
	if f := s.failures[itemUUID]; f != nil && f.sha == sha {
		return f.problem
	}
	return nil
}

// Downloading reports whether the item is being downloaded.
func (s *Service) Downloading(itemUUID string) bool {
	s.dlMu.Lock()
	defer s.dlMu.Unlock()
	_, ok := s.downloads[itemUUID]
	return ok
}

func backoff(attempts int) time.Duration {
	d := retryMin
	for i := 1; i < attempts && d < retryMax; i++ {
		d *= 2
	}
	return min(d, retryMax)
}

func (s *Service) startDownload(req DownloadRequest) *download {
	s.dlMu.Lock()
	defer s.dlMu.Unlock()
	if d := s.downloads[req.ItemUUID]; d != nil && d.sha == req.Entry.OVA.SHA256 {
		return d
	}
	d := &download{sha: req.Entry.OVA.SHA256, done: make(chan struct{})}
	s.downloads[req.ItemUUID] = d
	go s.runDownload(req, d)
	return d
}

func (s *Service) runDownload(req DownloadRequest, d *download) {
	d.rec, d.err = s.fetchItem(s.background(), req)
	s.dlMu.Lock()
	if s.downloads[req.ItemUUID] == d {
		delete(s.downloads, req.ItemUUID)
	}
	if d.err != nil && s.background().Err() == nil {
		f := s.failures[req.ItemUUID]
		if f == nil || f.sha != d.sha {
			f = &failure{sha: d.sha}
			s.failures[req.ItemUUID] = f
		}
		f.attempts++
		f.at = s.now()
		f.problem = ProblemOf(d.err)
	} else if d.err == nil {
		delete(s.failures, req.ItemUUID)
	}
	s.dlMu.Unlock()
	close(d.done)
	if req.Item != nil {
		s.Notify(req.Item)
	}
}

// fetchItem downloads the item's OVA into the store, checking the
// publisher's digests of the archive and of every file in it.
func (s *Service) fetchItem(ctx context.Context, req DownloadRequest) (*Record, error) {
	if rec, err := s.cfg.Store.Get(req.LibraryUUID, req.ItemUUID); err == nil && rec.OVA.SHA256 == req.Entry.OVA.SHA256 {
		return rec, nil
	}
	u, err := IndexURL(req.Subscription)
	if err != nil {
		return nil, err
	}
	ref, err := u.Parse(req.Entry.OVA.Href)
	if err != nil {
		return nil, fmt.Errorf("item %s: OVA href %q: %w", req.Entry.Name, req.Entry.OVA.Href, err)
	}
	c, err := httpClient(req.Subscription)
	if err != nil {
		return nil, err
	}
	defer c.CloseIdleConnections()
	resp, err := open(ctx, c, ref.String())
	if err != nil {
		return nil, fmt.Errorf("downloading %s: %w", req.Entry.Name, syncError(err))
	}
	defer resp.Body.Close()
	rec, _, err := s.cfg.Store.Put(ctx, req.LibraryUUID, req.ItemUUID, req.Entry.Name, resp.Body, Expect{
		SHA256: req.Entry.OVA.SHA256, Size: req.Entry.OVA.Size, ContentVersion: req.Entry.ContentVersion,
		Files: req.Entry.Files, MaxBytes: s.cfg.MaxBytes,
	})
	if err != nil {
		return nil, fmt.Errorf("downloading %s: %w", req.Entry.Name, err)
	}
	return rec, nil
}

// checkFiles compares the extracted files with those a publisher announced.
func checkFiles(got []ova.File, want []ova.File) error {
	if want == nil {
		return nil
	}
	byName := map[string]ova.File{}
	for _, f := range got {
		byName[f.Name] = f
	}
	for _, w := range want {
		g, ok := byName[w.Name]
		if !ok {
			return &ova.Error{Err: ova.ErrTampered, File: w.Name, Detail: "the publisher announced it but the archive lacks it"}
		}
		if g.SHA256 != w.SHA256 || g.Size != w.Size {
			return &ova.Error{Err: ova.ErrTampered, File: w.Name, Detail: fmt.Sprintf("SHA-256 %s (%d bytes), the publisher announced %s (%d bytes)", g.SHA256, g.Size, w.SHA256, w.Size)}
		}
		delete(byName, w.Name)
	}
	for name := range byName {
		return &ova.Error{Err: ova.ErrTampered, File: name, Detail: "is in the archive but the publisher did not announce it"}
	}
	return nil
}
