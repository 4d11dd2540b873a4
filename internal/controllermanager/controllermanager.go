package controllermanager

import (
	"context"
	"fmt"

	"github.com/spf13/pflag"
	"k8s.io/client-go/rest"
	"k8s.io/kubernetes/cmd/kube-controller-manager/app"
	"k8s.io/kubernetes/cmd/kube-controller-manager/app/options"
)

// Controllers are the loops the Supervisor runs. Node, pod and workload
// loops are absent: workloads run in guest clusters, not here.
var Controllers = []string{
	"namespace-controller",
	"garbage-collector-controller",
	"serviceaccount-controller",
	"serviceaccount-token-controller",
	"legacy-serviceaccount-token-cleaner-controller",
	"root-ca-certificate-publisher-controller",
	"resourcequota-controller",
	"endpoints-controller",
	"endpointslice-controller",
	"endpointslice-mirroring-controller",
	"service-cidr-controller",
	"clusterrole-aggregation-controller",
	"persistentvolume-binder-controller",
	"persistentvolume-expander-controller",
	"persistentvolumeclaim-protection-controller",
	"persistentvolume-protection-controller",
	"certificatesigningrequest-signing-controller",
	"certificatesigningrequest-approving-controller",
	"certificatesigningrequest-cleaner-controller",
	"ttl-after-finished-controller",
	"storageversion-garbage-collector-controller",
	"validatingadmissionpolicy-status-controller",
}

// Config is what the controller manager needs. Paths are absolute.
type Config struct {
	// Kubeconfig authenticates the controller manager to the API server.
	Kubeconfig string
	// ServiceAccountPrivateKeyFile signs service-account tokens;
	// RootCAFile is published in every namespace as kube-root-ca.crt.
	ServiceAccountPrivateKeyFile, RootCAFile string
	// ClusterSigningCertFile and ClusterSigningKeyFile sign approved
	// CertificateSigningRequests.
	ClusterSigningCertFile, ClusterSigningKeyFile string
	// ServiceClusterIPRange is the Supervisor's service network.
	ServiceClusterIPRange string
	// LeaderElect is needed when several Supervisors share a datastore.
	LeaderElect bool
}

// Args renders cfg as kube-controller-manager flags.
func (cfg Config) Args() []string {
	controllers := "--controllers="
	for i, c := range Controllers {
		if i > 0 {
			controllers += ","
		}
		controllers += c
	}
	return []string{
		"--kubeconfig=" + cfg.Kubeconfig,
		"--secure-port=0",
		"--profiling=false",
		controllers,
		"--use-service-account-credentials=true",
		"--service-account-private-key-file=" + cfg.ServiceAccountPrivateKeyFile,
		"--root-ca-file=" + cfg.RootCAFile,
		"--cluster-signing-cert-file=" + cfg.ClusterSigningCertFile,
		"--cluster-signing-key-file=" + cfg.ClusterSigningKeyFile,
		"--service-cluster-ip-range=" + cfg.ServiceClusterIPRange,
		fmt.Sprintf("--leader-elect=%t", cfg.LeaderElect),
	}
}

// Run runs the controller loops until ctx is cancelled.
func Run(ctx context.Context, cfg Config) error {
	s, err := options.NewKubeControllerManagerOptions()
	if err != nil {
		return fmt.Errorf("kube-controller-manager options: %w", err)
	}
	fs := pflag.NewFlagSet("kube-controller-manager", pflag.ContinueOnError)
	fss := s.Flags(app.KnownControllers(), app.ControllersDisabledByDefault(), app.ControllerAliases())
	s.ParsedFlags = &fss
	for _, f := range fss.FlagSets {
		fs.AddFlagSet(f)
	}
	if err := fs.Parse(cfg.Args()); err != nil {
		return fmt.Errorf("kube-controller-manager flags: %w", err)
	}
	if err := s.ComponentGlobalsRegistry.Set(); err != nil {
		return fmt.Errorf("kube-controller-manager feature gates: %w", err)
	}
	rest.SetDefaultWarningHandler(rest.NoWarnings{})
	c, err := s.Config(ctx, app.KnownControllers(), app.ControllersDisabledByDefault(), app.ControllerAliases())
	if err != nil {
		return fmt.Errorf("configuring kube-controller-manager: %w", err)
	}
	return app.Run(ctx, c.Complete())
}
