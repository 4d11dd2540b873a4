package library

import (
	"context"
	"crypto/x509"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	imgregv1 "github.com/kubevisor/kubevisor/api/imageregistry/v1alpha1"
)

// DefaultMaxUploadBytes bounds an uploaded or downloaded OVA when
// Config.MaxBytes is zero.
const DefaultMaxUploadBytes int64 = 64 << 30

// Config configures a Service.
type Config struct {
	// Client writes items and reads through the manager's cache.
	Client client.Client
	// APIReader reads the API directly; the HTTP handler uses it, so it
	// works before the manager's cache has started.
	APIReader client.Reader
	// Store holds the content.
	Store *Store
	// ClientCAs verify client certificates of uploads (the Supervisor's
	// CA); nil accepts bearer tokens only.
	ClientCAs *x509.CertPool
	// MaxBytes bounds an OVA; DefaultMaxUploadBytes when zero.
	MaxBytes int64
}

// Service is the content library service: it stores and verifies content,
// serves uploads and publication over HTTP (Handler), mirrors subscribed
// libraries' content (downloads, Ensure) and resolves images to their
// files for the VM Service (Image).
type Service struct {
	cfg Config

	// ctx bounds background downloads; set by Start.
	ctxMu sync.Mutex
	ctx   context.Context

	// clusterItemEvents and itemEvents wake the item controllers when a
	// download ends.
	clusterItemEvents chan event.GenericEvent
	itemEvents        chan event.GenericEvent

	dlMu      sync.Mutex
	downloads map[string]*download
	failures  map[string]*failure

	// importMu serializes imports of one item.
	importMu  sync.Mutex
	importing map[string]*sync.Mutex

	now func() time.Time
}

var _ manager.Runnable = &Service{}

// New returns a Service.
func New(cfg Config) *Service {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxUploadBytes
	}
	if cfg.APIReader == nil {
		cfg.APIReader = cfg.Client
	}
	return &Service{
		cfg:               cfg,
		clusterItemEvents: make(chan event.GenericEvent, 1024),
		itemEvents:        make(chan event.GenericEvent, 1024),
		downloads:         map[string]*download{},
		failures:          map[string]*failure{},
		importing:         map[string]*sync.Mutex{},
		now:               time.Now,
	}
}

// Store is the service's content store.
func (s *Service) Store() *Store { return s.cfg.Store }

// Start keeps the context that background downloads run under, until ctx
// ends. It is a manager.Runnable.
func (s *Service) Start(ctx context.Context) error {
	s.ctxMu.Lock()
	s.ctx = ctx
	s.ctxMu.Unlock()
	<-ctx.Done()
	return nil
}

// NeedLeaderElection is false: every Supervisor may serve Ensure.
func (s *Service) NeedLeaderElection() bool { return false }

func (s *Service) background() context.Context {
	s.ctxMu.Lock()
	defer s.ctxMu.Unlock()
	if s.ctx == nil {
		return context.Background()
	}
	return s.ctx
}

// ClusterItemEvents delivers ClusterContentLibraryItems whose content
// changed outside a reconcile (a download ended); ItemEvents the same for
// ContentLibraryItems. The item controllers watch them.
func (s *Service) ClusterItemEvents() <-chan event.GenericEvent { return s.clusterItemEvents }

// ItemEvents: see ClusterItemEvents.
func (s *Service) ItemEvents() <-chan event.GenericEvent { return s.itemEvents }

// Notify wakes the controller of item.
func (s *Service) Notify(item client.Object) {
	ch := s.itemEvents
	if _, ok := item.(*imgregv1.ClusterContentLibraryItem); ok {
		ch = s.clusterItemEvents
	}
	select {
	case ch <- event.GenericEvent{Object: item}:
	default:
		// The controller is behind; it will see the item on its next
		// pass anyway. Never block a download on it.
		go func() {
			select {
			case ch <- event.GenericEvent{Object: item}:
			case <-s.background().Done():
			}
		}()
	}
}
