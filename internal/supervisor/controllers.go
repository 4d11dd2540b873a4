package supervisor

import (
	"context"
	"path/filepath"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/kubevisor/kubevisor/internal/clusterapi"
	"github.com/kubevisor/kubevisor/internal/controller/clusteraddons"
	"github.com/kubevisor/kubevisor/internal/controller/clusterclass"
	"github.com/kubevisor/kubevisor/internal/controller/contentlibrary"
	"github.com/kubevisor/kubevisor/internal/controller/infrastructure"
	"github.com/kubevisor/kubevisor/internal/controller/oidcprovider"
	"github.com/kubevisor/kubevisor/internal/controller/storagepolicy"
	"github.com/kubevisor/kubevisor/internal/controller/supervisornamespace"
	"github.com/kubevisor/kubevisor/internal/controller/tanzukubernetescluster"
	"github.com/kubevisor/kubevisor/internal/controller/tanzukubernetesrelease"
	"github.com/kubevisor/kubevisor/internal/controller/virtualmachine"
	"github.com/kubevisor/kubevisor/internal/controller/virtualmachinepublishrequest"
	"github.com/kubevisor/kubevisor/internal/controller/virtualmachineservice"
	"github.com/kubevisor/kubevisor/internal/controller/volume"
	"github.com/kubevisor/kubevisor/internal/library"
	"github.com/kubevisor/kubevisor/internal/provider"
	"github.com/kubevisor/kubevisor/internal/quota"
	"github.com/kubevisor/kubevisor/internal/sso/authnconfig"
	"github.com/kubevisor/kubevisor/internal/tkg"
	"github.com/kubevisor/kubevisor/internal/webhook"
)

// controllerOptions are what controllers need from the Supervisor's
// configuration.
type controllerOptions struct {
	// SSOIssuer is the Supervisor's own token issuer.
	SSOIssuer authnconfig.Issuer
	// AuthenticationConfigFile is the API server's authentication
	// configuration.
	AuthenticationConfigFile string
	// VolumesDir holds the backing stores of persistent volumes.
	VolumesDir string
	// VMs is the VM Service's provider.
	VMs provider.VMs
	// Images locates content library items on local disk; nil when the
	// provider does not need local files. The content library service
	// does it when the provider has no locator of its own.
	Images virtualmachine.ImageLocator
	// Libraries configures the content library service.
	Libraries contentlibrary.Options
	// LibraryHandler serves the library's HTTP endpoints once it exists.
	LibraryHandler *library.Deferred
}

// setupControllers registers kubevisor's controllers and webhooks with mgr.
func setupControllers(ctx context.Context, mgr ctrl.Manager, o controllerOptions) error {
	if err := clusterapi.Setup(ctx, mgr); err != nil {
		return err
	}
	if err := infrastructure.SetupWithManager(mgr, infrastructure.Options{}); err != nil {
		return err
	}
	if err := (&clusteraddons.Reconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&oidcprovider.Reconciler{Client: mgr.GetClient(), SSO: o.SSOIssuer, File: o.AuthenticationConfigFile}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&storagepolicy.Reconciler{Client: mgr.GetClient(), Scheme: mgr.GetScheme()}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&supervisornamespace.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader()}).SetupWithManager(mgr); err != nil {
		return err
	}
	webhook.SetupSupervisorNamespaceAdmission(mgr)
	checker := quota.NewChecker(mgr.GetAPIReader())
	webhook.SetupVirtualMachineAdmission(mgr, checker)
	if err := (&clusterclass.Reconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return err
	}
	resolver := &tkg.Resolver{Reader: mgr.GetAPIReader()}
	validator := &tkg.Validator{Reader: mgr.GetAPIReader(), Quota: checker}
	webhook.SetupClusterAdmission(mgr, resolver, validator)
	webhook.SetupTanzuKubernetesClusterAdmission(mgr, validator.ValidateCluster)
	if err := (&tanzukubernetescluster.Reconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&volume.ClaimReconciler{Client: mgr.GetClient(), Root: o.VolumesDir}).SetupWithManager(mgr); err != nil {
		return err
	}
	libs, err := contentlibrary.SetupWithManager(mgr, o.Libraries)
	if err != nil {
		return err
	}
	o.LibraryHandler.Set(libs.Handler())
	images := o.Images
	if images == nil && o.VMs.Name() == "local" {
		images = libs
	}
	if err := (&virtualmachine.Reconciler{Client: mgr.GetClient(), Provider: o.VMs, Images: images}).SetupWithManager(mgr); err != nil {
		return err
	}
	// The vsphere provider publishes into its own vCenter library and
	// returns an item ID, not a payload the Supervisor's libraries could
	// import: its requests are NotSupported for now.
	publisher, _ := o.VMs.(provider.Publisher)
	if o.VMs.Name() == "vsphere" {
		publisher = nil
	}
	if err := (&virtualmachinepublishrequest.Reconciler{
		Client:       mgr.GetClient(),
		Publisher:    publisher,
		ProviderName: o.VMs.Name(),
		Library:      libs,
		// <data-dir>/publish, next to <data-dir>/libraries, so that the
		// OVA is made on the disk that will store it.
		WorkDir: filepath.Join(filepath.Dir(o.Libraries.Root), "publish"),
	}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&tanzukubernetesrelease.Reconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return err
	}
	if err := (&tanzukubernetesrelease.UpdatesReconciler{Client: mgr.GetClient()}).SetupWithManager(mgr); err != nil {
		return err
	}
	if _, err := virtualmachineservice.SetupWithManager(mgr, virtualmachineservice.Options{}); err != nil {
		return err
	}
	if err := mgr.Add(&virtualmachine.GarbageCollector{Reader: mgr.GetAPIReader(), Provider: o.VMs}); err != nil {
		return err
	}
	return nil
}
