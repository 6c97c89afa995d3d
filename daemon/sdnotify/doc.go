// Package sdnotify tells systemd about the daemon's state through the
// sd_notify protocol: READY=1 after start-up and after a reload,
// RELOADING=1 (with MONOTONIC_USEC, for Type=notify-reload) when a
// reload begins, STOPPING=1 on shutdown, and WATCHDOG=1 pings within the
// interval $WATCHDOG_USEC asks for.
//
// It speaks the protocol directly (a datagram to $NOTIFY_SOCKET) and
// needs neither libsystemd nor systemd itself. Without $NOTIFY_SOCKET,
// [New] returns a nil [*Notifier], whose methods do nothing.
package sdnotify
