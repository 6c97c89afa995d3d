//go:build !linux

package client

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"runtime"
)

// The transport, prober and action below need Linux (AF_PACKET sockets
// and rtnetlink). Elsewhere they exist so that programs using them build,
// and fail when used, saying so. A Client itself runs anywhere with a
// Transport (and, if wanted, a Prober and an Action) of the caller's.

func notSupported(what string) error {
	return fmt.Errorf("client: %s needs Linux; not supported on %s", what, runtime.GOOS)
}

// LinkTransport is Linux's transport on one interface; see
// NewLinkTransport.
type LinkTransport struct{}

// NewLinkTransport reports that the link transport (AF_PACKET sockets) is
// not supported on this system.
func NewLinkTransport(name string) (*LinkTransport, error) {
	return nil, notSupported("the link transport (AF_PACKET sockets) on " + name)
}

// HardwareAddr returns nothing: there is no LinkTransport here.
func (*LinkTransport) HardwareAddr() net.HardwareAddr { return nil }

// OpenUnbound reports that the link transport is not supported.
func (*LinkTransport) OpenUnbound(net.HardwareAddr) (Conn, error) {
	return nil, notSupported("the link transport")
}

// OpenBound reports that the link transport is not supported.
func (*LinkTransport) OpenBound(netip.Addr, net.HardwareAddr) (Conn, error) {
	return nil, notSupported("the link transport")
}

// ARPProber is Linux's RFC 5227 prober; see NewARPProber.
type ARPProber struct{}

// NewARPProber reports that ARP probing (AF_PACKET sockets) is not
// supported on this system.
func NewARPProber(ifname string, _ ProbeTiming) (*ARPProber, error) {
	return nil, notSupported("ARP probing (AF_PACKET sockets) on " + ifname)
}

// Close does nothing.
func (*ARPProber) Close() error { return nil }

// Probe reports that ARP probing is not supported.
func (*ARPProber) Probe(context.Context, netip.Addr, net.HardwareAddr) (bool, error) {
	return false, notSupported("ARP probing")
}

// Apply reports that configuring interfaces with rtnetlink is not
// supported on this system.
func (a *NetlinkAction) Apply(_ context.Context, ev Event) error {
	return notSupported("configuring " + ev.Interface + " with rtnetlink")
}
