// Package demo is `leased demo`: it builds a private network of two
// network namespaces joined by a veth pair, runs the leased server in one
// with a Kea-format configuration, runs several DHCP clients in the other,
// each on its own interface and hardware address, takes them through
// DORA, renewal and release, prints what happened, and removes everything
// it created, also when interrupted.
//
// No packet leaves the two namespaces: the server's link and the clients'
// links exist only inside them.
package demo
