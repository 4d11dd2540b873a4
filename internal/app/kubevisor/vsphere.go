package kubevisor

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kubevisor/kubevisor/internal/provider/vsphere"
)

// vsphereFlags are the flags that do not map one to one onto the config.
var vsphereFlags struct {
	passwordFile string
	zones        []string
}

func addVSphereFlags(f *pflag.FlagSet, c *vsphere.Config) {
	f.StringVar(&c.URL, "vsphere-url", "", "vCenter URL (https://host/sdk) for --vm-provider=vsphere.")
	f.StringVar(&c.Username, "vsphere-username", "", "vCenter user name.")
	f.StringVar(&vsphereFlags.passwordFile, "vsphere-password-file", "", "File holding the vCenter password (or set KUBEVISOR_VSPHERE_PASSWORD).")
	f.BoolVar(&c.Insecure, "vsphere-insecure", false, "Do not verify vCenter's certificate.")
	f.StringVar(&c.Thumbprint, "vsphere-thumbprint", "", "vCenter certificate's SHA-1 thumbprint.")
	f.StringVar(&c.CAFile, "vsphere-ca-file", "", "CA bundle that verifies vCenter's certificate.")
	f.StringVar(&c.Datacenter, "vsphere-datacenter", "", "Datacenter of the Supervisor's VMs.")
	f.StringVar(&c.Cluster, "vsphere-cluster", "", "Cluster for VMs without a zone.")
	f.StringSliceVar(&vsphereFlags.zones, "vsphere-zone", nil, "ZONE=CLUSTER: the vSphere cluster of an availability zone (repeatable).")
	f.StringVar(&c.ResourcePool, "vsphere-resource-pool", "", "Resource pool under which namespaces get theirs (default kubevisor).")
	f.StringVar(&c.Folder, "vsphere-folder", "", "VM folder under which namespaces get theirs (default kubevisor).")
	f.StringVar(&c.Datastore, "vsphere-datastore", "", "Datastore of VM disks.")
	f.StringVar(&c.Network, "vsphere-network", "", "Port group of VM NICs.")
	f.StringVar(&c.ContentLibrary, "vsphere-content-library", "", "vCenter content library of images and published VMs.")
}

// completeVSphere reads the password and zones into c.
func completeVSphere(c *vsphere.Config) error {
	if c.URL == "" {
		return fmt.Errorf("--vm-provider=vsphere needs --vsphere-url")
	}
	if p := os.Getenv("KUBEVISOR_VSPHERE_PASSWORD"); p != "" {
		c.Password = p
	}
	if vsphereFlags.passwordFile != "" {
		data, err := os.ReadFile(vsphereFlags.passwordFile)
		if err != nil {
			return fmt.Errorf("--vsphere-password-file: %w", err)
		}
		c.Password = strings.TrimRight(string(data), "\r\n")
	}
	for _, z := range vsphereFlags.zones {
		zone, cluster, ok := strings.Cut(z, "=")
		if !ok || zone == "" || cluster == "" {
			return fmt.Errorf("--vsphere-zone %q: want ZONE=CLUSTER", z)
		}
		if c.Zones == nil {
			c.Zones = map[string]string{}
		}
		c.Zones[zone] = cluster
	}
	return nil
}
