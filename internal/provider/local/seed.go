package local

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/kubevisor/kubevisor/internal/guest/cloudinit"
	"github.com/kubevisor/kubevisor/internal/provider"
)

// seedDir is where the seed directory is bound inside the VM.
const seedDir = cloudinit.SeedDir

// writeSeed writes the VM's NoCloud seed (user-data, meta-data,
// network-config) into its seed directory, which every boot binds
// read-only at /var/lib/cloud/seed/nocloud. The provider's facts win over
// the controller's meta-data: instance-id, local-hostname, network (it
// wired the interface) and kubevisor.
func (p *Provider) writeSeed(rec *record, vm provider.VM) error {
	md := cloudinit.MetaData{}
	var userData []byte
	if vm.CloudInit != nil {
		userData = vm.CloudInit.UserData
		parsed, err := cloudinit.ParseMetaData(vm.CloudInit.MetaData)
		if err != nil {
			return fmt.Errorf("VM %s: %w: %w", vm.ID, err, provider.ErrInvalid)
		}
		md = parsed
	}
	network := p.networkConfig(rec)
	md["instance-id"] = rec.InstanceID
	md["local-hostname"] = rec.Hostname
	if _, ok := md["hostname"]; !ok {
		md["hostname"] = rec.Hostname
	}
	md["network"] = network
	md["kubevisor"] = map[string]any{
		"provider": "local",
		"vmID":     rec.ID,
		"biosUUID": biosUUID(rec.ID),
		"cgroup":   p.cg.Path(rec.ID),
		"ip":       rec.IP,
		"address":  strings.SplitN(rec.IP, "/", 2)[0],
	}
	mdb, err := yaml.Marshal(md)
	if err != nil {
		return err
	}
	ncb, err := yaml.Marshal(network)
	if err != nil {
		return err
	}
	d := p.vmDir(rec.ID).seed()
	for name, b := range map[string][]byte{
		cloudinit.UserDataFile: userData, cloudinit.MetaDataFile: mdb, cloudinit.NetworkConfigFile: ncb,
	} {
		if err := writeIfChanged(filepath.Join(d, name), b, 0o600); err != nil {
			return fmt.Errorf("writing VM %s's seed: %w", vm.ID, err)
		}
	}
	return nil
}

// networkConfig is the VM's network in netplan version 2 form, as
// cloud-init's NoCloud network-config and VMware guestinfo carry it.
func (p *Provider) networkConfig(rec *record) map[string]any {
	n := namesFor(rec.ID)
	eth := map[string]any{
		"match":     map[string]any{"macaddress": n.GuestMAC},
		"set-name":  GuestInterface,
		"addresses": []any{rec.IP},
		"routes":    []any{map[string]any{"to": "0.0.0.0/0", "via": p.gateway.Addr().String()}},
	}
	eth["nameservers"] = map[string]any{"addresses": p.nameservers()}
	return map[string]any{"version": 2, "ethernets": map[string]any{GuestInterface: eth}}
}

// nameservers are the VMs' name servers: the configured ones, or else the
// gateway. No resolver listens there, so a lookup of an outside name fails
// at once (ICMP port unreachable) instead of timing out, but the guest's
// /etc/resolv.conf names a server it can reach: CoreDNS's forward plugin
// refuses to start without one, and the kubelet copies the file into
// pods with dnsPolicy Default.
func (p *Provider) nameservers() []string {
	if len(p.cfg.Nameservers) > 0 {
		return p.cfg.Nameservers
	}
	return []string{p.gateway.Addr().String()}
}

// ensureScratch creates the VM's scratch directories, first filled with
// what the image has at those paths, as a fresh disk would be.
func (p *Provider) ensureScratch(rec *record) error {
	d := p.vmDir(rec.ID)
	for _, s := range rec.Scratch {
		dst := d.scratch(s)
		if _, err := os.Stat(dst); err == nil {
			continue
		}
		tmp := dst + ".tmp"
		_ = os.RemoveAll(tmp)
		if err := os.MkdirAll(tmp, 0o755); err != nil {
			return err
		}
		src := filepath.Join(p.imageRoot(rec.ImageKey), s)
		if st, err := os.Lstat(src); err == nil && st.IsDir() {
			if err := copyTree(src, tmp, sharedBelow(s, p.cfg.SharedScratch)); err != nil {
				return fmt.Errorf("filling scratch directory %s: %w", s, err)
			}
		}
		if err := os.Rename(tmp, dst); err != nil {
			return err
		}
	}
	return nil
}

// sharedBelow returns the shared paths below the scratch directory dir,
// relative to it.
func sharedBelow(dir string, shared []string) []string {
	var rels []string
	for _, sh := range shared {
		rel, err := filepath.Rel(filepath.Clean(dir), filepath.Clean(sh))
		if err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			rels = append(rels, rel)
		}
	}
	return rels
}

// copyTree copies a directory tree with modes, owners, links and device
// nodes (hard links become copies). Regular files below one of the shared
// relative paths are hard-linked instead (copied when src and dst are on
// different file systems).
func copyTree(src, dst string, shared []string) error {
	isShared := func(rel string) bool {
		for _, sh := range shared {
			if rel == sh || strings.HasPrefix(rel, sh+string(filepath.Separator)) {
				return true
			}
		}
		return false
	}
	return filepath.WalkDir(src, func(path string, de fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		info, err := de.Info()
		if err != nil {
			return err
		}
		switch {
		case de.IsDir():
			if rel != "." {
				if err := os.Mkdir(target, info.Mode().Perm()); err != nil {
					return err
				}
			}
		case info.Mode()&fs.ModeSymlink != 0:
			l, err := os.Readlink(path)
			if err != nil {
				return err
			}
			if err := os.Symlink(l, target); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if isShared(rel) {
				if err := os.Link(path, target); err == nil {
					return nil
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			if err := os.WriteFile(target, b, info.Mode().Perm()); err != nil {
				return err
			}
		default:
			return nil // device nodes, sockets: not expected under scratch paths
		}
		return copyOwnership(path, target, info)
	})
}
