package supervisor

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"reflect"
	goruntime "runtime"
	"sort"
	"strconv"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsclient "k8s.io/apiextensions-apiserver/pkg/client/clientset/clientset"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	ctrl "sigs.k8s.io/controller-runtime"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	ctrlwebhook "sigs.k8s.io/controller-runtime/pkg/webhook"

	"github.com/kubevisor/kubevisor/config/bootstrap"
	"github.com/kubevisor/kubevisor/config/crd"
	"github.com/kubevisor/kubevisor/internal/apiserver"
	"github.com/kubevisor/kubevisor/internal/apply"
	"github.com/kubevisor/kubevisor/internal/clusterapi"
	"github.com/kubevisor/kubevisor/internal/controller/contentlibrary"
	"github.com/kubevisor/kubevisor/internal/controller/vmclass"
	"github.com/kubevisor/kubevisor/internal/controllermanager"
	"github.com/kubevisor/kubevisor/internal/crds"
	"github.com/kubevisor/kubevisor/internal/datastore"
	"github.com/kubevisor/kubevisor/internal/library"
	"github.com/kubevisor/kubevisor/internal/provider/vsphere"
	"github.com/kubevisor/kubevisor/internal/scheme"
	"github.com/kubevisor/kubevisor/internal/webhook"
)

// DefaultWatchCache is whether the API server keeps its watch cache in
// front of a datastore of the given kind (as datastore.Kind names it).
//
// Not in front of the embedded SQLite database. kine serves it from inside
// this process and sends every watch its live events from one in-memory
// stream, read from the database once for all watchers; the watch cache
// holds a decoded copy of every object besides the informers' copies, most
// of it the 44 large CRDs: an idle Supervisor holds 35 to 40 MiB less
// without it. Lists, and the start or resumption of a watch, then read the
// database, which a Supervisor's clients seldom do: its controllers list
// once and then watch. Without the cache a watch gets no periodic
// bookmarks, so a client resuming a watch on a quiet resource after the
// datastore has been compacted past its last event lists it again.
//
// In front of etcd and PostgreSQL, which Supervisors share and which hold
// more objects: there the cache spares the datastore every list and fans
// each resource's events out to all watchers from one stream.
func DefaultWatchCache(kind string) bool {
	return kind != "sqlite"
}

// Options configure a Supervisor.
type Options struct {
	// DataDir holds all of the Supervisor's state.
	DataDir string
	// BindAddress and Port are where the API server listens.
	BindAddress net.IP
	Port        int
	// TLSSANs are extra names or addresses for the serving certificate.
	TLSSANs []string
	// Datastore selects the storage backend.
	Datastore datastore.Config
	// WatchCache keeps the API server's watch cache (see
	// apiserver.Config.WatchCache). The zero value turns it off whatever
	// the datastore: set it from DefaultWatchCache unless told otherwise,
	// as the server command does.
	WatchCache bool
	// WebhookPort is the loopback port of the webhook server.
	WebhookPort int
	// ServiceCIDR is the Supervisor's service network.
	ServiceCIDR string
	// LeaderElect must be set when several Supervisors share a datastore.
	LeaderElect bool
	// SSOPort is where the single-sign-on endpoint listens, on BindAddress.
	SSOPort int
	// SSOTokenTTL is how long an SSO token is valid.
	SSOTokenTTL time.Duration
	// SSOKeyRotation is how often a new SSO signing key is made.
	SSOKeyRotation time.Duration
	// VMProvider selects the VM Service's provider: "local" (VMs are
	// sandboxes on this host; needs root) or "simulated" (in-memory VMs,
	// for scale tests).
	VMProvider string
	// VSphere configures the vsphere provider.
	VSphere vsphere.Config
	// ImageSeedDir holds .ova files imported into the default content
	// library at start (default: images/ next to this binary).
	ImageSeedDir string
	// GuestAgent is the static guest agent the local provider puts in
	// every VM (default: kubevisor-guest next to this binary).
	GuestAgent string
	// OnReady is called once, when /readyz first turns ok.
	OnReady func(Info)
	// OnControllersStart is called once, just before the controllers
	// start: the API server serves and every CRD is in discovery.
	OnControllersStart func()
}

