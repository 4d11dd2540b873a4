package local

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

var idRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$`)

// validID reports whether id can name directories and cgroups.
func validID(id string) bool { return idRE.MatchString(id) && !strings.Contains(id, "..") }

// names are the host objects of one VM, all derived from its ID so that
// every step can find them again without stored state.
type names struct {
	// Netns is the named network namespace.
	Netns string
	// HostVeth is the host end of the veth pair (≤ 15 characters).
	HostVeth string
	// HostMAC and GuestMAC are the veth ends' fixed MAC addresses, so that
	// neighbours' ARP caches stay right across power cycles.
	HostMAC, GuestMAC string
	// UniqueID is reported as the VM's provider ID.
	UniqueID string
}

// GuestInterface is the VM's network interface name.
const GuestInterface = "eth0"

func namesFor(id string) names {
	sum := sha256.Sum256([]byte("kubevisor-vm:" + id))
	h := hex.EncodeToString(sum[:])[:12]
	return names{
		Netns:    "kv-" + h,
		HostVeth: "kvh" + h,
		HostMAC:  mac(0x06, sum[6:11]),
		GuestMAC: mac(0x02, sum[6:11]),
		UniqueID: "local-" + h,
	}
}

func mac(first byte, b []byte) string {
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", first, b[0], b[1], b[2], b[3], b[4])
}

// uuidFrom formats a name-based UUID (version 5 layout over SHA-256).
func uuidFrom(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// biosUUID and instanceUUID identify the VM's "hardware".
func biosUUID(id string) string     { return uuidFrom("bios", id) }
func instanceUUID(id string) string { return uuidFrom("instance", id) }

// diskUUID identifies a volume from its claim: stable for the claim in
// its namespace, whatever VM it is attached to.
func diskUUID(namespace, claim string) string { return uuidFrom("disk", namespace, claim) }
