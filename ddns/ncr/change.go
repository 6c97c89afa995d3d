package ncr

import (
	"strings"

	"github.com/leased/leased/lease"
)

// Scope is what a lease's subnet (or pool) says about its DNS updates.
type Scope struct {
	UpdateOnRenew bool // ddns-update-on-renew
	TTL           TTLParams
	Mode          Mode // ddns-conflict-resolution-mode
}

// ForChange appends to dst the requests kea-dhcp4 sends when lease old
// became new (old nil: a new lease; new nil: old was deleted), each built
// by ForLease from the values stored in the lease it concerns, with the
// parameters scope returns for that lease:
//
//   - a live lease (state default) that is no longer one (released,
//     declined, reclaimed, deleted): remove, from the lease as it was;
//   - a new live lease, or one taken over from an expired lease: remove
//     for the old one if it still asked for updates, add for the new;
//   - a renewal: nothing when the name and both directions are those of
//     the old lease (the name compared without case, Kea's
//     hasIdenticalFqdn), unless ddns-update-on-renew; otherwise remove the
//     old records, then add the new.
//
// Leases that ask for no update (no name, neither direction) give
// nothing. A request that cannot be built (a name that does not parse, a
// lease without client identity) is skipped and its error returned with
// the others.
func ForChange(dst []Request, old, new *lease.Lease, scope func(*lease.Lease) Scope) ([]Request, []error) {
	liveOld := old != nil && old.State == lease.StateDefault && Wants(old)
	liveNew := new != nil && new.State == lease.StateDefault && Wants(new)
	if liveOld && liveNew && !old.Expired(new.CLTT) && identicalFQDN(old, new) && !scope(new).UpdateOnRenew {
		return dst, nil
	}
	var errs []error
	add := func(t Type, l *lease.Lease) {
		s := scope(l)
		r, err := ForLease(t, l, s.TTL, s.Mode)
		if err != nil {
			errs = append(errs, err)
			return
		}
		dst = append(dst, r)
	}
	if liveOld {
		add(Remove, old)
	}
	if liveNew {
		add(Add, new)
	}
	return dst, errs
}

// identicalFQDN is Kea's Lease::hasIdenticalFqdn.
func identicalFQDN(a, b *lease.Lease) bool {
	return strings.EqualFold(a.Hostname, b.Hostname) && a.FQDNFwd == b.FQDNFwd && a.FQDNRev == b.FQDNRev
}
