package vsphere

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// Defaults.
const (
	// DefaultFolder is the VM folder, under the datacenter's VM folder,
	// that holds every VM of the Supervisor.
	DefaultFolder = "kubevisor"
	// DefaultResourcePool is the resource pool, under each cluster's root
	// pool, that holds the Supervisor's namespace pools.
	DefaultResourcePool = "kubevisor"
	// DefaultReconcileWait is how long Reconcile and Delete wait for vCenter
	// before returning provider.ErrInProgress; the work goes on.
	DefaultReconcileWait = 5 * time.Second
	// DefaultOperationTimeout bounds one background operation (an OVF
	// deploy of a large image can take many minutes).
	DefaultOperationTimeout = 30 * time.Minute
	// DefaultKeepAlive is the idle interval after which the session is
	// kept alive with a cheap call.
	DefaultKeepAlive = 5 * time.Minute
)

// Config configures the vsphere provider.
type Config struct {
	// URL is vCenter's SDK endpoint: https://vcenter.example.com/sdk (a
	// bare host name is completed to that). Required.
	URL string
	// Username and Password log in to vCenter (user information in URL is
	// used when they are empty).
	Username, Password string
	// Insecure skips verifying vCenter's certificate.
	Insecure bool
	// Thumbprint is the SHA-1 or SHA-256 thumbprint (colon-separated hex)
	// of vCenter's certificate, trusted instead of a CA.
	Thumbprint string
	// CAFile is a PEM bundle of CAs trusted for vCenter's certificate.
	CAFile string

	// Datacenter is the datacenter's name or inventory path ("" when
	// vCenter has exactly one).
	Datacenter string
	// Cluster is the cluster VMs without a zone go to: a name or path
	// relative to the datacenter's host folder. Required unless Zones is
	// set, when it defaults to the cluster of the first zone by name.
	Cluster string
	// Zones maps availability zone names (a VM's topology.kubernetes.io/zone
	// label) to clusters, as vSphere zones do.
	Zones map[string]string
	// ResourcePool is the pool, created if missing, under each cluster's
	// root pool in which namespace pools are made (DefaultResourcePool; "/"
	// for the root pool itself).
	ResourcePool string
	// Folder is the VM folder, created if missing, in which namespace
	// folders are made: relative to the datacenter's VM folder, or an
	// absolute inventory path (DefaultFolder).
	Folder string
	// Datastore holds the VMs' disks: a name or path ("" when the
	// datacenter has exactly one).
	Datastore string
	// Network is the port group (standard or distributed) every VM's NIC
	// is connected to: a name or path ("" when the datacenter has exactly
	// one network).
	Network string
	// ContentLibrary is the content library VMs are published into, and in
	// which images are looked up by name when their item ID is unknown to
	// vCenter.
	ContentLibrary string

	// ReconcileWait bounds how long one Reconcile or Delete waits
	// (DefaultReconcileWait).
	ReconcileWait time.Duration
	// OperationTimeout bounds one background operation
	// (DefaultOperationTimeout).
	OperationTimeout time.Duration
	// KeepAlive is the session keep-alive interval (DefaultKeepAlive).
	KeepAlive time.Duration
}

// complete validates c and fills in its defaults.
func (c Config) complete() (Config, *url.URL, error) {
	var errs []error
	if c.URL == "" {
		errs = append(errs, errors.New("the vCenter URL is required"))
	}
	u, err := sdkURL(c.URL)
	if c.URL != "" && err != nil {
		errs = append(errs, err)
	}
	if u != nil {
		if c.Username == "" && u.User != nil {
			c.Username = u.User.Username()
			c.Password, _ = u.User.Password()
		}
		u.User = nil
	}
	if c.Username == "" {
		errs = append(errs, errors.New("a vCenter user name is required"))
	}
	if c.Cluster == "" && len(c.Zones) == 0 {
		errs = append(errs, errors.New("a cluster or at least one zone is required"))
	}
	for zone, cluster := range c.Zones {
		if zone == "" || cluster == "" {
			errs = append(errs, fmt.Errorf("zone %q → cluster %q: both are required", zone, cluster))
		}
	}
	if c.Cluster == "" && len(c.Zones) > 0 {
		c.Cluster = c.Zones[sortedKeys(c.Zones)[0]]
	}
	if c.ResourcePool == "" {
		c.ResourcePool = DefaultResourcePool
	}
	if c.Folder == "" {
		c.Folder = DefaultFolder
	}
	if c.ReconcileWait <= 0 {
		c.ReconcileWait = DefaultReconcileWait
	}
	if c.OperationTimeout <= 0 {
		c.OperationTimeout = DefaultOperationTimeout
	}
	if c.KeepAlive <= 0 {
		c.KeepAlive = DefaultKeepAlive
	}
	if err := errors.Join(errs...); err != nil {
		return c, nil, fmt.Errorf("vsphere provider config: %w", err)
	}
	return c, u, nil
}

// sdkURL turns "vc.example.com", "https://vc.example.com" or a full SDK
// URL into the SDK URL.
func sdkURL(s string) (*url.URL, error) {
	if !strings.Contains(s, "://") {
		s = "https://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("vCenter URL: %w", err)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("vCenter URL %q has no host", s)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/sdk"
	}
	return u, nil
}