// Info tells a caller how to reach a running Supervisor.
type Info struct {
	// Server is the API server's URL.
	Server string
	// AdminKubeconfig is the administrator's kubeconfig file.
	AdminKubeconfig string
	// SSO is the single-sign-on endpoint's URL (`kubectl vsphere login
	// --server`).
	SSO string
}

// Run starts the Supervisor and blocks until ctx is cancelled or a part of
// it fails. It returns nil after a clean shutdown.
func Run(ctx context.Context, o Options) error {
	log := klog.FromContext(ctx)
	l := Layout{DataDir: o.DataDir}
	if err := os.MkdirAll(o.DataDir, 0o700); err != nil {
		return fmt.Errorf("creating data directory: %w", err)
	}

	ips, dnsNames := servingNames(o)
	ca, err := ensurePKI(l, ips, dnsNames)
	if err != nil {
		return err
	}
	server := "https://" + net.JoinHostPort(clientHost(o.BindAddress), strconv.Itoa(o.Port))
	for _, kc := range []struct{ path, user, cert string }{
		{l.AdminKubeconfig(), adminUser, "admin"},
		{l.ComponentKubeconfig("controller-manager"), controllerManagerUser, "controller-manager"},
		{l.ComponentKubeconfig("supervisor"), supervisorUser, "supervisor"},
	} {
		if err := writeKubeconfig(l, kc.path, server, kc.user, kc.cert); err != nil {
			return fmt.Errorf("writing %s: %w", kc.path, err)
		}
	}
	if err := ensureEncryptionConfig(l.EncryptionConfig()); err != nil {
		return fmt.Errorf("encryption configuration: %w", err)
	}
	if err := writeAuditPolicy(l.AuditPolicy()); err != nil {
		return fmt.Errorf("audit policy: %w", err)
	}
	if err := os.MkdirAll(l.path("audit"), 0o700); err != nil {
		return err
	}

	if err := clusterapi.EnableFeatures(); err != nil {
		return err
	}

	// The datastore outlives everything that uses it: it stops only after
	// the API server has shut down.
	dsCtx, stopDatastore := context.WithCancel(context.WithoutCancel(ctx))
	defer stopDatastore()
	ds := o.Datastore
	ds.DataDir = o.DataDir
	etcd, err := datastore.Start(dsCtx, ds)
	if err != nil {
		return err
	}

	restCfg, err := clientcmd.BuildConfigFromFlags("", l.ComponentKubeconfig("supervisor"))
	if err != nil {
		return err
	}
	restCfg.QPS, restCfg.Burst = 100, 200

	// The SSO issuer serves its discovery document and keys before the API
	// server starts, so the API server's JWT authenticator finds it on its
	// first try.
	ssoURL := "https://" + net.JoinHostPort(issuerHost(o.BindAddress), strconv.Itoa(o.SSOPort))
	// The content library's upload and publication handlers share the SSO
	// endpoint (vSphere serves both on one address); they answer 503 until
	// the library service exists.
	libraryHandler := &library.Deferred{}
	sso, err := startSSO(l, o, restCfg, ssoURL, server, ca.CertPEM, map[string]http.Handler{"/library/": libraryHandler})
	if err != nil {
		return err
	}

	webhookURL := "https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(o.WebhookPort))
	type preparedCRDs struct {
		crds []*apiextensionsv1.CustomResourceDefinition
		err  error
	}
	crdsPrepared := make(chan preparedCRDs, 1)
	go func() {
		c, err := prepareCRDs(webhookURL+webhook.ConvertPath, ca.CertPEM)
		crdsPrepared <- preparedCRDs{c, err}
	}()

	var crdsReady, webhooksReady, defaultsReady atomic.Bool
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return sso.Start(gctx) })

	// The API server stops after everything that talks to it, as the
	// datastore stops after the API server: a client told to stop in the
	// middle of its start must still find it. (kube-controller-manager
	// builds its controllers without looking at its context, and its
	// namespace controller exits the process with status 1 when its first
	// discovery finds no API server.)
	apiCtx, stopAPIServer := context.WithCancel(context.WithoutCancel(ctx))
	defer stopAPIServer()
	apiStopped := make(chan struct{})
	var apiErr error
	go func() {
		defer close(apiStopped)
		apiErr = apiserver.Run(apiCtx, apiserver.Config{
			BindAddress:                  o.BindAddress,
			Port:                         o.Port,
			AdvertiseAddress:             advertiseAddress(o.BindAddress),
			EtcdServers:                  etcd.Endpoints,
			EtcdCAFile:                   etcd.CAFile,
			EtcdCertFile:                 etcd.CertFile,
			EtcdKeyFile:                  etcd.KeyFile,
			ClientCAFile:                 l.CACert(),
			TLSCertFile:                  l.Cert("apiserver"),
			TLSKeyFile:                   l.Key("apiserver"),
			ServiceAccountKeyFile:        l.ServiceAccountPub(),
			ServiceAccountSigningKeyFile: l.ServiceAccountKey(),
			ServiceClusterIPRange:        o.ServiceCIDR,
			EncryptionConfigFile:         l.EncryptionConfig(),
			AuditPolicyFile:              l.AuditPolicy(),
			AuditLogPath:                 l.AuditLog(),
			AuthenticationConfigFile:     l.AuthenticationConfig(),
			WatchCache:                   o.WatchCache,
		},
			apiserver.Check{Name: "kubevisor-crds", Check: flagCheck(&crdsReady, "CRDs are not installed yet")},
			apiserver.Check{Name: "kubevisor-webhooks", Check: flagCheck(&webhooksReady, "webhook server is not serving yet")},
			apiserver.Check{Name: "kubevisor-defaults", Check: flagCheck(&defaultsReady, "the default VM classes do not exist yet")},
		)
	}()
	g.Go(func() error {
		select {
		case <-gctx.Done():
			return nil
		case <-apiStopped:
			if apiErr != nil {
				return fmt.Errorf("kube-apiserver: %w", apiErr)
			}
			return errors.New("kube-apiserver stopped")
		}
	})

	g.Go(func() error {
		// The CRDs come first: controllers resolve their kinds when they
		// are set up. They go in as soon as the API server serves CRDs,
		// while it still bootstraps its RBAC roles and priority classes
		// (about 1.5 s of a cold start on 2 cores).
		if err := waitCRDsServed(gctx, restCfg); err != nil {
			return err
		}
		log.Info("API server serves CRDs; installing kubevisor's")
		prepared := <-crdsPrepared
		if prepared.err != nil {
			return prepared.err
		}
		if err := installCRDs(gctx, restCfg, prepared.crds); err != nil {
			return err
		}
		if err := waitDiscovery(gctx, restCfg, prepared.crds); err != nil {
			return err
		}
		if err := waitServing(gctx, restCfg); err != nil {
			return err
		}
		log.Info("API server is serving; starting controllers")
		if o.OnControllersStart != nil {
			o.OnControllersStart()
		}

		vms, images, err := newVMProvider(gctx, o, l)
		if err != nil {
			return err
		}
		pool := x509.NewCertPool()
		pool.AddCert(ca.Cert)
		mgr, err := newManager(gctx, restCfg, o.WebhookPort, l, controllerOptions{
			SSOIssuer:                ssoIssuer(ssoURL, ca.CertPEM),
			AuthenticationConfigFile: l.AuthenticationConfig(),
			VolumesDir:               l.path("volumes"),
			VMs:                      vms,
			Images:                   images,
			Libraries: contentlibrary.Options{
				Root:      l.path("libraries"),
				PublicURL: ssoURL,
				ClientCAs: pool,
				SeedDir:   o.ImageSeedDir,
			},
			LibraryHandler: libraryHandler,
		})
		if err != nil {
			return err
		}
		g.Go(func() error {
			if err := mgr.Start(gctx); err != nil {
				return fmt.Errorf("controller manager: %w", err)
			}
			return nil
		})
		g.Go(func() error {
			// kube-controller-manager's user is not in system:masters: it
			// needs the bootstrap RBAC roles, and gives up when the API
			// server's /healthz (which waits for them) fails for 10 s.
			if err := pollPath(gctx, restCfg, "/readyz/poststarthook/rbac/bootstrap-roles"); err != nil {
				return err
			}
			err := controllermanager.Run(gctx, controllermanager.Config{
				Kubeconfig:                   l.ComponentKubeconfig("controller-manager"),
				ServiceAccountPrivateKeyFile: l.ServiceAccountKey(),
				RootCAFile:                   l.CACert(),
				ClusterSigningCertFile:       l.CACert(),
				ClusterSigningKeyFile:        l.CAKey(),
				ServiceClusterIPRange:        o.ServiceCIDR,
				LeaderElect:                  o.LeaderElect,
			})
			if err != nil && gctx.Err() == nil {
				return fmt.Errorf("kube-controller-manager: %w", err)
			}
			return nil
		})

		// Ready means usable: a namespace created right away may name the
		// default VM classes. They are created here, alongside the
		// bootstrap objects and while the controllers sync their caches (a
		// second on a cold start), rather than by a controller.
		defaultsCreated := make(chan error, 1)
		go func() { defaultsCreated <- (&vmclass.Defaults{Client: mgr.GetClient()}).Create(gctx) }()

		if err := applyBootstrap(gctx, mgr, webhookURL, ca.CertPEM, endpointsConfigMap(ssoURL)...); err != nil {
			return err
		}
		crdsReady.Store(true)

		if err := waitWebhookServing(gctx, o.WebhookPort, ca.Cert); err != nil {
			return err
		}
		webhooksReady.Store(true)

		if err := <-defaultsCreated; err != nil {
			return err
		}
		defaultsReady.Store(true)

		if err := waitReady(gctx, restCfg); err != nil {
			return err
		}
		log.Info("Supervisor is ready", "server", server, "kubeconfig", l.AdminKubeconfig())
		if o.OnReady != nil {
			o.OnReady(Info{Server: server, AdminKubeconfig: l.AdminKubeconfig(), SSO: ssoURL})
		}
		return nil
	})

	err = waitGroup(ctx, g, shutdownGrace)
	stopAPIServer()
	select {
	case <-apiStopped:
	case <-time.After(shutdownGrace):
		log.Info("The API server did not stop within the shutdown grace period; exiting without it", "grace", shutdownGrace)
	}
	stopDatastore()
	if ctx.Err() != nil {
		// Stopping was asked for. A component may still fail because of
		// it (a controller told to stop while its caches sync reports that
		// they did not): logged, but the stop is the clean one asked for.
		if err != nil && !errors.Is(err, context.Canceled) {
			log.Error(err, "A component reported an error while the Supervisor stopped")
		}
		return nil
	}
	return err
}

