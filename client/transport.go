package client

import (
	"context"
	"net"
	"net/netip"
)

// Ports of RFC 2131 §4.1.
const (
	ServerPort = 67
	ClientPort = 68
)

// Broadcast is the limited broadcast address, where messages go when the
// client has no server address to use.
var Broadcast = netip.AddrFrom4([4]byte{255, 255, 255, 255})

// Transport opens the connections a client sends and receives on.
type Transport interface {
	// OpenUnbound returns a connection for a client with no usable
	// address: messages go out from 0.0.0.0, and it receives the replies
	// addressed to hw whatever their IP destination.
	OpenUnbound(hw net.HardwareAddr) (Conn, error)
	// OpenBound returns a connection for a client that holds addr:
	// messages go out from addr, unicast or broadcast.
	OpenBound(addr netip.Addr, hw net.HardwareAddr) (Conn, error)
}

// Conn is one connection of a Transport. Receive and Close may be called
// concurrently with Send.
type Conn interface {
	// Send sends a DHCP message to dst, port 67. dst is Broadcast or a
	// server's address.
	Send(msg []byte, dst netip.Addr) error
	// Receive waits for the next DHCP message to port 68 and copies it into
	// b, returning its length. After Close it returns an error.
	Receive(b []byte) (int, error)
	Close() error
}

// LinkChecker is implemented by transports that can tell whether their
// interface still exists and is usable. The client calls CheckLink every
// LinkCheckInterval and stops with its error.
type LinkChecker interface {
	CheckLink() error
}

// LinkWatcher is implemented by transports that can report when their
// interface loses its link and gets it back. A client that holds a lease
// confirms it with INIT-REBOOT when the link returns, as RFC 2131 §3.7
// asks of a client that may have moved to another network.
type LinkWatcher interface {
	// WatchLink starts watching the link. The client calls it from the
	// goroutine that runs it, so that the watch is made in that
	// goroutine's network namespace, and reads it from another.
	WatchLink() (LinkWatch, error)
}

// LinkWatch is one watch of a LinkWatcher.
type LinkWatch interface {
	// Next waits for the link's state to change and reports whether it is
	// up (administratively up with carrier). The first call reports the
	// state when the watch began. After Close it returns an error.
	Next() (up bool, err error)
	Close() error
}

// Prober checks whether an address is in use on the link before the
// client takes it (RFC 5227).
type Prober interface {
	// Probe reports whether another host uses addr. hw is the client's own
	// hardware address, whose answers do not count.
	Probe(ctx context.Context, addr netip.Addr, hw net.HardwareAddr) (conflict bool, err error)
}

// Store is told about the leases a client binds and drops, so that it can
// persist them. Save is called before the Action applies a lease, so a
// lease is on disk before the system uses it.
type Store interface {
	Save(l *Lease) error
	Remove() error
}
