package cni

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
)

// Defaults.
const (
	// DefaultConfDir is where containerd reads CNI configurations.
	DefaultConfDir = "/etc/cni/net.d"
	// DefaultConfName sorts before other configurations: containerd uses
	// the first one.
	DefaultConfName = "10-kubevisor.conflist"
	// DefaultBridge is the node's pod bridge.
	DefaultBridge = "kvcni0"
	// NetworkName is the CNI network's name.
	NetworkName = "kubevisor"
)

// Network is what the node's CNI configuration is made from.
type Network struct {
	// PodCIDR is the node's pod range (its Node's spec.podCIDR).
	PodCIDR netip.Prefix
	// Bridge is the pods' bridge; the bridge takes the range's first
	// address and is the pods' default gateway.
	Bridge string
	// MTU is the pods' MTU: the node's own, as nothing is encapsulated. 0
	// leaves the plugins' default.
	MTU int
}

// Conflist renders the node's CNI network configuration list: bridge with
// host-local IPAM over the pod CIDR, then portmap for hostPorts. The bridge
// does not masquerade (the daemon's own rule does, sparing pod to pod
// traffic) and hairpins, so a pod can reach itself through a Service.
func Conflist(n Network) ([]byte, error) {
	if !n.PodCIDR.IsValid() || !n.PodCIDR.Addr().Is4() {
		return nil, fmt.Errorf("pod CIDR %v: want an IPv4 prefix", n.PodCIDR)
	}
	if n.Bridge == "" {
		n.Bridge = DefaultBridge
	}
	bridge := map[string]any{
		"type":        "bridge",
		"bridge":      n.Bridge,
		"isGateway":   true,
		"ipMasq":      false,
		"hairpinMode": true,
		"ipam": map[string]any{
			"type":   "host-local",
			"ranges": [][]map[string]string{{{"subnet": n.PodCIDR.Masked().String()}}},
			"routes": []map[string]string{{"dst": "0.0.0.0/0"}},
		},
	}
	if n.MTU > 0 {
		bridge["mtu"] = n.MTU
	}
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       NetworkName,
		"plugins": []any{
			bridge,
			map[string]any{"type": "portmap", "capabilities": map[string]bool{"portMappings": true}, "snat": true},
		},
	}
	b, err := json.MarshalIndent(conf, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// writeConfig writes data to dir/name unless the file already holds it,
// through a temporary file and a rename, so containerd never loads half a
// file (it only reads names ending in .conf, .conflist and .json). It
// reports whether it wrote.
func writeConfig(dir, name string, data []byte) (bool, error) {
	path := filepath.Join(dir, name)
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return false, err
	}
	tmp, err := os.CreateTemp(dir, "."+name+".*.tmp")
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return false, err
	}
	if err := tmp.Close(); err != nil {
		return false, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return false, err
	}
	return true, nil
}