// shutdownGrace bounds how long the components may take to stop once the
// Supervisor is told to: SIGTERM must end the process in bounded time.
const shutdownGrace = 20 * time.Second

// waitGroup waits for g. Once ctx is done it waits at most grace more; a
// component still running then is named by a goroutine dump in the log,
// and the Supervisor exits without it: its state is in the datastore,
// which every component writes through, so nothing is lost.
func waitGroup(ctx context.Context, g *errgroup.Group, grace time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	select {
	case err := <-done:
		return err
	case <-time.After(grace):
		buf := make([]byte, 8<<20)
		buf = buf[:goruntime.Stack(buf, true)]
		klog.FromContext(ctx).Info("Components did not stop within the shutdown grace period; exiting without them", "grace", grace, "goroutines", string(buf))
		return nil
	}
}

func newManager(ctx context.Context, restCfg *rest.Config, webhookPort int, l Layout, co controllerOptions) (ctrl.Manager, error) {
	s, err := scheme.New()
	if err != nil {
		return nil, err
	}
	opts := ctrl.Options{
		Scheme:                 s,
		Logger:                 klog.FromContext(ctx),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		WebhookServer: ctrlwebhook.NewServer(ctrlwebhook.Options{
			Host:     "127.0.0.1",
			Port:     webhookPort,
			CertDir:  l.PKIDir(),
			CertName: "webhook.crt",
			KeyName:  "webhook.key",
		}),
	}
	clusterapi.ManagerOptions(s, &opts)
	mgr, err := ctrl.NewManager(restCfg, opts)
	if err != nil {
		return nil, fmt.Errorf("creating controller manager: %w", err)
	}
	if err := setupControllers(ctx, mgr, co); err != nil {
		return nil, err
	}
	return mgr, nil
}

