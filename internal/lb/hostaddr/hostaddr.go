package hostaddr

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Interface is a host interface that holds load-balancer addresses.
type Interface struct {
	// Name is the interface's name, at most 15 bytes.
	Name string

	// created records that this value made the link, so Delete removes it.
	created atomic.Bool
}

// Ensure creates the interface if it does not exist and brings it up.
func (i *Interface) Ensure() error {
	if _, err := net.InterfaceByName(i.Name); err != nil {
		switch err := createLink(i.Name); {
		case err == nil:
			i.created.Store(true)
		case !errors.Is(err, unix.EEXIST):
			return fmt.Errorf("creating interface %s: %w", i.Name, err)
		}
	}
	ifc, err := net.InterfaceByName(i.Name)
	if err != nil {
		return fmt.Errorf("finding interface %s: %w", i.Name, err)
	}
	if ifc.Flags&net.FlagUp == 0 {
		if err := setUp(ifc.Index); err != nil {
			return fmt.Errorf("bringing interface %s up: %w", i.Name, err)
		}
	}
	return nil
}

// Addresses are the global (non link-local) addresses on the interface. A
// missing interface has none.
func (i *Interface) Addresses() ([]netip.Addr, error) {
	ifc, err := net.InterfaceByName(i.Name)
	if err != nil {
		return nil, nil //nolint:nilerr // no interface, no addresses
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return nil, fmt.Errorf("listing addresses of %s: %w", i.Name, err)
	}
	var out []netip.Addr
	for _, a := range addrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipn.IP)
		if !ok || ip.IsLinkLocalUnicast() {
			continue
		}
		out = append(out, ip.Unmap())
	}
	return out, nil
}

// Sync makes the interface exist and hold exactly want among its global
// addresses. It returns the addresses it removed.
func (i *Interface) Sync(want []netip.Addr) (removed []netip.Addr, err error) {
	if err := i.Ensure(); err != nil {
		return nil, err
	}
	have, err := i.Addresses()
	if err != nil {
		return nil, err
	}
	keep := map[netip.Addr]bool{}
	var errs []error
	for _, a := range want {
		keep[a.Unmap()] = true
		if err := i.Add(a); err != nil {
			errs = append(errs, err)
		}
	}
	for _, a := range have {
		if keep[a] {
			continue
		}
		if err := i.Remove(a); err != nil {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, a)
	}
	return removed, errors.Join(errs...)
}

// Add puts addr on the interface as a host address. Adding an address that
// is there already succeeds.
func (i *Interface) Add(addr netip.Addr) error {
	ifc, err := net.InterfaceByName(i.Name)
	if err != nil {
		return fmt.Errorf("adding %s to %s: %w", addr, i.Name, err)
	}
	if err := changeAddr(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, ifc.Index, addr.Unmap()); err != nil {
		return fmt.Errorf("adding %s to %s: %w", addr, i.Name, err)
	}
	return nil
}

// Remove takes addr off the interface. Removing an address that is not
// there succeeds.
func (i *Interface) Remove(addr netip.Addr) error {
	ifc, err := net.InterfaceByName(i.Name)
	if err != nil {
		return nil //nolint:nilerr // no interface, no address
	}
	err = changeAddr(unix.RTM_DELADDR, 0, ifc.Index, addr.Unmap())
	if err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("removing %s from %s: %w", addr, i.Name, err)
	}
	return nil
}

// Delete removes the interface if this value created it.
func (i *Interface) Delete() error {
	if !i.created.Load() {
		return nil
	}
	ifc, err := net.InterfaceByName(i.Name)
	if err != nil {
		return nil //nolint:nilerr // already gone
	}
	msg := ifInfo(ifc.Index, 0, 0)
	if err := request(unix.RTM_DELLINK, 0, msg); err != nil && !errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("deleting interface %s: %w", i.Name, err)
	}
	i.created.Store(false)
	return nil
}

// createLink makes a dummy link, or a bridge where the kernel has no dummy
// driver.
func createLink(name string) error {
	err := newLink(name, "dummy")
	if errors.Is(err, unix.EOPNOTSUPP) {
		err = newLink(name, "bridge")
	}
	return err
}

func newLink(name, kind string) error {
	msg := ifInfo(0, 0, 0)
	msg = appendAttr(msg, unix.IFLA_IFNAME, append([]byte(name), 0))
	msg = appendAttr(msg, unix.IFLA_LINKINFO, attr(unix.IFLA_INFO_KIND, []byte(kind)))
	return request(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL, msg)
}

