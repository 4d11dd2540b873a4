package apiserver

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/apiserver/pkg/server/healthz"
	"k8s.io/client-go/rest"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
	"k8s.io/kubernetes/cmd/kube-apiserver/app/options"
)

// Config is what the embedded API server needs. Paths are absolute.
type Config struct {
	// BindAddress and Port are where the secure port listens.
	BindAddress net.IP
	Port        int
	// AdvertiseAddress is the address other members of the control plane
	// reach this one on; nil when the bind address is loopback only.
	AdvertiseAddress net.IP

	// EtcdServers and the etcd TLS files locate the datastore.
	EtcdServers                           []string
	EtcdCAFile, EtcdCertFile, EtcdKeyFile string

	// ClientCAFile verifies client certificates; TLSCertFile and TLSKeyFile
	// are the serving pair.
	ClientCAFile, TLSCertFile, TLSKeyFile string
	// ServiceAccountKeyFile verifies and ServiceAccountSigningKeyFile signs
	// service-account tokens.
	ServiceAccountKeyFile, ServiceAccountSigningKeyFile string
	// ServiceClusterIPRange is the Supervisor's service network.
	ServiceClusterIPRange string

	// EncryptionConfigFile encrypts Secrets at rest.
	EncryptionConfigFile string
	// AuditPolicyFile and AuditLogPath configure the audit log.
	AuditPolicyFile, AuditLogPath string
	// AuthenticationConfigFile, if set, is a structured
	// AuthenticationConfiguration (JWT issuers); the API server reloads it
	// when it changes.
	AuthenticationConfigFile string
	// WatchCache keeps kube-apiserver's watch cache: a decoded copy of
	// every object of every resource, from which lists and watches are
	// served. Without it they are served by the datastore.
	WatchCache bool
}

// Args renders cfg as kube-apiserver flags.
func (cfg Config) Args() []string {
	args := []string{
		"--bind-address=" + cfg.BindAddress.String(),
		"--secure-port=" + strconv.Itoa(cfg.Port),
		"--etcd-servers=" + strings.Join(cfg.EtcdServers, ","),
		"--client-ca-file=" + cfg.ClientCAFile,
		"--tls-cert-file=" + cfg.TLSCertFile,
		"--tls-private-key-file=" + cfg.TLSKeyFile,
		"--service-account-key-file=" + cfg.ServiceAccountKeyFile,
		"--service-account-signing-key-file=" + cfg.ServiceAccountSigningKeyFile,
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-cluster-ip-range=" + cfg.ServiceClusterIPRange,
		"--encryption-provider-config=" + cfg.EncryptionConfigFile,
		"--encryption-provider-config-automatic-reload=true",
		"--audit-policy-file=" + cfg.AuditPolicyFile,
		"--audit-log-path=" + cfg.AuditLogPath,
		"--audit-log-maxsize=100",
		"--audit-log-maxbackup=5",
		"--audit-log-maxage=30",
		"--audit-log-compress=true",
		"--anonymous-auth=false",
		"--authorization-mode=Node,RBAC",
		"--enable-admission-plugins=NodeRestriction",
		"--profiling=false",
		"--allow-privileged=true",
		"--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname",
		"--enable-bootstrap-token-auth=true",
		// Events are kept one hour, as kube-apiserver does by default.
		"--event-ttl=1h",
		"--watch-cache=" + strconv.FormatBool(cfg.WatchCache),
	}
	if cfg.EtcdCAFile != "" {
		args = append(args, "--etcd-cafile="+cfg.EtcdCAFile)
	}
	if cfg.EtcdCertFile != "" {
		args = append(args, "--etcd-certfile="+cfg.EtcdCertFile, "--etcd-keyfile="+cfg.EtcdKeyFile)
	}
	if cfg.AdvertiseAddress != nil {
		args = append(args, "--advertise-address="+cfg.AdvertiseAddress.String())
	} else {
		// A loopback-only Supervisor has no address to publish in the
		// kubernetes Service's endpoints (loopback is not allowed there).
		args = append(args, "--endpoint-reconciler-type=none", "--advertise-address="+cfg.BindAddress.String())
	}
	if cfg.AuthenticationConfigFile != "" {
		args = append(args, "--authentication-config="+cfg.AuthenticationConfigFile)
	}
	return args
}

// Check is a named readiness check added to the API server's /readyz.
type Check struct {
	Name  string
	Check func(*http.Request) error
}

// Run starts the API server and serves until ctx is cancelled. Each check
// is added to /readyz, so the endpoint turns ok only once all of them pass.
func Run(ctx context.Context, cfg Config, checks ...Check) error {
	s := options.NewServerRunOptions()
	fs := pflag.NewFlagSet("kube-apiserver", pflag.ContinueOnError)
	for _, f := range s.Flags().FlagSets {
		fs.AddFlagSet(f)
	}
	if err := fs.Parse(cfg.Args()); err != nil {
		return fmt.Errorf("kube-apiserver flags: %w", err)
	}
	// kube-apiserver remembers a successful token check for 10 s, without
	// a flag to change it, so a token would outlive its expiry by as much.
	// Checking an SSO token's signature is cheap: remember it for 1 s.
	s.Authentication.TokenSuccessCacheTTL = time.Second
	if err := s.GenericServerRunOptions.ComponentGlobalsRegistry.Set(); err != nil {
		return fmt.Errorf("kube-apiserver feature gates: %w", err)
	}
	// The API server's loopback clients should not log warnings they
	// caused themselves.
	rest.SetDefaultWarningHandler(rest.NoWarnings{})

	completed, err := s.Complete(ctx)
	if err != nil {
		return fmt.Errorf("completing kube-apiserver options: %w", err)
	}
	if errs := completed.Validate(); len(errs) != 0 {
		return fmt.Errorf("invalid kube-apiserver options: %v", errs)
	}
	config, err := app.NewConfig(completed)
	if err != nil {
		return fmt.Errorf("configuring kube-apiserver: %w", err)
	}
	cc, err := config.Complete()
	if err != nil {
		return fmt.Errorf("configuring kube-apiserver: %w", err)
	}
	// kube-apiserver's OpenAPI documents are installed below instead, v2
	// only when first asked for (installOpenAPI). The other servers of
	// the chain have their own configuration.
	kas := cc.KubeAPIs.ControlPlane.Generic
	kas.SkipOpenAPIInstallation = true
	server, err := app.CreateServerChain(cc)
	if err != nil {
		return fmt.Errorf("creating kube-apiserver: %w", err)
	}
	kasServer, ok := server.GenericAPIServer.NextDelegate().(*genericapiserver.GenericAPIServer)
	if !ok {
		return fmt.Errorf("kube-apiserver's server chain: the aggregator delegates to a %T, not kube-apiserver", server.GenericAPIServer.NextDelegate())
	}
	if err := installOpenAPI(kasServer, kas.OpenAPIConfig, kas.OpenAPIV3Config); err != nil {
		return fmt.Errorf("creating kube-apiserver: %w", err)
	}
	for _, c := range checks {
		if err := server.GenericAPIServer.AddReadyzChecks(healthz.NamedCheck(c.Name, c.Check)); err != nil {
			return fmt.Errorf("adding readiness check %s: %w", c.Name, err)
		}
	}
	prepared, err := server.PrepareRun()
	if err != nil {
		return fmt.Errorf("preparing kube-apiserver: %w", err)
	}
	return prepared.Run(ctx)
}
