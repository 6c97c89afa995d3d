package stats

import (
	"strconv"
)

// SubnetName returns Kea's name of a subnet statistic,
// "subnet[1].assigned-addresses".
func SubnetName(subnetID uint32, stat string) string {
	return "subnet[" + strconv.FormatUint(uint64(subnetID), 10) + "]." + stat
}

// PoolName returns Kea's name of a pool statistic,
// "subnet[1].pool[0].assigned-addresses".
func PoolName(subnetID, poolID uint32, stat string) string {
	return SubnetName(subnetID, "pool["+strconv.FormatUint(uint64(poolID), 10)+"]."+stat)
}

// DHCPv4 message types, for Packets.Received and Packets.Sent.
const (
	msgDiscover  = 1
	msgOffer     = 2
	msgRequest   = 3
	msgDecline   = 4
	msgAck       = 5
	msgNak       = 6
	msgRelease   = 7
	msgInform    = 8
	msgLeaseQry  = 10
	msgLQUnasgn  = 11
	msgLQUnknown = 12
	msgLQActive  = 13
)

// Packets are kea-dhcp4's global packet and allocation counters, all
// created at 0 as kea-dhcp4 creates them at startup.
type Packets struct {
	Received           *Counter // pkt4-received
	DiscoverReceived   *Counter // pkt4-discover-received
	OfferReceived      *Counter // pkt4-offer-received
	RequestReceived    *Counter // pkt4-request-received
	AckReceived        *Counter // pkt4-ack-received
	NakReceived        *Counter // pkt4-nak-received
	ReleaseReceived    *Counter // pkt4-release-received
	DeclineReceived    *Counter // pkt4-decline-received
	InformReceived     *Counter // pkt4-inform-received
	LeaseQueryReceived *Counter // pkt4-lease-query-received
	UnknownReceived    *Counter // pkt4-unknown-received

	Sent                     *Counter // pkt4-sent
	OfferSent                *Counter // pkt4-offer-sent
	AckSent                  *Counter // pkt4-ack-sent
	NakSent                  *Counter // pkt4-nak-sent
	LeaseQueryUnassignedSent *Counter // pkt4-lease-query-response-unassigned-sent
	LeaseQueryUnknownSent    *Counter // pkt4-lease-query-response-unknown-sent
	LeaseQueryActiveSent     *Counter // pkt4-lease-query-response-active-sent

	ServiceDisabled  *Counter // pkt4-service-disabled
	ParseFailed      *Counter // pkt4-parse-failed
	QueueFull        *Counter // pkt4-queue-full
	Duplicate        *Counter // pkt4-duplicate
	RFCViolation     *Counter // pkt4-rfc-violation
	AdminFiltered    *Counter // pkt4-admin-filtered
	NotForUs         *Counter // pkt4-not-for-us
	ProcessingFailed *Counter // pkt4-processing-failed
	LimitExceeded    *Counter // pkt4-limit-exceeded
	ReceiveDrop      *Counter // pkt4-receive-drop

	AllocationFail              *Counter // v4-allocation-fail
	AllocationFailSharedNetwork *Counter // v4-allocation-fail-shared-network
	AllocationFailSubnet        *Counter // v4-allocation-fail-subnet
	AllocationFailNoPools       *Counter // v4-allocation-fail-no-pools
	AllocationFailClasses       *Counter // v4-allocation-fail-classes
	ReservationConflicts        *Counter // v4-reservation-conflicts
	LeaseReuses                 *Counter // v4-lease-reuses
}

