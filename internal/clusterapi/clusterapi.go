package clusterapi

import (
	"context"
	"fmt"
	"time"

	"go.etcd.io/etcd/client/pkg/v3/logutil"
	"go.uber.org/zap/zapcore"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/sets"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlcache "sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"

	clusterv1 "sigs.k8s.io/cluster-api/api/core/v1beta2"
	"sigs.k8s.io/cluster-api/bootstrap/kubeadm/reconcilers/kubeadmconfig"
	bootstrapadmission "sigs.k8s.io/cluster-api/bootstrap/kubeadm/webhooks/admission"
	"sigs.k8s.io/cluster-api/controllers/clustercache"
	"sigs.k8s.io/cluster-api/controlplane/kubeadm/reconcilers/kubeadmcontrolplane"
	controlplaneadmission "sigs.k8s.io/cluster-api/controlplane/kubeadm/webhooks/admission"
	controlplaneconversion "sigs.k8s.io/cluster-api/controlplane/kubeadm/webhooks/conversion"
	"sigs.k8s.io/cluster-api/core/reconcilers/cluster"
	"sigs.k8s.io/cluster-api/core/reconcilers/clusterclass"
	"sigs.k8s.io/cluster-api/core/reconcilers/clusterresourceset"
	"sigs.k8s.io/cluster-api/core/reconcilers/clusterresourcesetbinding"
	"sigs.k8s.io/cluster-api/core/reconcilers/machine"
	"sigs.k8s.io/cluster-api/core/reconcilers/machinedeployment"
	"sigs.k8s.io/cluster-api/core/reconcilers/machinehealthcheck"
	"sigs.k8s.io/cluster-api/core/reconcilers/machineset"
	topologycluster "sigs.k8s.io/cluster-api/core/reconcilers/topology/cluster"
	topologymachinedeployment "sigs.k8s.io/cluster-api/core/reconcilers/topology/machinedeployment"
	topologymachineset "sigs.k8s.io/cluster-api/core/reconcilers/topology/machineset"
	"sigs.k8s.io/cluster-api/core/setup"
	coreadmission "sigs.k8s.io/cluster-api/core/webhooks/admission"
	coreconversion "sigs.k8s.io/cluster-api/core/webhooks/conversion"
	"sigs.k8s.io/cluster-api/feature"
	capicontrollerutil "sigs.k8s.io/cluster-api/util/controller"
	"sigs.k8s.io/cluster-api/util/index"
	"sigs.k8s.io/cluster-api/util/secret"
)

// ControllerName is how Cluster API's clients identify themselves.
const ControllerName = "kubevisor-cluster-api"

// EnableFeatures sets Cluster API's feature gates for the Supervisor:
//   - ClusterTopology on: the TKG layer builds on ClusterClasses;
//   - MachinePool off: nothing in vSphere's API uses them;
//   - ReconcilerRateLimiting off: this beta gate holds every object to one
//     reconcile per second, which protects an API server shared by
//     thousands of clusters but turns each hand-off between Cluster API's
//     controllers into a wait of up to a second; a cluster's creation
//     passes through some twenty of them. Each controller still backs off
//     exponentially on errors, as controller-runtime does.
//
// Cluster API keeps its gates in a package variable; this is the only
// place kubevisor sets them.
func EnableFeatures() error {
	return feature.MutableGates.Set("ClusterTopology=true,MachinePool=false,ReconcilerRateLimiting=false")
}

// ManagerOptions adjusts manager options the way Cluster API's binaries do,
// for all of them in one manager: only Secrets that carry a cluster name
// label are cached, with their data only when they are a cluster's
// certificates or kubeconfig (what the KubeadmControlPlane and bootstrap
// controllers read through the caching client); the manager's own client
// reads Secrets and ConfigMaps from the API server.
func ManagerOptions(s *runtime.Scheme, o *ctrl.Options) {
	hasClusterName, _ := labels.NewRequirement(clusterv1.ClusterNameLabel, selection.Exists, nil)
	sync := 10 * time.Minute
	o.Cache = ctrlcache.Options{
		SyncPeriod: &sync,
		// No default transform that strips managedFields: the
		// KubeadmControlPlane controller reads the Machines' managedFields
		// (to work around an API server issue) and would patch forever.
		ByObject: map[client.Object]ctrlcache.ByObject{
			&corev1.Secret{}: {
				Label: labels.NewSelector().Add(*hasClusterName),
				Transform: func(in any) (any, error) {
					if sec, ok := in.(*corev1.Secret); ok {
						sec.SetManagedFields(nil)
						if !secret.HasPurposeSuffix(sec.Name) {
							sec.Data = nil
						}
					}
					return in, nil
				},
			},
		},
		NewInformer: capicontrollerutil.NewInformerFunc(s, ControllerName),
	}
	o.Client = setup.ManagerClientOptions()
}

