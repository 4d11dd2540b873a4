package cni

import (
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestConflist(t *testing.T) {
	b, err := Conflist(Network{PodCIDR: netip.MustParsePrefix("100.96.1.0/24"), MTU: 1500})
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		CNIVersion string `json:"cniVersion"`
		Name       string `json:"name"`
		Plugins    []struct {
			Type      string `json:"type"`
			Bridge    string `json:"bridge"`
			IsGateway bool   `json:"isGateway"`
			IPMasq    bool   `json:"ipMasq"`
			Hairpin   bool   `json:"hairpinMode"`
			MTU       int    `json:"mtu"`
			IPAM      struct {
				Type   string                `json:"type"`
				Ranges [][]map[string]string `json:"ranges"`
			} `json:"ipam"`
			Capabilities map[string]bool `json:"capabilities"`
		} `json:"plugins"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	if got.CNIVersion != "1.0.0" || got.Name != NetworkName || len(got.Plugins) != 2 {
		t.Fatalf("conflist:\n%s", b)
	}
	br, pm := got.Plugins[0], got.Plugins[1]
	if br.Type != "bridge" || br.Bridge != DefaultBridge || !br.IsGateway || br.IPMasq || !br.Hairpin || br.MTU != 1500 ||
		br.IPAM.Type != "host-local" || !cmp.Equal(br.IPAM.Ranges, [][]map[string]string{{{"subnet": "100.96.1.0/24"}}}) {
		t.Errorf("bridge plugin:\n%s", b)
	}
	if pm.Type != "portmap" || !pm.Capabilities["portMappings"] {
		t.Errorf("portmap plugin:\n%s", b)
	}
	if _, err := Conflist(Network{PodCIDR: netip.MustParsePrefix("fd00::/64")}); err == nil {
		t.Error("an IPv6 pod CIDR was accepted")
	}
}

func TestWriteConfig(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "net.d")
	for i, tt := range []struct {
		data  string
		wrote bool
	}{{"a\n", true}, {"a\n", false}, {"b\n", true}} {
		wrote, err := writeConfig(dir, DefaultConfName, []byte(tt.data))
		if err != nil || wrote != tt.wrote {
			t.Fatalf("write %d: wrote %v, %v; want %v", i, wrote, err, tt.wrote)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 || entries[0].Name() != DefaultConfName {
		t.Errorf("directory holds %v, want only %s", entries, DefaultConfName)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, DefaultConfName)); string(b) != "b\n" {
		t.Errorf("file holds %q", b)
	}
}

func testNode(name, podCIDR, ip string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if podCIDR != "" {
		n.Spec.PodCIDR = podCIDR
		n.Spec.PodCIDRs = []string{podCIDR}
	}
	if ip != "" {
		n.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: name}, {Type: corev1.NodeInternalIP, Address: ip}}
	}
	return n
}

func TestNodeFrom(t *testing.T) {
	n := testNode("a", "100.96.3.0/24", "198.18.0.5")
	n.Spec.PodCIDRs = []string{"fd00:1::/64", "100.96.3.0/24"}
	n.Status.Addresses = append([]corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "fd00::5"}}, n.Status.Addresses...)
	got := nodeFrom(n)
	if got.podCIDR != netip.MustParsePrefix("100.96.3.0/24") || got.ip != netip.MustParseAddr("198.18.0.5") {
		t.Errorf("nodeFrom = %+v: want the IPv4 pod CIDR and InternalIP", got)
	}
}

func TestWantedRoutes(t *testing.T) {
	r := func(dst, via string) route {
		return route{dst: netip.MustParsePrefix(dst), via: netip.MustParseAddr(via)}
	}
	for _, tt := range []struct {
		name  string
		nodes []*corev1.Node
		want  []route
	}{
		{"alone", []*corev1.Node{testNode("self", "100.96.0.0/24", "198.18.0.2")}, nil},
		{"two others", []*corev1.Node{
			testNode("self", "100.96.0.0/24", "198.18.0.2"),
			testNode("c", "100.96.2.0/24", "198.18.0.4"),
			testNode("b", "100.96.1.0/24", "198.18.0.3"),
		}, []route{r("100.96.1.0/24", "198.18.0.3"), r("100.96.2.0/24", "198.18.0.4")}},
		{"no pod CIDR yet, no address yet", []*corev1.Node{
			testNode("self", "100.96.0.0/24", "198.18.0.2"),
			testNode("b", "", "198.18.0.3"),
			testNode("c", "100.96.2.0/24", ""),
		}, nil},
		{"overlapping and duplicate ranges", []*corev1.Node{
			testNode("self", "100.96.0.0/24", "198.18.0.2"),
			testNode("b", "100.96.0.0/23", "198.18.0.3"),
			testNode("c", "100.96.5.0/24", "198.18.0.4"),
			testNode("d", "100.96.5.0/24", "198.18.0.5"),
		}, []route{r("100.96.5.0/24", "198.18.0.4")}},
		{"self without a pod CIDR still routes to others", []*corev1.Node{
			testNode("self", "", "198.18.0.2"),
			testNode("b", "100.96.1.0/24", "198.18.0.3"),
		}, []route{r("100.96.1.0/24", "198.18.0.3")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var nodes []node
			for _, n := range tt.nodes {
				nodes = append(nodes, nodeFrom(n))
			}
			got := wantedRoutes(nodes[0], nodes)
			if !cmp.Equal(got, tt.want, cmp.Comparer(func(a, b route) bool { return a == b })) {
				t.Errorf("wantedRoutes = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDiffRoutes(t *testing.T) {
	r := func(dst, via string) route {
		return route{dst: netip.MustParsePrefix(dst), via: netip.MustParseAddr(via)}
	}
	have := []route{r("100.96.1.0/24", "198.18.0.3"), r("100.96.2.0/24", "198.18.0.9"), r("100.96.7.0/24", "198.18.0.7")}
	want := []route{r("100.96.1.0/24", "198.18.0.3"), r("100.96.2.0/24", "198.18.0.4"), r("100.96.3.0/24", "198.18.0.5")}
	add, del := diffRoutes(have, want)
	eq := cmp.Comparer(func(a, b route) bool { return a == b })
	if !cmp.Equal(add, []route{r("100.96.2.0/24", "198.18.0.4"), r("100.96.3.0/24", "198.18.0.5")}, eq) {
		t.Errorf("add = %v", add)
	}
	if !cmp.Equal(del, []route{r("100.96.7.0/24", "198.18.0.7")}, eq) {
		t.Errorf("del = %v", del)
	}
}

func TestMasqueradeRules(t *testing.T) {
	got := masqueradeRules([]netip.Prefix{netip.MustParsePrefix("100.96.0.0/24"), netip.MustParsePrefix("100.96.1.0/24")})
	want := strings.Join([]string{
		"*nat",
		":KUBEVISOR-CNI-MASQ - [0:0]",
		"-A KUBEVISOR-CNI-MASQ -d 100.96.0.0/24 -j RETURN",
		"-A KUBEVISOR-CNI-MASQ -d 100.96.1.0/24 -j RETURN",
		"-A KUBEVISOR-CNI-MASQ -d 224.0.0.0/4 -j RETURN",
		"-A KUBEVISOR-CNI-MASQ -j MASQUERADE",
		"COMMIT", "",
	}, "\n")
	if got != want {
		t.Errorf("rules:\n%s\nwant:\n%s", got, want)
	}
}

func TestServerOf(t *testing.T) {
	path := filepath.Join(t.TempDir(), "kubelet.conf")
	kubeconfig := `apiVersion: v1
kind: Config
clusters:
- name: default-cluster
  cluster: {server: "https://198.18.0.10:6443", certificate-authority-data: ""}
contexts:
- name: default-context
  context: {cluster: default-cluster, user: default-auth}
current-context: default-context
users:
- name: default-auth
  user: {client-certificate: /var/lib/kubelet/pki/kubelet-client-current.pem}
`
	if err := os.WriteFile(path, []byte(kubeconfig), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := serverOf(path); err != nil || got != "https://198.18.0.10:6443" {
		t.Errorf("serverOf = %q, %v", got, err)
	}
}

func TestWaitForService(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	if !waitForService(context.Background(), addr, 5*time.Second) {
		t.Errorf("a listening address did not answer")
	}
	l.Close()
	start := time.Now()
	if waitForService(context.Background(), addr, 300*time.Millisecond) {
		t.Errorf("a closed port answered")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the wait took %s, limit 300ms", d)
	}
}
