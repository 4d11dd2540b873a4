package supervisor

import (
	"net"
	"os"
)

// servingNames returns the IP addresses and DNS names the API server's
// certificate must cover: every address it can be reached on, the names of
// its in-cluster Service, and any extra names the administrator asked for.
func servingNames(o Options) ([]net.IP, []string) {
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	dns := []string{"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local"}
	if host, err := os.Hostname(); err == nil && host != "" {
		dns = append(dns, host)
	}
	switch {
	case o.BindAddress.IsUnspecified():
		ips = append(ips, hostAddresses()...)
	case !o.BindAddress.IsLoopback():
		ips = append(ips, o.BindAddress)
	}
	if _, cidr, err := net.ParseCIDR(o.ServiceCIDR); err == nil {
		ip := cidr.IP.To4()
		if ip != nil {
			first := make(net.IP, len(ip))
			copy(first, ip)
			first[3]++
			ips = append(ips, first)
		}
	}
	for _, san := range o.TLSSANs {
		if ip := net.ParseIP(san); ip != nil {
			ips = append(ips, ip)
		} else if san != "" {
			dns = append(dns, san)
		}
	}
	return uniqueIPs(ips), dns
}

// clientHost is the host clients on this machine use to reach the server.
func clientHost(bind net.IP) string {
	if bind.IsUnspecified() {
		return "127.0.0.1"
	}
	return bind.String()
}

// advertiseAddress is the address published in the kubernetes Service's
// endpoints, or nil when the server listens on loopback only.
func advertiseAddress(bind net.IP) net.IP {
	switch {
	case bind.IsLoopback():
		return nil
	case bind.IsUnspecified():
		if addrs := hostAddresses(); len(addrs) > 0 {
			return addrs[0]
		}
		return nil
	}
	return bind
}

// hostAddresses lists this host's global unicast addresses, IPv4 first.
func hostAddresses() []net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil
	}
	var v4, v6 []net.IP
	for _, a := range addrs {
		ipnet, ok := a.(*net.IPNet)
		if !ok || !ipnet.IP.IsGlobalUnicast() {
			continue
		}
		if ipnet.IP.To4() != nil {
			v4 = append(v4, ipnet.IP)
		} else {
			v6 = append(v6, ipnet.IP)
		}
	}
	return append(v4, v6...)
}

func uniqueIPs(ips []net.IP) []net.IP {
	seen := map[string]bool{}
	out := ips[:0]
	for _, ip := range ips {
		if !seen[ip.String()] {
			seen[ip.String()] = true
			out = append(out, ip)
		}
	}
	return out
}

// issuerHost is the host in the SSO issuer URL: the address the API server
// and clients reach this machine on.
func issuerHost(bind net.IP) string {
	if bind.IsUnspecified() {
		if adv := advertiseAddress(bind); adv != nil {
			return adv.String()
		}
		return "127.0.0.1"
	}
	return bind.String()
}
