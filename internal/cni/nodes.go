package cni

import (
	"net/netip"
	"sort"

	corev1 "k8s.io/api/core/v1"
)

// node is what the network needs of a Node.
type node struct {
	name string
	// podCIDR is its IPv4 pod range; invalid when it has none yet.
	podCIDR netip.Prefix
	// ip is its IPv4 InternalIP; invalid when it reports none.
	ip netip.Addr
}

// nodeFrom reads a Node's IPv4 pod CIDR (spec.podCIDRs, or spec.podCIDR)
// and IPv4 InternalIP.
func nodeFrom(n *corev1.Node) node {
	out := node{name: n.Name}
	cidrs := n.Spec.PodCIDRs
	if len(cidrs) == 0 && n.Spec.PodCIDR != "" {
		cidrs = []string{n.Spec.PodCIDR}
	}
	for _, c := range cidrs {
		if p, err := netip.ParsePrefix(c); err == nil && p.Addr().Is4() {
			out.podCIDR = p.Masked()
			break
		}
	}
	for _, a := range n.Status.Addresses {
		if a.Type != corev1.NodeInternalIP {
			continue
		}
		if ip, err := netip.ParseAddr(a.Address); err == nil && ip.Is4() {
			out.ip = ip
			break
		}
	}
	return out
}

// route sends a pod CIDR to the node that holds it.
type route struct {
	dst netip.Prefix
	via netip.Addr
}

func (r route) String() string { return r.dst.String() + " via " + r.via.String() }

// wantedRoutes are the routes to every other node's pod CIDR, sorted by
// destination. Nodes without a pod CIDR or an InternalIP, and any whose
// range overlaps this node's own, get none.
func wantedRoutes(self node, nodes []node) []route {
	var out []route
	seen := map[netip.Prefix]bool{}
	for _, n := range nodes {
		if n.name == self.name || !n.podCIDR.IsValid() || !n.ip.IsValid() || n.ip == self.ip {
			continue
		}
		if self.podCIDR.IsValid() && self.podCIDR.Overlaps(n.podCIDR) {
			continue
		}
		if seen[n.podCIDR] {
			continue // two nodes claim one range: route to the first only
		}
		seen[n.podCIDR] = true
		out = append(out, route{dst: n.podCIDR, via: n.ip})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].dst.String() < out[j].dst.String() })
	return out
}

// diffRoutes says which routes to add (or change) and which to delete to
// go from have to want.
func diffRoutes(have, want []route) (add, del []route) {
	current := map[netip.Prefix]route{}
	for _, r := range have {
		current[r.dst] = r
	}
	wanted := map[netip.Prefix]bool{}
	for _, r := range want {
		wanted[r.dst] = true
		if cur, ok := current[r.dst]; !ok || cur != r {
			add = append(add, r)
		}
	}
	for _, r := range have {
		if !wanted[r.dst] {
			del = append(del, r)
		}
	}
	return add, del
}

// podCIDRs are every node's pod range, sorted.
func podCIDRs(nodes []node) []netip.Prefix {
	var out []netip.Prefix
	seen := map[netip.Prefix]bool{}
	for _, n := range nodes {
		if n.podCIDR.IsValid() && !seen[n.podCIDR] {
			seen[n.podCIDR] = true
			out = append(out, n.podCIDR)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}
