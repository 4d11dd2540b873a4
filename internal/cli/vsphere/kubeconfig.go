package vsphere

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// userPrefix starts the name of every kubeconfig user the plugin writes.
const userPrefix = "wcp:"

// Endpoint is an API server and the authority that signed its certificate.
type Endpoint struct {
	// Server is https://host:port.
	Server string
	// CAData is a PEM bundle; empty means the system's roots.
	CAData []byte
}

// Login is what a login writes into a kubeconfig.
type Login struct {
	// Username is the name the user logged in with.
	Username string
	// Token is the session token.
	Token string
	// Supervisor is the Supervisor's API server.
	Supervisor Endpoint
	// Namespaces are those the user may use.
	Namespaces []string
	// ClusterName, when set, is a workload cluster to write a context for,
	// named after it, at ClusterEndpoint.
	ClusterName     string
	ClusterEndpoint Endpoint
	// InsecureSkipTLSVerify is written for endpoints without CAData.
	InsecureSkipTLSVerify bool
}

// Result is what ApplyLogin wrote.
type Result struct {
	// Contexts are the contexts written, the Supervisor's first.
	Contexts []string
	// Skipped are namespace contexts not written because a context of the
	// same name, not the plugin's, is in the way.
	Skipped []string
	// Current is the new current context.
	Current string
}

// KubeconfigPath is the file login and logout write: the first file of
// $KUBECONFIG, else ~/.kube/config.
func KubeconfigPath() string {
	for _, p := range filepath.SplitList(os.Getenv(clientcmd.RecommendedConfigPathEnvVar)) {
		if p != "" {
			return p
		}
	}
	return clientcmd.RecommendedHomeFile
}

// LoadKubeconfig reads path, or returns an empty config if it does not
// exist yet.
func LoadKubeconfig(path string) (*clientcmdapi.Config, error) {
	cfg, err := clientcmd.LoadFromFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return clientcmdapi.NewConfig(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading kubeconfig %s: %w (fix or move it, or point KUBECONFIG at another file)", path, err)
	}
	return cfg, nil
}

// WriteKubeconfig writes cfg to path, creating its directory if needed.
func WriteKubeconfig(cfg *clientcmdapi.Config, path string) error {
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		return fmt.Errorf("writing kubeconfig %s: %w", path, err)
	}
	return nil
}

// ApplyLogin writes l into cfg: a cluster and a user for the Supervisor, a
// context named after the Supervisor's host, one context per namespace,
// and the workload cluster's context if asked for. Contexts the plugin
// wrote for the same user and Supervisor before, for namespaces the user
// may no longer use, are removed. Everything else in cfg is kept; a
// namespace context whose name is taken by a context the plugin did not
// write is skipped.
func ApplyLogin(cfg *clientcmdapi.Config, l Login) (Result, error) {
	var res Result
	host, err := hostOf(l.Supervisor.Server)
	if err != nil {
		return res, fmt.Errorf("the Supervisor's server: %w", err)
	}
	user := userPrefix + host + ":" + l.Username
	clusterName := host
	if err := checkCluster(cfg, clusterName, l.Supervisor.Server); err != nil {
		return res, err
	}
	if !owned(cfg, host) {
		return res, fmt.Errorf("kubeconfig context %q is not one kubectl vsphere wrote: rename it (kubectl config rename-context %s OTHER) or use another KUBECONFIG", host, host)
	}

	var guestCluster, guestUser string
	if l.ClusterName != "" {
		guestHost, err := hostOf(l.ClusterEndpoint.Server)
		if err != nil {
			return res, fmt.Errorf("cluster %s's server: %w", l.ClusterName, err)
		}
		guestUser = userPrefix + guestHost + ":" + l.Username
		guestCluster = hostPort(l.ClusterEndpoint.Server)
		if err := checkCluster(cfg, guestCluster, l.ClusterEndpoint.Server); err != nil {
			return res, err
		}
		if !owned(cfg, l.ClusterName) {
			return res, fmt.Errorf("kubeconfig context %q is not one kubectl vsphere wrote: rename it (kubectl config rename-context %s OTHER) or use another KUBECONFIG", l.ClusterName, l.ClusterName)
		}
	}

	// Forget namespaces from an earlier login of this user.
	for name, c := range cfg.Contexts {
		if c.AuthInfo == user && c.Cluster == clusterName {
			delete(cfg.Contexts, name)
		}
	}

	cfg.Clusters[clusterName] = cluster(l.Supervisor, l.InsecureSkipTLSVerify)
	cfg.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: l.Token}
	cfg.Contexts[host] = &clientcmdapi.Context{Cluster: clusterName, AuthInfo: user}
	res.Contexts = append(res.Contexts, host)
	res.Current = host
	namespaces := slices.Clone(l.Namespaces)
	slices.Sort(namespaces)
	for _, ns := range slices.Compact(namespaces) {
		if ns == host || ns == l.ClusterName {
			continue
		}
		if !owned(cfg, ns) {
			res.Skipped = append(res.Skipped, ns)
			continue
		}
		cfg.Contexts[ns] = &clientcmdapi.Context{Cluster: clusterName, AuthInfo: user, Namespace: ns}
		res.Contexts = append(res.Contexts, ns)
	}

	if l.ClusterName != "" {
		cfg.Clusters[guestCluster] = cluster(l.ClusterEndpoint, l.InsecureSkipTLSVerify)
		cfg.AuthInfos[guestUser] = &clientcmdapi.AuthInfo{Token: l.Token}
		cfg.Contexts[l.ClusterName] = &clientcmdapi.Context{Cluster: guestCluster, AuthInfo: guestUser}
		res.Contexts = append(res.Contexts, l.ClusterName)
		res.Current = l.ClusterName
	}
	cfg.CurrentContext = res.Current
	return res, nil
}

