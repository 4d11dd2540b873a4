package contentlibrary

import (
	"crypto/x509"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/kubevisor/kubevisor/internal/library"
)

// Options configure the content library service and its controllers.
type Options struct {
	// Root is the library store's directory, <data-dir>/libraries.
	Root string
	// PublicURL is the Supervisor's public HTTPS endpoint
	// ("https://host:port"), which published libraries report in
	// status.publishInfo.URL; when empty it is read from the ConfigMap
	// kube-public/kubevisor-endpoints.
	PublicURL string
	// ClientCAs verify the client certificates of uploads (the
	// Supervisor's CA); nil accepts bearer tokens only.
	ClientCAs *x509.CertPool
	// SeedDir holds .ova files imported into the default library
	// "kubevisor-default" at start; with "" the library is only created.
	SeedDir string
	// MaxBytes bounds an OVA; library.DefaultMaxUploadBytes when zero.
	MaxBytes int64
}

// SetupWithManager creates the content library service and registers with
// mgr: the library and item controllers (cluster-wide and namespaced), the
// service itself (background downloads) and the default library's seeding.
// The returned service's Handler serves uploads and publication; its Image
// and Ensure resolve images for the VM Service.
func SetupWithManager(mgr ctrl.Manager, o Options) (*library.Service, error) {
	store, err := library.NewStore(o.Root)
	if err != nil {
		return nil, err
	}
	svc := library.New(library.Config{
		Client:    mgr.GetClient(),
		APIReader: mgr.GetAPIReader(),
		Store:     store,
		ClientCAs: o.ClientCAs,
		MaxBytes:  o.MaxBytes,
	})
	if err := mgr.Add(svc); err != nil {
		return nil, err
	}
	for _, cluster := range []bool{true, false} {
		lr := &LibraryReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Service: svc, Cluster: cluster, PublicURL: o.PublicURL}
		if err := lr.SetupWithManager(mgr); err != nil {
			return nil, fmt.Errorf("library controller: %w", err)
		}
		ir := &ItemReconciler{Client: mgr.GetClient(), Service: svc, Cluster: cluster}
		if err := ir.SetupWithManager(mgr); err != nil {
			return nil, fmt.Errorf("library item controller: %w", err)
		}
	}
	if err := mgr.Add(&library.DefaultLibrary{Service: svc, Dir: o.SeedDir}); err != nil {
		return nil, err
	}
	return svc, nil
}