// prepareCRDs decodes kubevisor's and Cluster API's CRD manifests and
// readies them for the API server: Cluster API's carry their contract
// labels, conversion through kubevisor's webhook, and their older versions
// without descriptions. Decoding the manifests (YAML, megabytes of it)
// costs about half a second of CPU, so it runs while the API server starts.
func prepareCRDs(convertURL string, caBundle []byte) ([]*apiextensionsv1.CustomResourceDefinition, error) {
	ours, err := crd.Kubevisor()
	if err != nil {
		return nil, err
	}
	capi, err := crd.ClusterAPI()
	if err != nil {
		return nil, err
	}
	oursParsed, err := crds.Parse(ours)
	if err != nil {
		return nil, err
	}
	capiParsed, err := crds.Parse(capi)
	if err != nil {
		return nil, err
	}
	for _, c := range capiParsed {
		// Cluster API's own kustomization labels its bootstrap and control
		// plane CRDs with the contract versions they implement; references
		// to them are resolved through these labels.
		if c.Spec.Group == "bootstrap.cluster.x-k8s.io" || c.Spec.Group == "controlplane.cluster.x-k8s.io" {
			if c.Labels == nil {
				c.Labels = map[string]string{}
			}
			c.Labels["cluster.x-k8s.io/v1beta1"] = "v1beta1"
			c.Labels["cluster.x-k8s.io/v1beta2"] = "v1beta2"
		}
		crds.DropOlderDescriptions(c)
		if len(c.Spec.Versions) > 1 {
			c.Spec.Conversion = webhook.ConversionFor(convertURL, caBundle)
		} else {
			c.Spec.Conversion = &apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.NoneConverter}
		}
	}
	return append(oursParsed, capiParsed...), nil
}

