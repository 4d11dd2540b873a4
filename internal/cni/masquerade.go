package cni

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os/exec"
	"strings"
)

// MasqueradeChain is the nat chain that masquerades pod traffic leaving
// the pod networks.
const MasqueradeChain = "KUBEVISOR-CNI-MASQ"

const masqueradeComment = "kubevisor-cni: masquerade pod traffic leaving the pod networks"

// masqueradeRules is the iptables-restore input (used with --noflush)
// that fills MasqueradeChain: traffic to any pod CIDR or to multicast
// returns untouched, the rest is masqueraded. Declaring the chain flushes
// it, so the input replaces the chain's rules at once.
func masqueradeRules(pods []netip.Prefix) string {
	var b strings.Builder
	b.WriteString("*nat\n:" + MasqueradeChain + " - [0:0]\n")
	for _, p := range pods {
		fmt.Fprintf(&b, "-A %s -d %s -j RETURN\n", MasqueradeChain, p)
	}
	fmt.Fprintf(&b, "-A %s -d 224.0.0.0/4 -j RETURN\n", MasqueradeChain)
	fmt.Fprintf(&b, "-A %s -j MASQUERADE\n", MasqueradeChain)
	b.WriteString("COMMIT\n")
	return b.String()
}

// jumpRule is the POSTROUTING rule that sends this node's pods' traffic
// to MasqueradeChain.
func jumpRule(own netip.Prefix) []string {
	return []string{"POSTROUTING", "-s", own.String(), "-m", "comment", "--comment", masqueradeComment, "-j", MasqueradeChain}
}

// iptables runs the iptables commands (the image ships iptables-nft, as
// kube-proxy's does, so both program the same nf_tables tables).
type iptables struct {
	iptables, restore string
}

// ensureMasquerade replaces the rules of MasqueradeChain and adds the
// jump to it for this node's pod CIDR when missing.
func (t iptables) ensureMasquerade(ctx context.Context, own netip.Prefix, pods []netip.Prefix) error {
	if err := t.run(ctx, masqueradeRules(pods), t.restore, "-w", "5", "--noflush"); err != nil {
		return err
	}
	jump := jumpRule(own)
	if err := t.run(ctx, "", t.iptables, append([]string{"-w", "5", "-t", "nat", "-C"}, jump...)...); err == nil {
		return nil
	}
	return t.run(ctx, "", t.iptables, append([]string{"-w", "5", "-t", "nat", "-A"}, jump...)...)
}

func (t iptables) run(ctx context.Context, stdin, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, strings.TrimSpace(out.String()))
	}
	return nil
}
