// Package ncr is Kea's NameChangeRequest: what a DHCP server asks
// kea-dhcp-ddns (or leased's own DNS updater) to change in DNS for one
// lease, its wire form, and the UDP sender and receiver that carry it.
//
// A [Request] adds or removes the forward (A, DHCID) and reverse (PTR,
// DHCID) records of one name and address. On the wire it is one UDP
// datagram: a 2-byte big-endian length, then that many bytes of JSON
// ([Request.AppendFrame], [DecodeFrame]). The JSON written holds every
// member that some Kea version requires (lease-expires-on for Kea 2.2 and
// 3.0, use-conflict-resolution for 2.2, conflict-resolution-mode for 3.x),
// so that every kea-dhcp-ddns from 2.2 on accepts it; [Decode] accepts
// what any of those versions sends.
//
// [DHCID] computes the DHCID RDATA of RFC 4701 as Kea does for DHCPv4:
// from the client identifier when the lease has one, else from the
// hardware address, hashed with the name in lower case. [TTL] is the TTL
// Kea gives the records (ddns-ttl, ddns-ttl-percent, ddns-ttl-min,
// ddns-ttl-max). [ForLease] builds the request for a lease from the
// values stored in it, as kea-dhcp4 does, so that a removal sent by Kea
// for a lease leased added (or the reverse) names the same DHCID.
// [ForChange] gives the requests for one lease change on exactly Kea's
// events: a new lease, a renewal that changes the name or its directions
// (or any renewal with ddns-update-on-renew), a release, a decline, a
// reclamation.
//
// [Sender] queues requests (bounded, as max-queue-size bounds Kea's) and
// sends them from one goroutine; [Receiver] reads them from a UDP socket.
// [Journal] keeps the requests not yet sent in a file, so that an update
// owed survives a restart.
package ncr
