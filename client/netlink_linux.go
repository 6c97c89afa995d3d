package client

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Apply applies ev to the interface ev.Interface.
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
	now := time.Now()
	if a.Now != nil {
		now = a.Now()
	}
	if !ev.Kind.Applies() {
		return a.remove(nl, ifi.Index, ev.Old, true)
	}
	l := ev.Lease
	if ev.Old != nil && ev.Old.Address != l.Address {
		// A new address: the old one goes first. Deleting a primary
		// address deletes its secondaries too (unless promote_secondaries
		// is set), so adding the new one first could lose it.
		if err := a.remove(nl, ifi.Index, ev.Old, false); err != nil {
			return err
		}
	}
	if err := nl.addAddr(ifi.Index, l.Address, lifetime(l, now)); err != nil {
		return fmt.Errorf("netlink: adding %v to %s: %w", l.Address, ifi.Name, err)
	}
	if !a.NoRoutes {
		want := leaseRoutes(l)
		for _, r := range want {
			if err := nl.replaceRoute(ifi.Index, r, l.Address.Addr(), a.Metric); err != nil {
				return fmt.Errorf("netlink: route %v via %v on %s: %w", r.Dest, r.Gateway, ifi.Name, err)
			}
		}
		if ev.Old != nil && ev.Old.Address == l.Address {
			for _, r := range leaseRoutes(ev.Old) {
				if !slices.Contains(want, r) {
					if err := nl.delRoute(ifi.Index, r, a.Metric); err != nil && !isGone(err) {
						return fmt.Errorf("netlink: removing route %v on %s: %w", r.Dest, ifi.Name, err)
					}
				}
			}
		}
	}
	if a.ResolvConf != "" {
		if err := writeResolvConf(a.ResolvConf, ev.Interface, l); err != nil {
			return err
		}
	}
	return nil
}

