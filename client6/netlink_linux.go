package client6

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// Apply applies ev to the interface ev.Interface: the addresses of
// ev.Binding are added or their lifetimes replaced, and those of ev.Old
// that ev.Binding lacks are removed.
func (a *NetlinkAction) Apply(ctx context.Context, ev Event) error {
	ifi, err := net.InterfaceByName(ev.Interface)
	if err != nil {
		return fmt.Errorf("netlink: interface %q: %w", ev.Interface, err)
	}
	nl, err := dialNetlink()
	if err != nil {
		return err
	}
	defer nl.close()
	var keep []netip.Addr
	if ev.Binding != nil {
		now := time.Now()
		for _, ia := range ev.Binding.IANA {
			for _, ad := range ia.Addresses {
				keep = append(keep, ad.Addr)
				pref, valid := remaining(ia.Received, ad.Preferred, now), remaining(ia.Received, ad.Valid, now)
				if valid == 0 {
					continue
				}
				if err := nl.addr(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, ifi.Index, ad.Addr, pref, valid); err != nil {
					return fmt.Errorf("netlink: adding %v to %s: %w", ad.Addr, ifi.Name, err)
				}
			}
		}
	}
	var errs []error
	if ev.Old != nil {
		for _, old := range ev.Old.Addrs() {
			if slices.Contains(keep, old) {
				continue
			}
			if err := nl.addr(unix.RTM_DELADDR, 0, ifi.Index, old, 0, 0); err != nil && !errors.Is(err, unix.EADDRNOTAVAIL) && !errors.Is(err, unix.ENODEV) {
				errs = append(errs, fmt.Errorf("netlink: removing %v from %s: %w", old, ifi.Name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// WatchDAD opens a netlink socket in the caller's network namespace; its
// wait polls the interface's addresses through it until none of addrs is
// still tentative, and returns those whose detection failed: flagged
// dadfailed, or gone while tentative.
func (a *NetlinkAction) WatchDAD(ifname string, addrs []netip.Addr) (func(context.Context) ([]netip.Addr, error), error) {
	ifi, err := net.InterfaceByName(ifname)
	if err != nil {
		return nil, fmt.Errorf("netlink: interface %q: %w", ifname, err)
	}
	nl, err := dialNetlink()
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context) ([]netip.Addr, error) {
		defer nl.close()
		return nl.waitDAD(ctx, ifname, ifi.Index, addrs)
	}, nil
}

func (nl *netlinkConn) waitDAD(ctx context.Context, ifname string, ifindex int, addrs []netip.Addr) ([]netip.Addr, error) {
	tentative := map[netip.Addr]bool{}
	for {
		flags, err := nl.addrFlags(ifindex)
		if err != nil {
			return nil, err
		}
		var failed []netip.Addr
		pending := false
		for _, ad := range addrs {
			f, ok := flags[ad]
			switch {
			case !ok:
				// The kernel keeps a permanent address whose detection
				// failed, flagged dadfailed, but deletes one with
				// lifetimes, as the client's are.
				if tentative[ad] {
					failed = append(failed, ad)
				}
			case f&unix.IFA_F_DADFAILED != 0:
				failed = append(failed, ad)
			case f&unix.IFA_F_TENTATIVE != 0:
				tentative[ad] = true
				pending = true
			}
		}
		if !pending {
			return failed, nil
		}
		select {
		case <-ctx.Done():
			return failed, fmt.Errorf("netlink: duplicate address detection on %s not finished: %w", ifname, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type netlinkConn struct {
	fd  int
	seq atomic.Uint32
}

func dialNetlink() (*netlinkConn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink: socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink: bind: %w", err)
	}
	return &netlinkConn{fd: fd}, nil
}

func (n *netlinkConn) close() { unix.Close(n.fd) }

func attr(typ uint16, data []byte) []byte {
	l := unix.SizeofRtAttr + len(data)
	b := make([]byte, (l+3)&^3)
	binary.NativeEndian.PutUint16(b, uint16(l))
	binary.NativeEndian.PutUint16(b[2:], typ)
	copy(b[unix.SizeofRtAttr:], data)
	return b
}

// addr adds, replaces or deletes a /128 address.
func (n *netlinkConn) addr(typ uint16, flags uint16, ifindex int, a netip.Addr, pref, valid uint32) error {
	return n.prefixAddr(typ, flags, ifindex, netip.PrefixFrom(a, 128), pref, valid)
}

// prefixAddr adds, replaces or deletes an address with its prefix length.
func (n *netlinkConn) prefixAddr(typ uint16, flags uint16, ifindex int, p netip.Prefix, pref, valid uint32) error {
	a := p.Addr()
	body := make([]byte, unix.SizeofIfAddrmsg)
	body[0] = unix.AF_INET6
	body[1] = byte(p.Bits())
	binary.NativeEndian.PutUint32(body[4:], uint32(ifindex))
	a16 := a.As16()
	body = append(body, attr(unix.IFA_ADDRESS, a16[:])...)
	if typ == unix.RTM_NEWADDR {
		ci := make([]byte, 16)
		binary.NativeEndian.PutUint32(ci, pref)
		binary.NativeEndian.PutUint32(ci[4:], valid)
		body = append(body, attr(unix.IFA_CACHEINFO, ci)...)
	}
	_, err := n.request(typ, flags|unix.NLM_F_ACK, body)
	return err
}

// addrFlags dumps the IPv6 addresses of an interface with their flags.
func (n *netlinkConn) addrFlags(ifindex int) (map[netip.Addr]uint32, error) {
	body := make([]byte, unix.SizeofIfAddrmsg)
	body[0] = unix.AF_INET6
	msgs, err := n.request(unix.RTM_GETADDR, unix.NLM_F_DUMP, body)
	if err != nil {
		return nil, err
	}
	out := map[netip.Addr]uint32{}
	for _, m := range msgs {
		if len(m) < unix.SizeofIfAddrmsg || binary.NativeEndian.Uint32(m[4:]) != uint32(ifindex) {
			continue
		}
		flags := uint32(m[2])
		var addr netip.Addr
		for b := m[unix.SizeofIfAddrmsg:]; len(b) >= unix.SizeofRtAttr; {
			l := int(binary.NativeEndian.Uint16(b))
			if l < unix.SizeofRtAttr || l > len(b) {
				break
			}
			v := b[unix.SizeofRtAttr:l]
			switch binary.NativeEndian.Uint16(b[2:]) {
			case unix.IFA_ADDRESS:
				if len(v) == 16 {
					addr = netip.AddrFrom16([16]byte(v))
				}
			case unix.IFA_FLAGS:
				if len(v) == 4 {
					flags = binary.NativeEndian.Uint32(v)
				}
			}
			b = b[min((l+3)&^3, len(b)):]
		}
		if addr.IsValid() {
			out[addr] = flags
		}
	}
	return out, nil
}

// request sends one netlink request and reads its answer: the payloads
// of a dump, or nothing for an acknowledged change.
func (n *netlinkConn) request(typ, flags uint16, body []byte) ([][]byte, error) {
	seq := n.seq.Add(1)
	msg := make([]byte, unix.SizeofNlMsghdr, unix.SizeofNlMsghdr+len(body))
	msg = append(msg, body...)
	binary.NativeEndian.PutUint32(msg, uint32(len(msg)))
	binary.NativeEndian.PutUint16(msg[4:], typ)
	binary.NativeEndian.PutUint16(msg[6:], flags|unix.NLM_F_REQUEST)
	binary.NativeEndian.PutUint32(msg[8:], seq)
	if err := unix.Sendto(n.fd, msg, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("netlink: send: %w", err)
	}
	var out [][]byte
	buf := make([]byte, 1<<16)
	for {
		nr, _, err := unix.Recvfrom(n.fd, buf, 0)
		if err != nil {
			return nil, fmt.Errorf("netlink: receive: %w", err)
		}
		b := buf[:nr]
		for len(b) >= unix.SizeofNlMsghdr {
			l := int(binary.NativeEndian.Uint32(b))
			if l < unix.SizeofNlMsghdr || l > len(b) {
				return nil, errors.New("netlink: malformed answer")
			}
			mtyp := binary.NativeEndian.Uint16(b[4:])
			mseq := binary.NativeEndian.Uint32(b[8:])
			payload := b[unix.SizeofNlMsghdr:l]
			b = b[min((l+3)&^3, len(b)):]
			if mseq != seq {
				continue
			}
			switch mtyp {
			case unix.NLMSG_DONE:
				return out, nil
			case unix.NLMSG_ERROR:
				if len(payload) < 4 {
					return nil, errors.New("netlink: short error message")
				}
				if e := int32(binary.NativeEndian.Uint32(payload)); e != 0 {
					return nil, unix.Errno(-e)
				}
				return out, nil
			default:
				out = append(out, append([]byte(nil), payload...))
			}
		}
	}
}