// ConnectionRetryInterval is how soon the cluster cache tries again to
// connect to a workload cluster it could not reach. Cluster API waits 30 s,
// sized for clusters whose API servers are across a WAN; a Supervisor's
// guest clusters are a local hop away, and every Machine after the first
// control-plane node waits for this connection (the control plane counts as
// initialized only once the cache reaches it), so 30 s of it would be the
// largest single wait in a cluster's creation. A failed attempt costs one
// TCP dial to a load-balancer address on this host.
const ConnectionRetryInterval = 2 * time.Second

// connectionRetrier is the cluster cache's setter of its retry interval,
// which Cluster API offers on its implementation, not its interface.
type connectionRetrier interface {
	SetConnectionCreationRetryInterval(time.Duration)
}

// Setup registers Cluster API's controllers and webhooks with mgr.
func Setup(ctx context.Context, mgr ctrl.Manager) error {
	if err := index.AddDefaultIndexes(ctx, mgr); err != nil {
		return fmt.Errorf("cluster API indexes: %w", err)
	}
	secrets, err := setup.CreateSecretCachingClient(mgr)
	if err != nil {
		return err
	}
	clusterCache, err := clustercache.SetupWithManager(ctx, mgr, clustercache.Options{
		SecretClient: secrets,
		Cache:        setup.ClusterCacheCacheOptions(),
		Client:       setup.ClusterCacheClientOptions(ControllerName, 20, 30),
	}, concurrency(10))
	if err != nil {
		return fmt.Errorf("cluster cache: %w", err)
	}
	if r, ok := clusterCache.(connectionRetrier); ok {
		r.SetConnectionCreationRetryInterval(ConnectionRetryInterval)
	}

	// Converting a v1beta2 reference back to v1beta1 needs the apiVersion
	// of the referenced kind, which Cluster API reads from CRD contract
	// labels; it only offers a package-level setter for that.
	getter := func(ctx context.Context, gk schema.GroupKind) (string, error) {
		return apiVersionForContract(ctx, mgr, gk)
	}
	coreconversion.SetAPIVersionGetter(getter)
	controlplaneconversion.SetAPIVersionGetter(getter)

	if err := setupCore(ctx, mgr, clusterCache); err != nil {
		return err
	}
	if err := setupKubeadm(ctx, mgr, clusterCache, secrets); err != nil {
		return err
	}
	return setupWebhooks(mgr, clusterCache)
}

func concurrency(n int) controller.Options { return controller.Options{MaxConcurrentReconciles: n} }

func setupCore(ctx context.Context, mgr ctrl.Manager, cc clustercache.ClusterCache) error {
	// The ClusterResourceSet controller watches Secrets without the cluster
	// name label, as metadata only, through a cache of its own.
	partialSecrets, err := ctrlcache.New(mgr.GetConfig(), ctrlcache.Options{
		Scheme:           mgr.GetScheme(),
		Mapper:           mgr.GetRESTMapper(),
		HTTPClient:       mgr.GetHTTPClient(),
		DefaultTransform: ctrlcache.TransformStripManagedFields(),
	})
	if err != nil {
		return err
	}
	if err := mgr.Add(partialSecrets); err != nil {
		return err
	}
	steps := []struct {
		name  string
		setup func() error
	}{
		{"ClusterClass", func() error {
			return (&clusterclass.Reconciler{Client: mgr.GetClient()}).SetupWithManager(ctx, mgr, concurrency(5))
		}},
		{"ClusterTopology", func() error {
			return (&topologycluster.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), ClusterCache: cc}).SetupWithManager(ctx, mgr, concurrency(5))
		}},
		{"MachineDeploymentTopology", func() error {
			return (&topologymachinedeployment.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader()}).SetupWithManager(ctx, mgr, concurrency(5))
		}},
		{"MachineSetTopology", func() error {
			return (&topologymachineset.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader()}).SetupWithManager(ctx, mgr, concurrency(5))
		}},
		{"Cluster", func() error {
			return (&cluster.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), ClusterCache: cc, RemoteConnectionGracePeriod: 50 * time.Second}).SetupWithManager(ctx, mgr, concurrency(5))
		}},
		{"Machine", func() error {
			return (&machine.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), ClusterCache: cc, RemoteConditionsGracePeriod: 5 * time.Minute}).SetupWithManager(ctx, mgr, concurrency(10))
		}},
		{"MachineSet", func() error {
			checks := sets.New(clusterv1.MachineSetPreflightCheckAll)
			return (&machineset.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), ClusterCache: cc, PreflightChecks: checks}).SetupWithManager(ctx, mgr, concurrency(10))
		}},
		{"MachineDeployment", func() error {
			return (&machinedeployment.Reconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader()}).SetupWithManager(ctx, mgr, concurrency(10))
		}},
		{"ClusterResourceSet", func() error {
			return (&clusterresourceset.Reconciler{Client: mgr.GetClient(), ClusterCache: cc}).SetupWithManager(ctx, mgr, concurrency(5), partialSecrets)
		}},
		{"ClusterResourceSetBinding", func() error {
			return (&clusterresourcesetbinding.Reconciler{Client: mgr.GetClient()}).SetupWithManager(ctx, mgr, concurrency(5))
		}},
		{"MachineHealthCheck", func() error {
			return (&machinehealthcheck.Reconciler{Client: mgr.GetClient(), ClusterCache: cc}).SetupWithManager(ctx, mgr, concurrency(5))
		}},
	}
	for _, s := range steps {
		if err := s.setup(); err != nil {
			return fmt.Errorf("cluster API %s controller: %w", s.name, err)
		}
	}
	return nil
}

