package client6

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Split64 returns the first n /64 subnets of a delegated prefix p, in
// order, as a CPE hands them to its LANs. It fails for a prefix longer
// than /64 or one with fewer than n /64s.
func Split64(p netip.Prefix, n int) ([]netip.Prefix, error) {
	if !p.IsValid() || !p.Addr().Is6() || p.Bits() > 64 {
		return nil, fmt.Errorf("client6: %v cannot be split into /64s", p)
	}
	if bits := 64 - p.Bits(); bits < 31 && n > 1<<bits {
		return nil, fmt.Errorf("client6: %v holds %d /64s, not %d", p, 1<<bits, n)
	}
	base := p.Masked().Addr().As16()
	hi := uint64(base[0])<<56 | uint64(base[1])<<48 | uint64(base[2])<<40 | uint64(base[3])<<32 |
		uint64(base[4])<<24 | uint64(base[5])<<16 | uint64(base[6])<<8 | uint64(base[7])
	out := make([]netip.Prefix, 0, n)
	for i := range n {
		v := hi + uint64(i)
		var a [16]byte
		for j := range 8 {
			a[j] = byte(v >> (56 - 8*j))
		}
		out = append(out, netip.PrefixFrom(netip.AddrFrom16(a), 64))
	}
	return out, nil
}

// Downstream is how a delegated prefix is used on downstream links: the
// i-th /64 of the binding's first delegated prefix for the i-th
// interface, where the interface gets the subnet's address ::1.
type Downstream struct {
	Interface string
	Subnet    netip.Prefix // a /64
	Address   netip.Prefix // Subnet's ::1, as a /64
	Preferred time.Duration
	Valid     time.Duration // counted from Received
	Received  time.Time
}

// DownstreamPlan returns what b's first delegated prefix gives ifaces, in
// order; nil when b has no prefix, and an error when the prefix has too
// few /64s (the interfaces it can serve are still returned).
func DownstreamPlan(b *Binding, ifaces []string) ([]Downstream, error) {
	if b == nil || len(ifaces) == 0 {
		return nil, nil
	}
	for _, ia := range b.IAPD {
		for _, p := range ia.Prefixes {
			n := len(ifaces)
			if bits := 64 - p.Prefix.Bits(); bits >= 0 && bits < 31 && 1<<bits < n {
				n = 1 << bits
			}
			subnets, err := Split64(p.Prefix, n)
			if err != nil {
				return nil, err
			}
			var out []Downstream
			for i, s := range subnets {
				a := s.Addr().As16()
				a[15] = 1
				out = append(out, Downstream{
					Interface: ifaces[i], Subnet: s, Address: netip.PrefixFrom(netip.AddrFrom16(a), 64),
					Preferred: p.Preferred, Valid: p.Valid, Received: ia.Received,
				})
			}
			if n < len(ifaces) {
				return out, fmt.Errorf("client6: delegated prefix %v has %d /64s for %d interfaces", p.Prefix, n, len(ifaces))
			}
			return out, nil
		}
	}
	return nil, nil
}

// DownstreamAction puts the /64s of a delegated prefix on downstream
// interfaces ([DownstreamPlan]): the address ::1 of each subnet, with the
// prefix's lifetimes. A renewed prefix only refreshes the lifetimes, so
// nothing is removed while the prefix lives on; a prefix that changes has
// its old subnets removed first, and a lost one (expired, released, not
// on link) is withdrawn.
type DownstreamAction struct {
	Interfaces []string
}

var errNoDownstream = errors.New("client6: DownstreamAction without interfaces")
