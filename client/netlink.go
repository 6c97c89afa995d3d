package client

import "time"

// NetlinkAction applies leases to the interface with rtnetlink: it sets
// the address with the lease's remaining time as its valid and preferred
// lifetime (so that the kernel drops it at expiry even if nobody is left
// to), installs the default route or the classless static routes, and, if
// ResolvConf is set, writes the name servers there.
//
// A renewed lease replaces the address in place (only its lifetimes
// change) and its routes are replaced, so nothing leaves the interface
// while a lease lives on; routes of the old lease that the new one lacks
// are removed after the new ones are in. A lease with a different address
// removes the old address and its routes first. Otherwise nothing is
// removed until a lease expires, is refused or released.
type NetlinkAction struct {
	// Metric is the priority of the routes it installs.
	Metric uint32
	// ResolvConf, if set, is a file that receives "nameserver" and
	// "search" lines for the lease, written atomically, and is removed
	// with the lease.
	ResolvConf string
	// NoRoutes leaves routes alone.
	NoRoutes bool
	// Now is the clock used for address lifetimes; default time.Now.
	Now func() time.Time
}