func setupKubeadm(ctx context.Context, mgr ctrl.Manager, cc clustercache.ClusterCache, secrets client.Client) error {
	etcdLogger, err := logutil.CreateDefaultZapLogger(zapcore.WarnLevel)
	if err != nil {
		return err
	}
	if err := (&kubeadmcontrolplane.Reconciler{
		Client:                      mgr.GetClient(),
		APIReader:                   mgr.GetAPIReader(),
		SecretCachingClient:         secrets,
		ClusterCache:                cc,
		EtcdDialTimeout:             10 * time.Second,
		EtcdCallTimeout:             15 * time.Second,
		EtcdLogger:                  etcdLogger,
		RemoteConditionsGracePeriod: 5 * time.Minute,
	}).SetupWithManager(ctx, mgr, controller.Options{MaxConcurrentReconciles: 5, ReconciliationTimeout: 3 * time.Minute}); err != nil {
		return fmt.Errorf("KubeadmControlPlane controller: %w", err)
	}
	if err := (&kubeadmconfig.Reconciler{
		Client:              mgr.GetClient(),
		SecretCachingClient: secrets,
		APIReader:           mgr.GetAPIReader(),
		ClusterCache:        cc,
		TokenTTL:            15 * time.Minute,
	}).SetupWithManager(ctx, mgr, concurrency(10)); err != nil {
		return fmt.Errorf("KubeadmConfig controller: %w", err)
	}
	return nil
}

// setupWebhooks registers every Cluster API admission webhook; each also
// registers its kind's conversion.
func setupWebhooks(mgr ctrl.Manager, cc clustercache.ClusterCache) error {
	hooks := []interface{ SetupWebhookWithManager(ctrl.Manager) error }{
		&coreadmission.ClusterClass{Client: mgr.GetClient()},
		&coreadmission.Cluster{Client: mgr.GetClient(), ClusterCacheReader: cc},
		&coreadmission.Machine{},
		&coreadmission.MachineSet{},
		&coreadmission.MachineDeployment{},
		&coreadmission.MachineDrainRule{},
		&coreadmission.MachinePool{},
		&coreadmission.ClusterResourceSet{},
		&coreadmission.ClusterResourceSetBinding{},
		&coreadmission.MachineHealthCheck{},
		&coreadmission.ExtensionConfig{},
		&coreadmission.IPAddress{Client: mgr.GetAPIReader()},
		&coreadmission.IPAddressClaim{},
		&controlplaneadmission.KubeadmControlPlane{},
		&controlplaneadmission.ScaleValidator{Client: mgr.GetClient()},
		&controlplaneadmission.KubeadmControlPlaneTemplate{},
		&bootstrapadmission.KubeadmConfig{},
		&bootstrapadmission.KubeadmConfigTemplate{},
	}
	for _, h := range hooks {
		if err := h.SetupWebhookWithManager(mgr); err != nil {
			return fmt.Errorf("cluster API webhook %T: %w", h, err)
		}
	}
	return nil
}
