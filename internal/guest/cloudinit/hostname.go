package cloudinit

import (
	"os"
	"strings"
)

// applyHostname sets the host name from the cloud-config or the
// meta-data, writes /etc/hostname, makes the name resolve in /etc/hosts
// (rewriting the file when manage_etc_hosts is set), and writes
// /etc/resolv.conf from the network config's name servers.
func (a *Applier) applyHostname(cfg *Config) error {
	host, fqdn := hostnames(cfg, a.Seed.MetaData)
	if host == "" {
		return nil
	}
	name := host
	if cfg.PreferFQDN && fqdn != "" {
		name = fqdn
	}
	if a.SetHostname != nil {
		if err := a.SetHostname(name); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(a.path("/etc"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(a.path("/etc/hostname"), []byte(name+"\n"), 0o644); err != nil {
		return err
	}
	net := a.Seed.MetaData.Network()
	ip := "127.0.1.1"
	if len(net.Addresses) > 0 {
		ip = net.Addresses[0].Addr().String()
	}
	names := host
	if fqdn != "" && fqdn != host {
		names = fqdn + " " + host
	}
	if err := a.writeHosts(ip, names, cfg.ManageEtcHosts); err != nil {
		return err
	}
	return a.writeResolvConf(net)
}

func hostnames(cfg *Config, md MetaData) (host, fqdn string) {
	host, fqdn = cfg.Hostname, cfg.FQDN
	if host == "" && fqdn == "" {
		host = md.LocalHostname()
	}
	if host == "" && fqdn != "" {
		host, _, _ = strings.Cut(fqdn, ".")
	}
	if fqdn == "" && strings.Contains(host, ".") {
		fqdn = host
		host, _, _ = strings.Cut(host, ".")
	}
	return host, fqdn
}

const hostsMarker = "# kubevisor: this host"

func (a *Applier) writeHosts(ip, names string, manage bool) error {
	p := a.path("/etc/hosts")
	line := ip + "\t" + names + " " + hostsMarker
	old, _ := os.ReadFile(p)
	var lines []string
	if !manage {
		for _, l := range strings.Split(strings.TrimRight(string(old), "\n"), "\n") {
			if l != "" && !strings.HasSuffix(l, hostsMarker) {
				lines = append(lines, l)
			}
		}
	}
	if len(lines) == 0 {
		lines = []string{"127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"}
	}
	lines = append(lines, line)
	return os.WriteFile(p, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
}

func (a *Applier) writeResolvConf(n Network) error {
	p := a.path("/etc/resolv.conf")
	if len(n.Nameservers) == 0 {
		if _, err := os.Lstat(p); err == nil {
			return nil
		}
		// kubelet and many tools expect the file to exist.
		return os.WriteFile(p, []byte("# no name servers configured\n"), 0o644)
	}
	var b strings.Builder
	for _, ns := range n.Nameservers {
		b.WriteString("nameserver " + ns + "\n")
	}
	if len(n.Search) > 0 {
		b.WriteString("search " + strings.Join(n.Search, " ") + "\n")
	}
	_ = os.Remove(p) // it may be a dangling symlink to a resolver's file
	return os.WriteFile(p, []byte(b.String()), 0o644)
}
