package engine

import (
	"strconv"

	"github.com/leased/leased/dhcpv4"
)

// Metrics is told what the server does, for statistics. Implementations
// must be safe for concurrent use and cheap: they are called on the packet
// path.
//
// Messages received are not counted here: what reads them (the sockets,
// and a middleware that sees every decoded message, also those the
// server ignores) counts them, once, where it sees them all.
type Metrics interface {
	// Sent counts a reply of type mt when it leaves: an ACK deferred
	// until its lease is durable once the lease is, never when the
	// lease could not be made durable and the ACK was cancelled (that
	// one counts as Dropped with DropNotDurable).
	Sent(mt dhcpv4.MessageType)
	// Dropped counts a message the server ignored, and why.
	Dropped(reason DropReason)
	// Assigned and Freed count leases of a subnet's pool entering and
	// leaving use; Declined counts addresses declined.
	Assigned(subnetID, poolID uint32)
	Freed(subnetID, poolID uint32)
	Declined(subnetID, poolID uint32)
	// Reclaimed counts expired leases reclaimed; declined says the lease
	// was a declined address whose probation ended.
	Reclaimed(subnetID, poolID uint32, declined bool)
}

// DropReason says why the server ignored a message. Kea counts every
// dropped message in pkt4-receive-drop and some reasons also in a
// statistic of their own, named below; DropNoAddress is not a drop for
// Kea but an allocation failure.
//
// The reasons are numbered from 0 to NumDropReasons-1, so that a
// [Metrics] implementation can keep its counters in an array of
// NumDropReasons: one sized so fails to compile when a reason is added
// or removed here, and no reason can be left out of it unnoticed.
type DropReason uint8

const (
	// DropNotClientMessage: a BOOTREPLY (a server's message, such as its
	// own OFFER sent to a giaddr that is its own address).
	DropNotClientMessage DropReason = iota
	// DropUnsupportedType: a message type the server does not answer
	// (OFFER, ACK, NAK, LEASEQUERY...).
	DropUnsupportedType
	// DropMalformedOption81: an option 81 that Kea cannot parse, so Kea
	// counts it in pkt4-parse-failed.
	DropMalformedOption81
	// DropClass: the client is in the DROP class (pkt4-admin-filtered).
	DropClass
	// DropNoSubnet: no subnet serves the client.
	DropNoSubnet
	// DropNoAddress: no free address for a DISCOVER (v4-allocation-fail).
	DropNoAddress
	// DropNotForUs: a REQUEST that names another server, or a message
	// Options.SubnetSelected turned down (pkt4-not-for-us).
	DropNotForUs
	// DropMalformedRequest: a REQUEST in none of RFC 2131's states, or
	// naming no address (pkt4-rfc-violation).
	DropMalformedRequest
	// DropUnknownInitReboot: a non-authoritative server's silence to an
	// INIT-REBOOT client it has no lease of.
	DropUnknownInitReboot
	// DropUnknownRelease: a RELEASE of a lease the client does not hold.
	DropUnknownRelease
	// DropUnknownDecline: a DECLINE of a lease the client does not hold.
	DropUnknownDecline
	// DropNotDurable: a REQUEST whose ACK was withheld, or cancelled
	// once deferred, because its lease could not be made durable. Kea
	// has no statistic of its own for it.
	DropNotDurable
	// DropNotReplicated: a REQUEST whose ACK was withheld because the
	// high-availability partner did not acknowledge its lease (Kea drops
	// the parked packet and has no statistic of its own for it).
	DropNotReplicated

	// NumDropReasons is the number of reasons.
	NumDropReasons int = iota
)

// String returns the reason in words, as the log says it.
func (r DropReason) String() string {
	switch r {
	case DropNotClientMessage:
		return "not a client message"
	case DropUnsupportedType:
		return "unsupported message type"
	case DropMalformedOption81:
		return "malformed option 81"
	case DropClass:
		return "DROP class"
	case DropNoSubnet:
		return "no subnet"
	case DropNoAddress:
		return "no address available"
	case DropNotForUs:
		return "not for us"
	case DropMalformedRequest:
		return "malformed request"
	case DropUnknownInitReboot:
		return "unknown client in INIT-REBOOT"
	case DropUnknownRelease:
		return "release of an unknown lease"
	case DropUnknownDecline:
		return "decline of an unknown lease"
	case DropNotDurable:
		return "lease not durable"
	case DropNotReplicated:
		return "lease not replicated to the partner"
	}
	return "DropReason(" + strconv.Itoa(int(r)) + ")"
}

type noMetrics struct{}

func (noMetrics) Sent(dhcpv4.MessageType)        {}
func (noMetrics) Dropped(DropReason)             {}
func (noMetrics) Assigned(uint32, uint32)        {}
func (noMetrics) Freed(uint32, uint32)           {}
func (noMetrics) Declined(uint32, uint32)        {}
func (noMetrics) Reclaimed(uint32, uint32, bool) {}