// ApplyLogout removes from cfg every user the plugin wrote, the contexts
// that refer to them, and the clusters no other context refers to. It
// returns the names of the contexts removed, sorted.
func ApplyLogout(cfg *clientcmdapi.Config) []string {
	var removed []string
	clusters := map[string]bool{}
	for name, c := range cfg.Contexts {
		if strings.HasPrefix(c.AuthInfo, userPrefix) {
			clusters[c.Cluster] = true
			removed = append(removed, name)
			delete(cfg.Contexts, name)
		}
	}
	for name := range cfg.AuthInfos {
		if strings.HasPrefix(name, userPrefix) {
			delete(cfg.AuthInfos, name)
		}
	}
	for _, c := range cfg.Contexts {
		delete(clusters, c.Cluster)
	}
	for name := range clusters {
		delete(cfg.Clusters, name)
	}
	if _, ok := cfg.Contexts[cfg.CurrentContext]; !ok {
		cfg.CurrentContext = ""
	}
	slices.Sort(removed)
	return removed
}

// owned reports whether the context name is free or was written by the
// plugin.
func owned(cfg *clientcmdapi.Config, name string) bool {
	c, ok := cfg.Contexts[name]
	return !ok || strings.HasPrefix(c.AuthInfo, userPrefix)
}

// checkCluster refuses to overwrite a cluster entry that another context
// uses for a different server.
func checkCluster(cfg *clientcmdapi.Config, name, server string) error {
	existing, ok := cfg.Clusters[name]
	if !ok || existing.Server == server {
		return nil
	}
	for ctxName, c := range cfg.Contexts {
		if c.Cluster == name && !strings.HasPrefix(c.AuthInfo, userPrefix) {
			return fmt.Errorf("kubeconfig cluster %q (server %s) is used by context %q, which kubectl vsphere did not write: rename them or use another KUBECONFIG", name, existing.Server, ctxName)
		}
	}
	return nil
}

func cluster(e Endpoint, insecure bool) *clientcmdapi.Cluster {
	return &clientcmdapi.Cluster{
		Server:                   e.Server,
		CertificateAuthorityData: e.CAData,
		InsecureSkipTLSVerify:    insecure && len(e.CAData) == 0,
	}
}

// hostOf is the host name or address of an https URL.
func hostOf(server string) (string, error) {
	u, err := url.Parse(server)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" {
		return "", fmt.Errorf("%q is not an https://host:port URL", server)
	}
	return u.Hostname(), nil
}

// hostPort is the host:port of an https URL, with 443 when it has no port.
func hostPort(server string) string {
	u, err := url.Parse(server)
	if err != nil {
		return server
	}
	if u.Port() == "" {
		return net.JoinHostPort(u.Hostname(), "443")
	}
	return u.Host
}
