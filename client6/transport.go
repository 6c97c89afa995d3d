package client6

import (
	"context"
	"net/netip"
)

// AllServers is All_DHCP_Relay_Agents_and_Servers (RFC 8415 §7.1), where
// a client multicasts its messages.
var AllServers = netip.MustParseAddr("ff02::1:2")

// Transport opens the connection a client sends and receives on.
type Transport interface {
	Open() (Conn, error)
}

// Conn is one connection of a Transport. Receive and Close may be called
// concurrently with Send.
type Conn interface {
	// Send sends a message to dst, port 547: AllServers or a server's
	// unicast address.
	Send(msg []byte, dst netip.Addr) error
	// Receive waits for the next message to port 546 and copies it into
	// b, returning its length. After Close it returns an error.
	Receive(b []byte) (int, error)
	Close() error
}

// Store is told about the bindings a client makes and drops, so that it
// can persist them. Save is called before the Action applies a binding.
type Store interface {
	Save(b *Binding) error
	Remove() error
}

// DADChecker is implemented by Actions that can tell whether duplicate
// address detection failed for addresses they configured (RFC 8415
// §18.2.10.1 asks the client to check, and to Decline those in use).
type DADChecker interface {
	// WatchDAD begins watching the detection on addrs of the interface.
	// It is called on the client's goroutine, so it sees the network
	// namespace the client runs in. The wait it returns runs on a
	// goroutine of its own while the client goes on: it waits, until ctx
	// ends at the latest, for the detection to finish and returns the
	// addresses found in use.
	WatchDAD(ifname string, addrs []netip.Addr) (wait func(ctx context.Context) ([]netip.Addr, error), err error)
}
