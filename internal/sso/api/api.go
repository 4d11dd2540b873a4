package api

import (
	"net/url"
	"time"
)

// DefaultPort is the port of the SSO endpoint when `kubectl vsphere login
// --server` names only a host. vSphere serves it on 443 behind its reverse
// proxy; kubevisor serves it directly, next to the API server's 6443.
const DefaultPort = 6444

// The paths of the SSO endpoint, as the vSphere plugin calls them.
const (
	// LoginPath exchanges a user name and password (HTTP Basic auth) for a
	// session token: POST, answered with a LoginResponse.
	LoginPath = "/wcp/login"
	// NamespacesPath lists the namespaces the bearer of a session token may
	// use: GET, answered with a NamespacesResponse.
	NamespacesPath = "/wcp/namespaces"
	// ClustersPathPrefix is followed by "<namespace>/<name>" of a
	// TanzuKubernetesCluster: GET, answered with a ClusterResponse. Use
	// ClusterPath to build it.
	ClustersPathPrefix = "/wcp/clusters/"
)

// ClusterPath is the path of the workload cluster name in namespace.
func ClusterPath(namespace, name string) string {
	return ClustersPathPrefix + url.PathEscape(namespace) + "/" + url.PathEscape(name)
}

// LoginResponse answers a successful login.
type LoginResponse struct {
	// SessionID is the session token: a signed JWT that the Supervisor's
	// API server, and the guest clusters, accept as a bearer token.
	SessionID string `json:"session_id"`
	// ExpiresAt is when the token stops being accepted (RFC 3339).
	ExpiresAt time.Time `json:"expires_at"`
	// Server is the Supervisor API server's URL, https://host:port.
	Server string `json:"server"`
	// CAData is the PEM bundle of the certificate authority that signed the
	// API server's certificate; in JSON it is the base64 of that PEM.
	CAData []byte `json:"ca_data,omitempty"`
}

// NamespacesResponse lists the namespaces a user may use.
type NamespacesResponse struct {
	// Namespaces are the names of the namespaces where the user has a role,
	// directly or through a group.
	Namespaces []string `json:"namespaces"`
}

// ClusterResponse locates a workload cluster's API server.
type ClusterResponse struct {
	// Server is the cluster API server's URL, https://host:port.
	Server string `json:"server"`
	// CAData is the PEM bundle of the cluster's certificate authority; in
	// JSON it is the base64 of that PEM.
	CAData []byte `json:"ca_data,omitempty"`
}

// ErrorResponse is the body of every error status.
type ErrorResponse struct {
	// Error says what went wrong, for the user to read.
	Error string `json:"error"`
}
