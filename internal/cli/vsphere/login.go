package vsphere

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/kubevisor/kubevisor/internal/cli/prompt"
	ssoapi "github.com/kubevisor/kubevisor/internal/sso/api"
	ssoclient "github.com/kubevisor/kubevisor/internal/sso/client"
)

// PasswordEnv is the environment variable login takes the password from;
// when it is unset or empty, login prompts for the password.
const PasswordEnv = "KUBECTL_VSPHERE_PASSWORD"

// loginOptions are the flags of login.
type loginOptions struct {
	server           string
	username         string
	clusterNamespace string
	clusterName      string
	insecure         bool

	// rootCAs replace the system's roots; for tests.
	rootCAs *x509.CertPool
	// now is the clock; for tests.
	now func() time.Time
}

// NewLoginCommand returns `login`.
func NewLoginCommand() *cobra.Command {
	return newLoginCommand(&loginOptions{now: time.Now})
}

func newLoginCommand(o *loginOptions) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Log in to a Supervisor and write its contexts into the kubeconfig",
		Long: fmt.Sprintf(`Log in to a Supervisor with a vSphere SSO user name and password, and write
a kubeconfig context for the Supervisor and one for each namespace the user
may use (and, with --tanzu-kubernetes-cluster-name, one for that cluster).

--server is the Supervisor's SSO endpoint: host or host:port; without a port,
kubevisor's SSO port %d is used.

The password is taken from $%s, or prompted for without echo.
The kubeconfig written is the first file of $KUBECONFIG, else ~/.kube/config;
everything else in it is kept.`, ssoapi.DefaultPort, PasswordEnv),
		Example: `  kubectl vsphere login --server 127.0.0.1 --vsphere-username alice
  kubectl vsphere login --server 127.0.0.1 --vsphere-username alice \
      --tanzu-kubernetes-cluster-namespace team-a --tanzu-kubernetes-cluster-name dev`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return o.run(cmd.Context(), cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.server, "server", "s", "", "Address of the Supervisor's SSO endpoint: host or host:port (required).")
	f.StringVarP(&o.username, "vsphere-username", "u", "", "The SSO user name to log in as (required).")
	f.StringVar(&o.clusterNamespace, "tanzu-kubernetes-cluster-namespace", "", "Namespace of the workload cluster to log in to.")
	f.StringVar(&o.clusterName, "tanzu-kubernetes-cluster-name", "", "Name of the workload cluster to log in to; its context becomes the current one.")
	f.BoolVar(&o.insecure, "insecure-skip-tls-verify", false, "Do not verify the SSO endpoint's certificate. Only on a network you trust.")
	return cmd
}

// NewLogoutCommand returns `logout`.
func NewLogoutCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Remove every context, user and cluster that login wrote from the kubeconfig",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return logout(cmd.OutOrStdout(), KubeconfigPath())
		},
	}
}

func (o *loginOptions) validate() error {
	switch {
	case o.server == "":
		return errors.New("--server is required: the Supervisor's address, such as --server 127.0.0.1")
	case o.username == "":
		return errors.New("--vsphere-username is required: the SSO user to log in as, such as --vsphere-username alice")
	case o.clusterName != "" && o.clusterNamespace == "":
		return errors.New("--tanzu-kubernetes-cluster-name needs --tanzu-kubernetes-cluster-namespace: the namespace the cluster is in")
	case o.clusterNamespace != "" && o.clusterName == "":
		return errors.New("--tanzu-kubernetes-cluster-namespace needs --tanzu-kubernetes-cluster-name: the cluster to log in to")
	}
	return nil
}