// installCRDs writes the prepared CRDs that changed since the last start.
// They travel as protobuf, which the API server decodes several times
// faster than JSON.
func installCRDs(ctx context.Context, restCfg *rest.Config, prepared []*apiextensionsv1.CustomResourceDefinition) error {
	cfg := rest.CopyConfig(restCfg)
	cfg.ContentType = runtime.ContentTypeProtobuf
	cfg.AcceptContentTypes = runtime.ContentTypeProtobuf + "," + runtime.ContentTypeJSON
	client, err := apiextensionsclient.NewForConfig(cfg)
	if err != nil {
		return err
	}
	return crds.Install(ctx, client, prepared)
}

// applyBootstrap applies the built-in objects and the admission webhook
// configurations.
func applyBootstrap(ctx context.Context, mgr ctrl.Manager, webhookURL string, caBundle []byte, extra ...*unstructured.Unstructured) error {
	objs, err := bootstrap.Objects()
	if err != nil {
		return err
	}
	objs = append(objs, extra...)
	capiHooks, err := clusterapi.WebhookConfigurations(webhookURL, caBundle)
	if err != nil {
		return err
	}
	objs = append(objs, capiHooks...)
	validating, mutating := webhook.AdmissionWebhooks(webhookURL, caBundle)
	for _, obj := range []runtime.Object{validating, mutating} {
		if reflect.ValueOf(obj).IsNil() {
			continue
		}
		u, err := toUnstructured(mgr.GetScheme(), obj)
		if err != nil {
			return err
		}
		objs = append(objs, u)
	}
	client, err := dynamic.NewForConfig(mgr.GetConfig())
	if err != nil {
		return err
	}
	// The manager's mapper discovers kinds lazily, including CRDs that
	// were installed a moment ago.
	return apply.Objects(ctx, client, mgr.GetRESTMapper(), objs)
}

