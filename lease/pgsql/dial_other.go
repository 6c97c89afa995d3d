//go:build !linux

package pgsql

import (
	"context"
	"net"
	"time"
)

// tcpUserTimeoutDialer dials as pgx does by default: TCP_USER_TIMEOUT is
// Linux's, and libpq too ignores tcp_user_timeout where the system has
// no such option.
func tcpUserTimeoutDialer(time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	dialer := &net.Dialer{KeepAlive: 5 * time.Minute}
	return dialer.DialContext
}