func (o *loginOptions) run(ctx context.Context, in io.Reader, out, errOut io.Writer) error {
	if err := o.validate(); err != nil {
		return err
	}
	sso, err := ssoclient.New(o.server, ssoclient.Options{InsecureSkipTLSVerify: o.insecure, RootCAs: o.rootCAs})
	if err != nil {
		return fmt.Errorf("--server: %w", err)
	}
	if o.insecure {
		fmt.Fprintf(errOut, "WARNING: not verifying the certificate of %s (--insecure-skip-tls-verify): the password could be sent to anyone on the network path.\n", sso.URL())
	}
	password := os.Getenv(PasswordEnv)
	if password == "" {
		if password, err = prompt.Password(in, errOut, "Password: "); err != nil {
			return err
		}
	}

	session, err := sso.Login(ctx, o.username, password)
	if ssoclient.IsUnauthorized(err) {
		return fmt.Errorf("logging in to %s as %s: %w: check the user name and the password", sso.URL(), o.username, err)
	}
	if err != nil {
		return fmt.Errorf("logging in to %s: %w", sso.URL(), err)
	}
	namespaces, err := sso.Namespaces(ctx, session.SessionID)
	if err != nil {
		return fmt.Errorf("listing the namespaces of %s at %s: %w", o.username, sso.URL(), err)
	}
	l := Login{
		Username:              o.username,
		Token:                 session.SessionID,
		Supervisor:            Endpoint{Server: session.Server, CAData: session.CAData},
		Namespaces:            namespaces,
		InsecureSkipTLSVerify: o.insecure,
	}
	if o.clusterName != "" {
		c, err := sso.Cluster(ctx, session.SessionID, o.clusterNamespace, o.clusterName)
		if ssoclient.IsNotFound(err) {
			return fmt.Errorf("cluster %s/%s: %w: check --tanzu-kubernetes-cluster-namespace and --tanzu-kubernetes-cluster-name (kubectl get tkc -n %s)", o.clusterNamespace, o.clusterName, err, o.clusterNamespace)
		}
		if err != nil {
			return fmt.Errorf("locating cluster %s/%s: %w", o.clusterNamespace, o.clusterName, err)
		}
		l.ClusterName = o.clusterName
		l.ClusterEndpoint = Endpoint{Server: c.Server, CAData: c.CAData}
	}

	path := KubeconfigPath()
	cfg, err := LoadKubeconfig(path)
	if err != nil {
		return err
	}
	res, err := ApplyLogin(cfg, l)
	if err != nil {
		return fmt.Errorf("kubeconfig %s: %w", path, err)
	}
	if err := WriteKubeconfig(cfg, path); err != nil {
		return err
	}

	fmt.Fprintln(out, "Logged in successfully.")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "You have access to the following contexts:")
	for _, c := range res.Contexts {
		fmt.Fprintf(out, "   %s\n", c)
	}
	fmt.Fprintln(out)
	for _, s := range res.Skipped {
		fmt.Fprintf(out, "Namespace %s has no context: %s already has a context of that name, which kubectl vsphere did not write.\n", s, path)
	}
	fmt.Fprintln(out, "If the context you wish to use is not in this list, you may need to try")
	fmt.Fprintln(out, "logging in again later, or contact your cluster administrator.")
	fmt.Fprintln(out)
	fmt.Fprintln(out, "To change context, use `kubectl config use-context <workload name>`")
	if !session.ExpiresAt.IsZero() {
		fmt.Fprintf(out, "The session expires at %s (in %s); then log in again.\n",
			session.ExpiresAt.Local().Format(time.RFC3339), duration.HumanDuration(session.ExpiresAt.Sub(o.now()).Round(time.Minute)))
	}
	fmt.Fprintf(out, "Current context: %s (in %s)\n", res.Current, path)
	return nil
}

func logout(out io.Writer, path string) error {
	cfg, err := LoadKubeconfig(path)
	if err != nil {
		return err
	}
	removed := ApplyLogout(cfg)
	if len(removed) == 0 {
		fmt.Fprintf(out, "Not logged in: %s has no context written by kubectl vsphere login.\n", path)
		return nil
	}
	if err := WriteKubeconfig(cfg, path); err != nil {
		return err
	}
	fmt.Fprintf(out, "Logged out. Removed these contexts from %s: %s\n", path, strings.Join(removed, ", "))
	if cfg.CurrentContext == "" {
		fmt.Fprintln(out, "The current context is unset. To change context, use `kubectl config use-context <name>`")
	}
	return nil
}