// Packets returns the global packet counters, creating them at 0.
func (m *Manager) Packets() *Packets {
	c := func(n string) *Counter { return m.mustCounter(n, true) }
	return &Packets{
		Received:                    c("pkt4-received"),
		DiscoverReceived:            c("pkt4-discover-received"),
		OfferReceived:               c("pkt4-offer-received"),
		RequestReceived:             c("pkt4-request-received"),
		AckReceived:                 c("pkt4-ack-received"),
		NakReceived:                 c("pkt4-nak-received"),
		ReleaseReceived:             c("pkt4-release-received"),
		DeclineReceived:             c("pkt4-decline-received"),
		InformReceived:              c("pkt4-inform-received"),
		LeaseQueryReceived:          c("pkt4-lease-query-received"),
		UnknownReceived:             c("pkt4-unknown-received"),
		Sent:                        c("pkt4-sent"),
		OfferSent:                   c("pkt4-offer-sent"),
		AckSent:                     c("pkt4-ack-sent"),
		NakSent:                     c("pkt4-nak-sent"),
		LeaseQueryUnassignedSent:    c("pkt4-lease-query-response-unassigned-sent"),
		LeaseQueryUnknownSent:       c("pkt4-lease-query-response-unknown-sent"),
		LeaseQueryActiveSent:        c("pkt4-lease-query-response-active-sent"),
		ServiceDisabled:             c("pkt4-service-disabled"),
		ParseFailed:                 c("pkt4-parse-failed"),
		QueueFull:                   c("pkt4-queue-full"),
		Duplicate:                   c("pkt4-duplicate"),
		RFCViolation:                c("pkt4-rfc-violation"),
		AdminFiltered:               c("pkt4-admin-filtered"),
		NotForUs:                    c("pkt4-not-for-us"),
		ProcessingFailed:            c("pkt4-processing-failed"),
		LimitExceeded:               c("pkt4-limit-exceeded"),
		ReceiveDrop:                 c("pkt4-receive-drop"),
		AllocationFail:              c("v4-allocation-fail"),
		AllocationFailSharedNetwork: c("v4-allocation-fail-shared-network"),
		AllocationFailSubnet:        c("v4-allocation-fail-subnet"),
		AllocationFailNoPools:       c("v4-allocation-fail-no-pools"),
		AllocationFailClasses:       c("v4-allocation-fail-classes"),
		ReservationConflicts:        c("v4-reservation-conflicts"),
		LeaseReuses:                 c("v4-lease-reuses"),
	}
}

// CountReceived counts a received packet of the given DHCP message type
// (option 53): pkt4-received and the type's own counter, or
// pkt4-unknown-received.
func (p *Packets) CountReceived(msgType uint8) {
	p.Received.Add(1)
	p.ReceivedOfType(msgType).Add(1)
}

// ReceivedOfType returns the pkt4-<type>-received counter of a DHCP
// message type (option 53), or pkt4-unknown-received: for a caller that
// counts pkt4-received elsewhere (where undecodable messages are seen).
func (p *Packets) ReceivedOfType(msgType uint8) *Counter {
	switch msgType {
	case msgDiscover:
		return p.DiscoverReceived
	case msgOffer:
		return p.OfferReceived
	case msgRequest:
		return p.RequestReceived
	case msgAck:
		return p.AckReceived
	case msgNak:
		return p.NakReceived
	case msgRelease:
		return p.ReleaseReceived
	case msgDecline:
		return p.DeclineReceived
	case msgInform:
		return p.InformReceived
	case msgLeaseQry:
		return p.LeaseQueryReceived
	}
	return p.UnknownReceived
}

// CountSent counts a sent packet: pkt4-sent and the type's own counter
// where kea-dhcp4 keeps one.
func (p *Packets) CountSent(msgType uint8) {
	p.Sent.Add(1)
	switch msgType {
	case msgOffer:
		p.OfferSent.Add(1)
	case msgAck:
		p.AckSent.Add(1)
	case msgNak:
		p.NakSent.Add(1)
	case msgLQUnasgn:
		p.LeaseQueryUnassignedSent.Add(1)
	case msgLQUnknown:
		p.LeaseQueryUnknownSent.Add(1)
	case msgLQActive:
		p.LeaseQueryActiveSent.Add(1)
	}
}

// Drop counts a packet dropped for the given reason counter (one of
// ParseFailed, QueueFull, ...) and in pkt4-receive-drop, as kea-dhcp4
// counts every drop twice.
func (p *Packets) Drop(reason *Counter) {
	if reason != nil {
		reason.Add(1)
	}
	p.ReceiveDrop.Add(1)
}

