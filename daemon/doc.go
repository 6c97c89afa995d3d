// Package daemon runs leased as a process: it loads the configuration,
// opens the lease store it names, serves DHCP on the configured interfaces
// with package server, reloads on request keeping the last good
// configuration, and shuts down in order.
package daemon
