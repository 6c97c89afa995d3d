package snoop

import "errors"

// ErrUnsupported is returned by Listen on systems other than Linux.
var ErrUnsupported = errors.New("snoop: watching DHCP traffic needs Linux packet sockets")

// Config adjusts a Sniffer. The zero value (or nil) is fine.
type Config struct {
	// Promiscuous puts the interface in promiscuous mode while the
	// Sniffer is open, to see unicast frames addressed to other hosts.
	Promiscuous bool
}

// Stats is what the kernel counted for a Sniffer's socket.
type Stats struct {
	Received uint64 // frames that passed the filter
	Dropped  uint64 // of those, frames lost because the queue was full
}