func (a *NetlinkAction) remove(nl *netlinkConn, ifindex int, old *Lease, resolv bool) error {
	if old == nil {
		return nil
	}
	var errs []error
	if !a.NoRoutes {
		for _, r := range leaseRoutes(old) {
			if err := nl.delRoute(ifindex, r, a.Metric); err != nil && !isGone(err) {
				errs = append(errs, fmt.Errorf("netlink: removing route %v: %w", r.Dest, err))
			}
		}
	}
	if err := nl.delAddr(ifindex, old.Address); err != nil && !isGone(err) {
		errs = append(errs, fmt.Errorf("netlink: removing %v: %w", old.Address, err))
	}
	if resolv && a.ResolvConf != "" {
		if err := os.Remove(a.ResolvConf); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// leaseRoutes lists the routes a lease asks for: its classless routes, or
// a default route through its first router. A router outside the subnet
// gets an on-link host route first, so that it is reachable.
func leaseRoutes(l *Lease) []Route {
	var rs []Route
	add := func(r Route) {
		if r.Gateway.IsValid() && !r.Gateway.IsUnspecified() && !l.Address.Masked().Contains(r.Gateway) {
			host := Route{Dest: netip.PrefixFrom(r.Gateway, 32), Gateway: netip.IPv4Unspecified()}
			if !slices.Contains(rs, host) {
				rs = append(rs, host)
			}
		}
		rs = append(rs, r)
	}
	if len(l.Routes) > 0 {
		for _, r := range l.Routes {
			add(r)
		}
		return rs
	}
	if len(l.Routers) > 0 {
		add(Route{Dest: netip.PrefixFrom(netip.IPv4Unspecified(), 0), Gateway: l.Routers[0]})
	}
	return rs
}

// lifetime is the address lifetime in seconds for the kernel.
func lifetime(l *Lease, now time.Time) uint32 {
	if l.Infinite() {
		return math.MaxUint32 // INFINITY_LIFE_TIME
	}
	secs := math.Ceil(l.Remaining(now).Seconds())
	return uint32(min(max(secs, 1), math.MaxUint32-1))
}

func writeResolvConf(path, ifname string, l *Lease) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# written by leased client for %s\n", ifname)
	if l.DomainName != "" {
		fmt.Fprintf(&b, "search %s\n", l.DomainName)
	}
	for _, d := range l.DNS {
		fmt.Fprintf(&b, "nameserver %s\n", d)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("resolv.conf: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(b.String()); err != nil {
		tmp.Close()
		return fmt.Errorf("resolv.conf: %w", err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("resolv.conf: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("resolv.conf: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("resolv.conf: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("resolv.conf: %w", err)
	}
	return nil
}

// isGone reports whether a netlink error says the object was not there.
func isGone(err error) bool {
	return errors.Is(err, unix.ESRCH) || errors.Is(err, unix.EADDRNOTAVAIL) || errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ENODEV)
}

// netlinkConn is a NETLINK_ROUTE socket that sends one request at a time
// and waits for its acknowledgement.
type netlinkConn struct {
	fd  int
	seq uint32
}

func dialNetlink() (*netlinkConn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink bind: %w", err)
	}
	tv := unix.NsecToTimeval(int64(5 * time.Second))
	_ = unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	// Each Apply uses a socket of its own, so sequence numbers need only be
	// distinct on it.
	return &netlinkConn{fd: fd}, nil
}

func (c *netlinkConn) close() { unix.Close(c.fd) }

// nlMsg builds one netlink request in host byte order.
type nlMsg struct{ b []byte }

func newNLMsg(typ, flags uint16, seq uint32, body []byte) *nlMsg {
	m := &nlMsg{b: make([]byte, unix.SizeofNlMsghdr, 128)}
	binary.NativeEndian.PutUint16(m.b[4:], typ)
	binary.NativeEndian.PutUint16(m.b[6:], flags|unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	binary.NativeEndian.PutUint32(m.b[8:], seq)
	m.b = append(m.b, body...)
	m.pad()
	return m
}

func (m *nlMsg) pad() {
	for len(m.b)%4 != 0 {
		m.b = append(m.b, 0)
	}
}

func (m *nlMsg) attr(typ uint16, v []byte) {
	m.b = binary.NativeEndian.AppendUint16(m.b, uint16(unix.SizeofRtAttr+len(v)))
	m.b = binary.NativeEndian.AppendUint16(m.b, typ)
	m.b = append(m.b, v...)
	m.pad()
}

func (m *nlMsg) attrU32(typ uint16, v uint32) {
	m.attr(typ, binary.NativeEndian.AppendUint32(nil, v))
}

func (m *nlMsg) attrAddr(typ uint16, a netip.Addr) {
	a4 := a.As4()
	m.attr(typ, a4[:])
}

func (m *nlMsg) bytes() []byte {
	binary.NativeEndian.PutUint32(m.b[0:], uint32(len(m.b)))
	return m.b
}

// do sends a request and waits for its acknowledgement.
func (c *netlinkConn) do(typ, flags uint16, body []byte, attrs func(*nlMsg)) error {
	c.seq++
	m := newNLMsg(typ, flags, c.seq, body)
	if attrs != nil {
		attrs(m)
	}
	if err := unix.Sendto(c.fd, m.bytes(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return fmt.Errorf("netlink send: %w", err)
	}
	buf := make([]byte, 8192)
	for {
		n, _, err := unix.Recvfrom(c.fd, buf, 0)
		if err != nil {
			return fmt.Errorf("netlink receive: %w", err)
		}
		msgs, ok := splitNL(buf[:n])
		for _, r := range msgs {
			if r.seq == c.seq && r.typ == unix.NLMSG_ERROR {
				if len(r.body) < 4 {
					return errors.New("netlink: short error message")
				}
				if e := int32(binary.NativeEndian.Uint32(r.body)); e != 0 {
					return unix.Errno(-e)
				}
				return nil
			}
		}
		if !ok {
			return errors.New("netlink: malformed reply")
		}
	}
}

// nlReply is one message of a netlink datagram.
type nlReply struct {
	typ  uint16
	seq  uint32
	body []byte // after the header
}

// splitNL splits a netlink datagram into its messages. ok is false when a
// message's length does not fit the datagram; the messages before it are
// returned.
func splitNL(b []byte) (msgs []nlReply, ok bool) {
	for len(b) >= unix.SizeofNlMsghdr {
		l := int(binary.NativeEndian.Uint32(b[0:]))
		if l < unix.SizeofNlMsghdr || l > len(b) {
			return msgs, false
		}
		msgs = append(msgs, nlReply{
			typ:  binary.NativeEndian.Uint16(b[4:]),
			seq:  binary.NativeEndian.Uint32(b[8:]),
			body: b[unix.SizeofNlMsghdr:l],
		})
		b = b[min((l+3)&^3, len(b)):]
	}
	return msgs, true
}

func ifaddrmsg(p netip.Prefix, ifindex int) []byte {
	b := []byte{unix.AF_INET, byte(p.Bits()), 0, unix.RT_SCOPE_UNIVERSE}
	return binary.NativeEndian.AppendUint32(b, uint32(ifindex))
}

func (c *netlinkConn) addAddr(ifindex int, p netip.Prefix, life uint32) error {
	return c.do(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, ifaddrmsg(p, ifindex), func(m *nlMsg) {
		m.attrAddr(unix.IFA_LOCAL, p.Addr())
		m.attrAddr(unix.IFA_ADDRESS, p.Addr())
		if p.Bits() <= 30 {
			m.attrAddr(unix.IFA_BROADCAST, broadcastAddr(p))
		}
		ci := make([]byte, 0, unix.SizeofIfaCacheinfo)
		ci = binary.NativeEndian.AppendUint32(ci, life) // preferred
		ci = binary.NativeEndian.AppendUint32(ci, life) // valid
		ci = binary.NativeEndian.AppendUint32(ci, 0)
		ci = binary.NativeEndian.AppendUint32(ci, 0)
		m.attr(unix.IFA_CACHEINFO, ci)
	})
}

func (c *netlinkConn) delAddr(ifindex int, p netip.Prefix) error {
	return c.do(unix.RTM_DELADDR, 0, ifaddrmsg(p, ifindex), func(m *nlMsg) {
		m.attrAddr(unix.IFA_LOCAL, p.Addr())
		m.attrAddr(unix.IFA_ADDRESS, p.Addr())
	})
}

func rtmsg(r Route) []byte {
	scope := byte(unix.RT_SCOPE_UNIVERSE)
	if !r.Gateway.IsValid() || r.Gateway.IsUnspecified() {
		scope = unix.RT_SCOPE_LINK
	}
	return []byte{
		unix.AF_INET, byte(r.Dest.Bits()), 0, 0, // family, dst_len, src_len, tos
		unix.RT_TABLE_MAIN, unix.RTPROT_DHCP, scope, unix.RTN_UNICAST,
		0, 0, 0, 0, // flags
	}
}

func (c *netlinkConn) replaceRoute(ifindex int, r Route, src netip.Addr, metric uint32) error {
	return c.do(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_REPLACE, rtmsg(r), func(m *nlMsg) {
		routeAttrs(m, ifindex, r, metric)
		m.attrAddr(unix.RTA_PREFSRC, src)
	})
}

func (c *netlinkConn) delRoute(ifindex int, r Route, metric uint32) error {
	return c.do(unix.RTM_DELROUTE, 0, rtmsg(r), func(m *nlMsg) { routeAttrs(m, ifindex, r, metric) })
}

func routeAttrs(m *nlMsg, ifindex int, r Route, metric uint32) {
	if r.Dest.Bits() > 0 {
		m.attrAddr(unix.RTA_DST, r.Dest.Masked().Addr())
	}
	if r.Gateway.IsValid() && !r.Gateway.IsUnspecified() {
		m.attrAddr(unix.RTA_GATEWAY, r.Gateway)
	}
	m.attrU32(unix.RTA_OIF, uint32(ifindex))
	m.attrU32(unix.RTA_PRIORITY, metric)
}
