//go:build !linux

package meshd

import (
	"context"
	"fmt"
	"runtime"
)

// openD2D reports that the node-to-node sockets are not supported: they
// are bound to the mesh interface with SO_BINDTODEVICE, as ddhcpd's are,
// which only Linux has.
func openD2D(_ context.Context, ifname string) (*d2d, error) {
	return nil, fmt.Errorf("mesh interface (-i) %s: the node-to-node sockets need Linux (SO_BINDTODEVICE); not supported on %s", ifname, runtime.GOOS)
}
