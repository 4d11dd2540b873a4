package cni

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// RouteProtocol marks the routes kubevisor-cni owns (rtm_protocol; `ip
// route` shows "proto 75"): routes of other protocols are never touched.
const RouteProtocol = 75

// listRoutes returns the IPv4 routes of the main table with RouteProtocol.
func listRoutes() ([]route, error) {
	data, err := syscall.NetlinkRIB(syscall.RTM_GETROUTE, syscall.AF_INET)
	if err != nil {
		return nil, fmt.Errorf("listing routes: %w", err)
	}
	msgs, err := syscall.ParseNetlinkMessage(data)
	if err != nil {
		return nil, fmt.Errorf("listing routes: %w", err)
	}
	var out []route
	for i := range msgs {
		m := &msgs[i]
		if m.Header.Type != syscall.RTM_NEWROUTE || len(m.Data) < unix.SizeofRtMsg {
			continue
		}
		rtm := (*unix.RtMsg)(unsafe.Pointer(&m.Data[0]))
		if rtm.Protocol != RouteProtocol || rtm.Table != unix.RT_TABLE_MAIN || rtm.Family != unix.AF_INET {
			continue
		}
		attrs, err := syscall.ParseNetlinkRouteAttr(m)
		if err != nil {
			return nil, fmt.Errorf("listing routes: %w", err)
		}
		var r route
		dst := netip.IPv4Unspecified()
		for _, a := range attrs {
			switch a.Attr.Type {
			case unix.RTA_DST:
				if ip, ok := netip.AddrFromSlice(a.Value); ok {
					dst = ip
				}
			case unix.RTA_GATEWAY:
				if ip, ok := netip.AddrFromSlice(a.Value); ok {
					r.via = ip
				}
			}
		}
		r.dst = netip.PrefixFrom(dst, int(rtm.Dst_len))
		out = append(out, r)
	}
	return out, nil
}

// replaceRoute adds r, or replaces the route to its destination.
func replaceRoute(r route) error {
	return routeRequest(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, r)
}

// deleteRoute removes r; a route already gone is no error.
func deleteRoute(r route) error {
	err := routeRequest(unix.RTM_DELROUTE, 0, r)
	if errors.Is(err, unix.ESRCH) {
		return nil
	}
	return err
}

// routeRequest sends one route message and waits for the kernel's answer.
func routeRequest(typ uint16, flags uint16, r route) error {
	if !r.dst.Addr().Is4() || !r.via.Is4() {
		return fmt.Errorf("route %s: IPv4 only", r)
	}
	dst, via := r.dst.Addr().As4(), r.via.As4()
	rtm := unix.RtMsg{
		Family:   unix.AF_INET,
		Dst_len:  uint8(r.dst.Bits()),
		Table:    unix.RT_TABLE_MAIN,
		Protocol: RouteProtocol,
		Scope:    unix.RT_SCOPE_UNIVERSE,
		Type:     unix.RTN_UNICAST,
	}
	body := (*[unix.SizeofRtMsg]byte)(unsafe.Pointer(&rtm))[:]
	body = append(append([]byte{}, body...), rtattr(unix.RTA_DST, dst[:])...)
	body = append(body, rtattr(unix.RTA_GATEWAY, via[:])...)

	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return fmt.Errorf("route %s: %w", r, err)
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("route %s: %w", r, err)
	}
	const seq = 1
	msg := make([]byte, unix.NLMSG_HDRLEN, unix.NLMSG_HDRLEN+len(body))
	binary.NativeEndian.PutUint32(msg[0:4], uint32(unix.NLMSG_HDRLEN+len(body)))
	binary.NativeEndian.PutUint16(msg[4:6], typ)
	binary.NativeEndian.PutUint16(msg[6:8], unix.NLM_F_REQUEST|unix.NLM_F_ACK|flags)
	binary.NativeEndian.PutUint32(msg[8:12], seq)
	msg = append(msg, body...)
	if err := unix.Sendto(fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("route %s: %w", r, err)
	}
	buf := make([]byte, 4096)
	for {
		n, _, err := unix.Recvfrom(fd, buf, 0)
		if err != nil {
			return fmt.Errorf("route %s: %w", r, err)
		}
		msgs, err := syscall.ParseNetlinkMessage(buf[:n])
		if err != nil {
			return fmt.Errorf("route %s: %w", r, err)
		}
		for _, m := range msgs {
			if m.Header.Seq != seq || m.Header.Type != unix.NLMSG_ERROR {
				continue
			}
			if len(m.Data) < 4 {
				return fmt.Errorf("route %s: short netlink answer", r)
			}
			if errno := int32(binary.NativeEndian.Uint32(m.Data[0:4])); errno != 0 {
				return fmt.Errorf("route %s: %w", r, unix.Errno(-errno))
			}
			return nil
		}
	}
}

// rtattr encodes one route attribute, padded to 4 bytes.
func rtattr(typ uint16, value []byte) []byte {
	l := unix.SizeofRtAttr + len(value)
	b := make([]byte, (l+unix.RTA_ALIGNTO-1)&^(unix.RTA_ALIGNTO-1))
	binary.NativeEndian.PutUint16(b[0:2], uint16(l))
	binary.NativeEndian.PutUint16(b[2:4], typ)
	copy(b[unix.SizeofRtAttr:], value)
	return b
}
