//go:build !linux

package client6

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
)

// The transport and action below need Linux (SO_BINDTODEVICE and
// rtnetlink). Elsewhere they exist so that programs using them build, and
// fail when used, saying so. A Client itself runs anywhere with a
// Transport and an Action of the caller's.

func notSupported(what string) error {
	return fmt.Errorf("client6: %s needs Linux; not supported on %s", what, runtime.GOOS)
}

// UDPTransport is Linux's transport on one interface.
type UDPTransport struct {
	Interface string
}

// Open reports that the transport is not supported on this system.
func (t *UDPTransport) Open() (Conn, error) {
	return nil, notSupported("the UDP transport on " + t.Interface)
}

// Apply reports that the netlink action is not supported on this system.
func (a *NetlinkAction) Apply(ctx context.Context, ev Event) error {
	return notSupported("the netlink action")
}

// WatchDAD reports that the netlink action is not supported.
func (a *NetlinkAction) WatchDAD(ifname string, addrs []netip.Addr) (func(context.Context) ([]netip.Addr, error), error) {
	return nil, notSupported("checking duplicate address detection")
}

// Apply reports that the downstream action is not supported on this
// system.
func (a *DownstreamAction) Apply(ctx context.Context, ev Event) error {
	return notSupported("the downstream action")
}
