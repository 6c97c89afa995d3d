package pgsql

import (
	"context"
	"net"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// tcpUserTimeoutDialer dials with TCP_USER_TIMEOUT set to d on TCP
// sockets, as libpq's tcp_user_timeout does: a connection whose server
// vanished without a reset fails after d instead of the kernel's
// retransmission limit of many minutes.
func tcpUserTimeoutDialer(d time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	dialer := &net.Dialer{KeepAlive: 5 * time.Minute, Control: func(network, _ string, c syscall.RawConn) error {
		if network != "tcp" && network != "tcp4" && network != "tcp6" {
			return nil
		}
		var serr error
		if err := c.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_USER_TIMEOUT, int(d.Milliseconds()))
		}); err != nil {
			return err
		}
		return serr
	}}
	return dialer.DialContext
}
