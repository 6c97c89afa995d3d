package sdnotify

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// Notifier sends state changes to the service manager. A nil *Notifier
// is valid and sends nothing, so callers need not check whether they run
// under systemd.
type Notifier struct {
	addr *net.UnixAddr
}

// New returns a Notifier for $NOTIFY_SOCKET, or nil when the variable is
// not set (not started by systemd, or Type= is not notify).
func New() (*Notifier, error) {
	return At(os.Getenv("NOTIFY_SOCKET"))
}

// At returns a Notifier for a socket path ("@name" for an abstract
// socket); nil for an empty path.
func At(socket string) (*Notifier, error) {
	if socket == "" {
		return nil, nil
	}
	if socket[0] != '/' && socket[0] != '@' {
		return nil, fmt.Errorf("NOTIFY_SOCKET %q: not an absolute path or an abstract socket name", socket)
	}
	return &Notifier{addr: &net.UnixAddr{Name: socket, Net: "unixgram"}}, nil
}

// Enabled reports whether notifications go anywhere.
func (n *Notifier) Enabled() bool { return n != nil }

// Notify sends one datagram of newline-separated VAR=value assignments.
func (n *Notifier) Notify(state string) error {
	if n == nil {
		return nil
	}
	c, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte(state)); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}

// Ready tells that start-up, or a reload, is complete.
func (n *Notifier) Ready() error { return n.Notify("READY=1") }

// Reloading tells that the configuration is being reloaded; send Ready
// when done. MONOTONIC_USEC is included, as Type=notify-reload requires.
func (n *Notifier) Reloading() error {
	if n == nil {
		return nil
	}
	return n.Notify("RELOADING=1\nMONOTONIC_USEC=" + strconv.FormatInt(monotonicUsec(), 10))
}

// Stopping tells that the service is shutting down.
func (n *Notifier) Stopping() error { return n.Notify("STOPPING=1") }

// Watchdog tells the watchdog that the service is alive.
func (n *Notifier) Watchdog() error { return n.Notify("WATCHDOG=1") }

// Status sets the free-form status line shown by systemctl status.
func (n *Notifier) Status(s string) error {
	return n.Notify("STATUS=" + strings.ReplaceAll(s, "\n", " "))
}

// monotonicUsec is CLOCK_MONOTONIC in microseconds, the clock systemd
// compares MONOTONIC_USEC against.
func monotonicUsec() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0
	}
	return ts.Nano() / 1e3
}

// WatchdogInterval returns the watchdog timeout systemd expects pings
// within ($WATCHDOG_USEC), when it is set and meant for this process
// ($WATCHDOG_PID, if set, is our PID).
func WatchdogInterval() (time.Duration, bool) {
	usec := os.Getenv("WATCHDOG_USEC")
	if usec == "" {
		return 0, false
	}
	if pid := os.Getenv("WATCHDOG_PID"); pid != "" && pid != strconv.Itoa(os.Getpid()) {
		return 0, false
	}
	n, err := strconv.ParseInt(usec, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return time.Duration(n) * time.Microsecond, true
}

// RunWatchdog pings the watchdog every half interval until ctx is done.
// It returns at once when there is no watchdog or no notifier. alive, if
// not nil, is asked before each ping: a main loop that is stuck should
// answer false, so that systemd notices.
func (n *Notifier) RunWatchdog(ctx context.Context, interval time.Duration, alive func() bool) {
	if n == nil || interval <= 0 {
		return
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if alive == nil || alive() {
				n.Watchdog()
			}
		}
	}
}
