package kubevisor

import (
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/klog/v2"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/kubevisor/kubevisor/internal/datastore"
	"github.com/kubevisor/kubevisor/internal/supervisor"
)

func newServerCommand(streams Streams, klogFlags *flag.FlagSet) *cobra.Command {
	var (
		o           supervisor.Options
		bindAddress string
		logFile     string
		logToStderr bool
		memoryLimit string
		gcPercent   int
	)
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the Supervisor",
		Long: `Run the Supervisor: an embedded Kubernetes API server and controller manager,
its datastore, and kubevisor's controllers, in one process.

On first start it creates a certificate authority, certificates, an
encryption key for Secrets and an admin kubeconfig in the data directory.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.BindAddress = net.ParseIP(bindAddress)
			if o.BindAddress == nil {
				return fmt.Errorf("--bind-address %q is not an IP address", bindAddress)
			}
			if o.Port < 1 || o.Port > 65535 {
				return fmt.Errorf("--port %d is out of range 1-65535", o.Port)
			}
			if o.SSOPort < 1 || o.SSOPort > 65535 {
				return fmt.Errorf("--sso-port %d is out of range 1-65535", o.SSOPort)
			}
			if o.SSOTokenTTL < time.Minute || o.SSOKeyRotation < time.Minute {
				return fmt.Errorf("--sso-token-ttl and --sso-key-rotation must be at least 1m")
			}
			if gcPercent < 0 {
				return fmt.Errorf("--gc-percent %d is negative; use 0 to keep the Go runtime's setting", gcPercent)
			}
			if o.WebhookPort < 1 || o.WebhookPort > 65535 {
				return fmt.Errorf("--webhook-port %d is out of range 1-65535", o.WebhookPort)
			}
			if _, _, err := net.ParseCIDR(o.ServiceCIDR); err != nil {
				return fmt.Errorf("--service-cidr %q is not a CIDR", o.ServiceCIDR)
			}
			kind, err := datastore.Kind(o.Datastore.Endpoint)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("watch-cache") {
				o.WatchCache = supervisor.DefaultWatchCache(kind)
			}
			if o.VMProvider == "vsphere" {
				if err := completeVSphere(&o.VSphere); err != nil {
					return err
				}
			}
			if !logToStderr {
				if logFile == "" {
					logFile = filepath.Join(o.DataDir, "logs", "kubevisor.log")
				}
				if err := logToFile(klogFlags, logFile); err != nil {
					return err
				}
				fmt.Fprintf(streams.ErrOut, "Starting the Supervisor; logs go to %s\n", logFile)
			}
			o.OnReady = func(info supervisor.Info) {
				fmt.Fprintf(streams.Out, `
kubevisor Supervisor is ready at %s

The admin kubeconfig is %s. Point kubectl at it:

    export KUBECONFIG=%s
    kubectl get namespaces

Users log in with: kubectl vsphere login --server=%s --vsphere-username=NAME

`, info.Server, info.AdminKubeconfig, info.AdminKubeconfig, strings.TrimPrefix(info.SSO, "https://"))
				settleMemory(cmd.Context(), gcPercent)
			}
			o.OnControllersStart = controllersMemory
			limit, err := resource.ParseQuantity(memoryLimit)
			if err != nil || limit.Sign() < 0 {
				return fmt.Errorf("--memory-limit %q is not a quantity such as 300Mi", memoryLimit)
			}
			if os.Getenv("GOMEMLIMIT") == "" && limit.Sign() > 0 {
				// A soft limit makes the garbage collector return memory
				// before the heap doubles, which keeps an idle Supervisor
				// small; above the limit the runtime caps GC work itself.
				debug.SetMemoryLimit(limit.Value())
			}
			// controller-runtime and Cluster API log through a process-wide
			// logger; route it to klog like everything else.
			ctrllog.SetLogger(klog.NewKlogr())
			startPprof()
			startMemory()
			// klog writes its buffer every 5 s; the last lines of a stop
			// are written before the process exits.
			defer klog.Flush()
			exitQuietlyWhenStopping(cmd.Context())
			return supervisor.Run(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.DataDir, "data-dir", "/var/lib/kubevisor", "Directory holding all of the Supervisor's state.")
	f.StringVar(&bindAddress, "bind-address", "127.0.0.1", "Address the API server listens on (0.0.0.0 for every interface).")
	f.IntVar(&o.Port, "port", 6443, "Port the API server listens on.")
	f.StringSliceVar(&o.TLSSANs, "tls-san", nil, "Extra DNS name or IP address for the API server's certificate (repeatable).")
	f.StringVar(&o.Datastore.Endpoint, "datastore-endpoint", "", "Datastore: empty for embedded SQLite, http(s)://host:2379 for etcd, postgres://user:pass@host/db for PostgreSQL.")
	f.StringVar(&o.Datastore.CAFile, "datastore-cafile", "", "CA file to verify the datastore's TLS certificate.")
	f.StringVar(&o.Datastore.CertFile, "datastore-certfile", "", "Client certificate for the datastore.")
	f.StringVar(&o.Datastore.KeyFile, "datastore-keyfile", "", "Client key for the datastore.")
	f.BoolVar(&o.WatchCache, "watch-cache", false, "Keep the API server's watch cache, a decoded copy of every object that serves lists and watches (default: off with the embedded SQLite datastore, on with etcd and PostgreSQL).")
	f.IntVar(&o.WebhookPort, "webhook-port", 9443, "Loopback port of the in-process webhook server.")
	f.StringVar(&o.ServiceCIDR, "service-cidr", "10.96.0.0/16", "The Supervisor's own service network.")
	f.StringVar(&o.VMProvider, "vm-provider", defaultVMProvider(), "VM Service provider: local (VMs are sandboxes on this host; needs root), vsphere (a vCenter, see --vsphere-*), or simulated (in-memory VMs that run nothing, for scale tests).")
	addVSphereFlags(f, &o.VSphere)
	f.StringVar(&o.ImageSeedDir, "image-seed-dir", defaultNextToBinary("images"), "Directory of .ova files imported into the default content library at start.")
	f.StringVar(&o.GuestAgent, "guest-agent", "", "Static guest agent binary for local VMs (default: kubevisor-guest next to this binary).")
	f.IntVar(&o.SSOPort, "sso-port", 6444, "Port of the single-sign-on endpoint (kubectl vsphere login --server=HOST:PORT), on --bind-address.")
	f.DurationVar(&o.SSOTokenTTL, "sso-token-ttl", 10*time.Hour, "How long an SSO token is valid.")
	f.DurationVar(&o.SSOKeyRotation, "sso-key-rotation", 24*time.Hour, "How often a new SSO signing key is made; older keys verify until their tokens expire.")
	f.StringVar(&memoryLimit, "memory-limit", "450Mi", "Soft limit of the Go heap (GOMEMLIMIT wins when set); 0 for none.")
	f.IntVar(&gcPercent, "gc-percent", 0, "Garbage collector target once the Supervisor is ready, such as 50 to hold 15 to 30 MiB less when idle for more CPU under load (GOGC wins when set); 0 keeps the Go runtime's 100.")
	f.StringVar(&logFile, "log-file", "", "Log file (default <data-dir>/logs/kubevisor.log).")
	f.BoolVar(&logToStderr, "log-to-stderr", false, "Log to standard error instead of the log file.")
	f.BoolVar(&o.LeaderElect, "leader-elect", false, "Elect one active controller manager among Supervisors sharing a datastore.")
	return cmd
}

// logToFile sends the logs of every embedded component to path, keeping
// the terminal for what the administrator needs to read. Fatal errors are
// still returned and printed by the command.
func logToFile(klogFlags *flag.FlagSet, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("--log-file: %w", err)
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("--log-file: %w", err)
	}
	for name, value := range map[string]string{
		"logtostderr":       "false",
		"alsologtostderr":   "false",
		"stderrthreshold":   "FATAL",
		"log_file":          path,
		"log_file_max_size": "100",
	} {
		if err := klogFlags.Set(name, value); err != nil {
			return err
		}
	}
	// kine logs through logrus, and the API server's etcd client straight
	// to standard error: send both to the file too.
	logrus.SetOutput(f)
	if err := syscall.Dup2(int(f.Fd()), 2); err != nil {
		return fmt.Errorf("redirecting standard error to %s: %w", path, err)
	}
	return nil
}

// defaultVMProvider is local when running as root, which the local
// provider needs, and simulated otherwise.
func defaultVMProvider() string {
	if os.Geteuid() == 0 {
		return "local"
	}
	return "simulated"
}

// defaultNextToBinary is name in this binary's directory, or "" when the
// binary's path is unknown.
func defaultNextToBinary(name string) string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	return filepath.Join(filepath.Dir(exe), name)
}
