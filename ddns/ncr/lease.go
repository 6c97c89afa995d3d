package ncr

import (
	"errors"
	"fmt"
	"time"

	"github.com/leased/leased/ddns"
	"github.com/leased/leased/lease"
)

// ErrNoUpdate is returned by ForLease for a lease that asks for no DNS
// change: no hostname, or neither fqdn-fwd nor fqdn-rev.
var ErrNoUpdate = errors.New("lease asks for no DNS update")

// Wants reports whether l asks for a DNS change, as Kea's queueNCR
// decides: it has a hostname and at least one of fqdn-fwd and fqdn-rev.
func Wants(l *lease.Lease) bool {
	return l != nil && l.Hostname != "" && (l.FQDNFwd || l.FQDNRev)
}

// ForLease returns the request of type t for lease l, built as kea-dhcp4
// builds it from the values stored in the lease: the name is its
// hostname, the directions its fqdn-fwd and fqdn-rev, the DHCID from its
// client identifier if it has one, else its hardware address; the TTL
// from its valid lifetime and p; lease-expires-on its last transmission
// time plus the TTL. It returns ErrNoUpdate when l asks for none.
func ForLease(t Type, l *lease.Lease, p TTLParams, mode Mode) (Request, error) {
	if !Wants(l) {
		return Request{}, ErrNoUpdate
	}
	fqdn, err := ddns.AbsoluteName(l.Hostname)
	if err != nil {
		return Request{}, fmt.Errorf("lease %v: %w", l.Addr, err)
	}
	var id []byte
	if len(l.ClientID) > 0 {
		id, err = DHCIDFromClientID(l.ClientID, fqdn)
	} else {
		id, err = DHCIDFromHWAddr(l.HWType, l.HWAddr, fqdn)
	}
	if err != nil {
		return Request{}, fmt.Errorf("lease %v: %w", l.Addr, err)
	}
	ttl := TTL(l.ValidLifetime, p)
	return Request{
		Type: t, Forward: l.FQDNFwd, Reverse: l.FQDNRev,
		FQDN: fqdn, Addr: l.Addr, DHCID: id,
		Expires: time.Unix(l.CLTT+int64(ttl), 0).UTC(),
		TTL:     ttl, Mode: mode,
	}, nil
}
