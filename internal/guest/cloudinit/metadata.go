package cloudinit

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

// NoCloud seed files, inside the guest.
const (
	SeedDir           = "/var/lib/cloud/seed/nocloud"
	UserDataFile      = "user-data"
	MetaDataFile      = "meta-data"
	NetworkConfigFile = "network-config"
)

// MetaData is the instance metadata: the meta-data file's YAML map. Known
// keys: instance-id, local-hostname, hostname, network (netplan v2 form, as
// VMware's guestinfo metadata carries it) and kubevisor (the provider's
// facts, such as the VM's cgroup).
type MetaData map[string]any

// ParseMetaData parses a meta-data document (YAML or JSON).
func ParseMetaData(b []byte) (MetaData, error) {
	md := MetaData{}
	if len(b) == 0 {
		return md, nil
	}
	if err := yaml.Unmarshal(b, &md); err != nil {
		return nil, fmt.Errorf("parsing meta-data: %w", err)
	}
	return md, nil
}

// InstanceID is the meta-data's instance-id.
func (m MetaData) InstanceID() string { return m.str("instance-id") }

// LocalHostname is the meta-data's local-hostname (or hostname).
func (m MetaData) LocalHostname() string {
	if h := m.str("local-hostname"); h != "" {
		return h
	}
	return m.str("hostname")
}

func (m MetaData) str(key string) string {
	if v, ok := m[key]; ok && v != nil {
		return fmt.Sprint(v)
	}
	return ""
}

// Network is the part of a netplan v2 network config the agent uses.
type Network struct {
	// Addresses are the interfaces' addresses, in interface name order.
	Addresses []netip.Prefix
	// Nameservers and Search configure /etc/resolv.conf.
	Nameservers, Search []string
}

// Network reads the meta-data's network key (netplan version 2).
func (m MetaData) Network() Network {
	var n Network
	net, _ := m["network"].(map[string]any)
	if net == nil {
		return n
	}
	eths, _ := net["ethernets"].(map[string]any)
	for _, name := range sortedKeys(eths) {
		eth, _ := eths[name].(map[string]any)
		addrs, _ := eth["addresses"].([]any)
		for _, a := range addrs {
			if p, err := netip.ParsePrefix(fmt.Sprint(a)); err == nil {
				n.Addresses = append(n.Addresses, p)
			}
		}
		ns, _ := eth["nameservers"].(map[string]any)
		n.Nameservers = append(n.Nameservers, strs(ns["addresses"])...)
		n.Search = append(n.Search, strs(ns["search"])...)
	}
	return n
}

// Seed is a NoCloud seed directory's content.
type Seed struct {
	UserData      []byte
	MetaData      MetaData
	NetworkConfig []byte
}

// ReadSeed reads the seed under root (SeedDir). ok is false when there is
// no seed at all.
func ReadSeed(root string) (seed Seed, ok bool, err error) {
	dir := filepath.Join(root, SeedDir)
	md, err := os.ReadFile(filepath.Join(dir, MetaDataFile))
	if os.IsNotExist(err) {
		return seed, false, nil
	}
	if err != nil {
		return seed, false, fmt.Errorf("reading seed: %w", err)
	}
	if seed.MetaData, err = ParseMetaData(md); err != nil {
		return seed, true, err
	}
	if seed.UserData, err = os.ReadFile(filepath.Join(dir, UserDataFile)); err != nil && !os.IsNotExist(err) {
		return seed, true, fmt.Errorf("reading seed: %w", err)
	}
	if seed.NetworkConfig, err = os.ReadFile(filepath.Join(dir, NetworkConfigFile)); err != nil && !os.IsNotExist(err) {
		return seed, true, fmt.Errorf("reading seed: %w", err)
	}
	return seed, true, nil
}

// WriteSeed writes a seed into dir (a host directory the provider mounts
// at SeedDir).
func WriteSeed(dir string, userData, metaData, networkConfig []byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, b := range map[string][]byte{UserDataFile: userData, MetaDataFile: metaData, NetworkConfigFile: networkConfig} {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			return fmt.Errorf("writing seed %s: %w", name, err)
		}
	}
	return nil
}
