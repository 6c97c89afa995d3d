//go:build !linux

package snoop

import (
	"context"
	"fmt"
	"runtime"
)

// Sniffer reads the DHCPv4 messages that pass one interface. It needs
// Linux's packet sockets; elsewhere Listen fails with ErrUnsupported.
type Sniffer struct{}

// Listen fails with ErrUnsupported: this system has no packet sockets.
func Listen(iface string, cfg *Config) (*Sniffer, error) {
	return nil, fmt.Errorf("%w; not available on %s", ErrUnsupported, runtime.GOOS)
}

// Read never returns a message.
func (s *Sniffer) Read(ctx context.Context) (*Message, error) { return nil, ErrUnsupported }

// Stats returns nothing.
func (s *Sniffer) Stats() (Stats, error) { return Stats{}, ErrUnsupported }

// Close does nothing.
func (s *Sniffer) Close() error { return nil }