func setUp(index int) error {
	return request(unix.RTM_NEWLINK, 0, ifInfo(index, unix.IFF_UP, unix.IFF_UP))
}

// ifInfo is an ifinfomsg.
func ifInfo(index int, flags, change uint32) []byte {
	b := make([]byte, unix.SizeofIfInfomsg)
	b[0] = unix.AF_UNSPEC
	binary.NativeEndian.PutUint32(b[4:], uint32(int32(index)))
	binary.NativeEndian.PutUint32(b[8:], flags)
	binary.NativeEndian.PutUint32(b[12:], change)
	return b
}

// changeAddr adds or deletes addr as a host address (/32 or /128) on the
// interface with the given index.
func changeAddr(typ uint16, flags uint16, index int, addr netip.Addr) error {
	family, bits := byte(unix.AF_INET), byte(32)
	if addr.Is6() {
		family, bits = unix.AF_INET6, 128
	}
	msg := make([]byte, unix.SizeofIfAddrmsg)
	msg[0] = family
	msg[1] = bits
	msg[3] = unix.RT_SCOPE_UNIVERSE
	binary.NativeEndian.PutUint32(msg[4:], uint32(int32(index)))
	raw := addr.AsSlice()
	msg = appendAttr(msg, unix.IFA_LOCAL, raw)
	msg = appendAttr(msg, unix.IFA_ADDRESS, raw)
	if addr.Is6() && typ == unix.RTM_NEWADDR {
		// No duplicate address detection: the address must be usable at
		// once, and it is not on a shared link.
		f := make([]byte, 4)
		binary.NativeEndian.PutUint32(f, unix.IFA_F_NODAD)
		msg = appendAttr(msg, unix.IFA_FLAGS, f)
	}
	return request(typ, flags, msg)
}

// attr is one netlink attribute, padded.
func attr(typ uint16, data []byte) []byte {
	return appendAttr(nil, typ, data)
}

func appendAttr(b []byte, typ uint16, data []byte) []byte {
	l := unix.SizeofNlAttr + len(data)
	h := make([]byte, unix.SizeofNlAttr)
	binary.NativeEndian.PutUint16(h[0:], uint16(l))
	binary.NativeEndian.PutUint16(h[2:], typ)
	b = append(b, h...)
	b = append(b, data...)
	return append(b, make([]byte, align(l)-l)...)
}

func align(n int) int { return (n + unix.NLMSG_ALIGNTO - 1) &^ (unix.NLMSG_ALIGNTO - 1) }

var seq atomic.Uint32

// request sends one rtnetlink request and waits for its acknowledgement.
func request(typ, flags uint16, payload []byte) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return os.NewSyscallError("socket", err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return os.NewSyscallError("bind", err)
	}
	n := seq.Add(1)
	msg := make([]byte, unix.SizeofNlMsghdr, unix.SizeofNlMsghdr+len(payload))
	binary.NativeEndian.PutUint32(msg[0:], uint32(unix.SizeofNlMsghdr+len(payload)))
	binary.NativeEndian.PutUint16(msg[4:], typ)
	binary.NativeEndian.PutUint16(msg[6:], flags|unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	binary.NativeEndian.PutUint32(msg[8:], n)
	msg = append(msg, payload...)
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return os.NewSyscallError("sendto", err)
	}
	buf := make([]byte, 8192)
	for {
		got, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return os.NewSyscallError("recvfrom", err)
		}
		for b := buf[:got]; len(b) >= unix.SizeofNlMsghdr; {
			l := int(binary.NativeEndian.Uint32(b[0:]))
			if l < unix.SizeofNlMsghdr || l > len(b) {
				return errors.New("malformed netlink message")
			}
			mtyp := binary.NativeEndian.Uint16(b[4:])
			mseq := binary.NativeEndian.Uint32(b[8:])
			if mseq == n && mtyp == unix.NLMSG_ERROR && l >= unix.SizeofNlMsghdr+4 {
				if errno := int32(binary.NativeEndian.Uint32(b[unix.SizeofNlMsghdr:])); errno != 0 {
					return unix.Errno(-errno)
				}
				return nil
			}
			b = b[min(align(l), len(b)):]
		}
	}
}
