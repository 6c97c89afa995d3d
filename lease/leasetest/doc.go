// Package leasetest checks that a lease.Store behaves as the interface
// says. Every backend runs [Run] from its tests, so the embedded store and
// the SQL one answer alike.
package leasetest