func toUnstructured(s *runtime.Scheme, obj runtime.Object) (*unstructured.Unstructured, error) {
	gvks, _, err := s.ObjectKinds(obj)
	if err != nil {
		return nil, err
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetGroupVersionKind(gvks[0])
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	unstructured.RemoveNestedField(u.Object, "status")
	return u, nil
}

func flagCheck(flag *atomic.Bool, msg string) func(*http.Request) error {
	return func(*http.Request) error {
		if !flag.Load() {
			return errors.New(msg)
		}
		return nil
	}
}

// waitServing waits until the API server answers authenticated requests;
// its own readiness still excludes kubevisor's checks at this point. It does not wait for the
// bootstrap RBAC roles: kubevisor's controllers are in system:masters and
// need none of them, and the API server starts creating them only a second
// after it serves (its hook polls once a second, first after one), then
// takes seconds for about 150 objects on 2 cores. The controllers start
// meanwhile; /readyz, and so the Supervisor's readiness, still waits for
// the roles.
func waitServing(ctx context.Context, cfg *rest.Config) error {
	return pollPath(ctx, cfg, "/readyz?exclude=kubevisor-crds&exclude=kubevisor-webhooks&exclude=kubevisor-defaults&exclude=poststarthook/rbac/bootstrap-roles")
}

// waitDiscovery waits until the API server's discovery lists every served
// version of every one of crds. A CRD is established before discovery
// lists it (the aggregator registers a new group a moment later), and the
// controllers look their kinds up through discovery when they are set up.
// Discovery is fed by the informer the API server's CRD handler serves
// from, so a resource listed there is served.
func waitDiscovery(ctx context.Context, cfg *rest.Config, crds []*apiextensionsv1.CustomResourceDefinition) error {
	client, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, c := range crds {
		for _, v := range c.Spec.Versions {
			if v.Served {
				want[c.Spec.Group+"/"+v.Name+"/"+c.Spec.Names.Plural] = true
			}
		}
	}
	var missing []string
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(context.Context) (bool, error) {
		// One request: the API server serves aggregated discovery.
		_, lists, err := client.ServerGroupsAndResources()
		if err != nil && len(lists) == 0 {
			return false, nil
		}
		have := map[string]bool{}
		for _, l := range lists {
			for _, r := range l.APIResources {
				have[l.GroupVersion+"/"+r.Name] = true
			}
		}
		missing = missing[:0]
		for key := range want {
			if !have[key] {
				missing = append(missing, key)
			}
		}
		return len(missing) == 0, nil
	})
	if err != nil {
		sort.Strings(missing)
		return fmt.Errorf("waiting for discovery to list %v: %w", missing, err)
	}
	return nil
}

// waitCRDsServed waits until the API server's CRD machinery runs: CRDs
// can be created and are established.
func waitCRDsServed(ctx context.Context, cfg *rest.Config) error {
	for _, check := range []string{"start-apiextensions-controllers", "crd-informer-synced"} {
		if err := pollPath(ctx, cfg, "/readyz/poststarthook/"+check); err != nil {
			return err
		}
	}
	return nil
}

func waitReady(ctx context.Context, cfg *rest.Config) error {
	return pollPath(ctx, cfg, "/readyz")
}

func pollPath(ctx context.Context, cfg *rest.Config, path string) error {
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	return wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, cfg.Host+path, nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
}

func waitWebhookServing(ctx context.Context, port int, ca *x509.Certificate) error {
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	return wait.PollUntilContextCancel(ctx, 50*time.Millisecond, true, func(context.Context) (bool, error) {
		conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
		if err != nil {
			return false, nil
		}
		conn.Close()
		return true, nil
	})
}
