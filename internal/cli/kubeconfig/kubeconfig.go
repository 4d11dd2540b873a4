package kubeconfig

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"

	"github.com/spf13/pflag"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kubevisor/kubevisor/internal/scheme"
)

// noSupervisorHint is what to do when no Supervisor is configured.
const noSupervisorHint = "pass --kubeconfig or set KUBECONFIG to the admin kubeconfig printed by `make run` (or `kubevisor server`)"

// Options are the flags that locate the Supervisor.
type Options struct {
	// Kubeconfig is the path given with --kubeconfig.
	Kubeconfig string
	// Context is the context given with --context.
	Context string
}

// AddFlags adds --kubeconfig and --context to fs.
func (o *Options) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.Kubeconfig, "kubeconfig", "", "Path to the kubeconfig file of the Supervisor (default: $KUBECONFIG, then ~/.kube/config).")
	fs.StringVar(&o.Context, "context", "", "The kubeconfig context to use (default: the current context).")
}

// RESTConfig loads the client configuration.
func (o *Options) RESTConfig() (*rest.Config, error) {
	if o.Kubeconfig != "" {
		if _, err := os.Stat(o.Kubeconfig); err != nil {
			return nil, fmt.Errorf("--kubeconfig %s: %w", o.Kubeconfig, err)
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = o.Kubeconfig
	overrides := &clientcmd.ConfigOverrides{CurrentContext: o.Context}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	switch {
	case clientcmd.IsEmptyConfig(err):
		return nil, errors.New("no Supervisor found: " + noSupervisorHint)
	case err != nil && o.Context != "":
		return nil, fmt.Errorf("--context %s: %w", o.Context, err)
	case err != nil:
		return nil, fmt.Errorf("loading the kubeconfig: %w; %s", err, noSupervisorHint)
	}
	server := cfg.Host
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		return explainingRoundTripper{rt: rt, server: server}
	})
	return cfg, nil
}

// Client returns a client of the Supervisor that reads and writes
// kubevisor's types.
func (o *Options) Client() (client.Client, error) {
	cfg, err := o.RESTConfig()
	if err != nil {
		return nil, err
	}
	s, err := scheme.New()
	if err != nil {
		return nil, err
	}
	c, err := client.New(cfg, client.Options{Scheme: s})
	if err != nil {
		return nil, fmt.Errorf("connecting to the Supervisor at %s: %w", cfg.Host, err)
	}
	return c, nil
}

// explainingRoundTripper adds what to do to the errors of a Supervisor
// that cannot be reached.
type explainingRoundTripper struct {
	rt     http.RoundTripper
	server string
}

func (e explainingRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := e.rt.RoundTrip(req)
	if err != nil && (utilnet.IsConnectionRefused(err) || isNoSuchHost(err)) {
		return nil, &unreachableError{server: e.server, err: err}
	}
	return resp, err
}

type unreachableError struct {
	server string
	err    error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("cannot reach the Supervisor at %s (is `kubevisor server` running, and is this the right kubeconfig or --context?): %v", e.server, e.err)
}

func (e *unreachableError) Unwrap() error { return e.err }

func isNoSuchHost(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && dnsErr.IsNotFound
}