// Leases are the lease counters kept globally and per subnet and pool.
type Leases struct {
	AssignedAddresses           *Counter // assigned-addresses
	DeclinedAddresses           *Counter // declined-addresses
	CumulativeAssignedAddresses *Counter // cumulative-assigned-addresses
	ReclaimedLeases             *Counter // reclaimed-leases
	ReclaimedDeclinedAddresses  *Counter // reclaimed-declined-addresses
}

func (m *Manager) leases(name func(string) string) Leases {
	c := func(n string) *Counter { return m.mustCounter(name(n), true) }
	return Leases{
		AssignedAddresses:           c("assigned-addresses"),
		DeclinedAddresses:           c("declined-addresses"),
		CumulativeAssignedAddresses: c("cumulative-assigned-addresses"),
		ReclaimedLeases:             c("reclaimed-leases"),
		ReclaimedDeclinedAddresses:  c("reclaimed-declined-addresses"),
	}
}

// GlobalLeases returns the global lease counters, creating them at 0.
func (m *Manager) GlobalLeases() *Leases {
	l := m.leases(func(n string) string { return n })
	return &l
}

// Subnet are one subnet's counters.
type Subnet struct {
	ID uint32
	Leases
	TotalAddresses       *Counter // subnet[id].total-addresses
	LeaseReuses          *Counter // subnet[id].v4-lease-reuses
	ReservationConflicts *Counter // subnet[id].v4-reservation-conflicts

	// The allocation failures appear when they first count, as in Kea.
	AllocationFail              *Counter // subnet[id].v4-allocation-fail
	AllocationFailSharedNetwork *Counter // subnet[id].v4-allocation-fail-shared-network
	AllocationFailSubnet        *Counter // subnet[id].v4-allocation-fail-subnet
	AllocationFailNoPools       *Counter // subnet[id].v4-allocation-fail-no-pools
	AllocationFailClasses       *Counter // subnet[id].v4-allocation-fail-classes
}

// Subnet returns the counters of a subnet, creating them at 0, and sets
// its total-addresses (the size of its pools). Asking again for the same
// id returns the same handles and updates total-addresses, so it can be
// called on every reconfiguration.
func (m *Manager) Subnet(id uint32, totalAddresses int64) *Subnet {
	name := func(n string) string { return SubnetName(id, n) }
	c := func(n string) *Counter { return m.mustCounter(name(n), true) }
	lazy := func(n string) *Counter { return m.mustCounter(name(n), false) }
	s := &Subnet{
		ID:                          id,
		Leases:                      m.leases(name),
		TotalAddresses:              c("total-addresses"),
		LeaseReuses:                 c("v4-lease-reuses"),
		ReservationConflicts:        c("v4-reservation-conflicts"),
		AllocationFail:              lazy("v4-allocation-fail"),
		AllocationFailSharedNetwork: lazy("v4-allocation-fail-shared-network"),
		AllocationFailSubnet:        lazy("v4-allocation-fail-subnet"),
		AllocationFailNoPools:       lazy("v4-allocation-fail-no-pools"),
		AllocationFailClasses:       lazy("v4-allocation-fail-classes"),
	}
	s.TotalAddresses.Set(totalAddresses)
	return s
}

// Pool are one pool's counters (Kea 3.x, pools with a pool-id).
type Pool struct {
	SubnetID, PoolID uint32
	Leases
	TotalAddresses *Counter // subnet[id].pool[pid].total-addresses
}

// Pool returns the counters of a pool, creating them at 0, and sets its
// total-addresses.
func (m *Manager) Pool(subnetID, poolID uint32, totalAddresses int64) *Pool {
	name := func(n string) string { return PoolName(subnetID, poolID, n) }
	p := &Pool{
		SubnetID:       subnetID,
		PoolID:         poolID,
		Leases:         m.leases(name),
		TotalAddresses: m.mustCounter(name("total-addresses"), true),
	}
	p.TotalAddresses.Set(totalAddresses)
	return p
}

// RemoveSubnet removes every statistic of a subnet and its pools, as Kea
// does for subnets a reconfiguration dropped. Handles held for them stay
// usable; a later Add brings the statistic back.
func (m *Manager) RemoveSubnet(id uint32) int {
	return m.RemovePrefix(SubnetName(id, ""))
}
