package client6

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/leased/leased/dhcpv6"
)

// Infinite is the lifetime or time of RFC 8415's infinity (0xffffffff
// seconds), kept as such in a Binding.
const Infinite = time.Duration(dhcpv6.Infinity) * time.Second

// Address is an address of an IA_NA with its lifetimes, counted from the
// IA's Received.
type Address struct {
	Addr      netip.Addr
	Preferred time.Duration
	Valid     time.Duration
}

// Prefix is a delegated prefix of an IA_PD with its lifetimes, counted
// from the IA's Received.
type Prefix struct {
	Prefix    netip.Prefix
	Preferred time.Duration
	Valid     time.Duration
}

// IA is one identity association, an IA_NA (Addresses) or an IA_PD
// (Prefixes), as the last Reply that carried it left it.
type IA struct {
	IAID uint32
	// T1 and T2 are the server's; zero means the client chooses (RFC
	// 8415 §14.2: 0.5 and 0.8 of the shortest preferred lifetime).
	T1, T2 time.Duration
	// Received is when the Reply that set T1, T2 and the lifetimes came.
	Received  time.Time
	Addresses []Address
	Prefixes  []Prefix
}

// Binding is what a client holds from a server: its IAs with their
// leases, and the configuration that came with them.
type Binding struct {
	// ClientID is the client's DUID, ServerID the server's.
	ClientID dhcpv6.DUID
	ServerID dhcpv6.DUID
	// Unicast is the server's address from a Server Unicast option, where
	// Renew, Release and Decline go; invalid when the server sent none.
	Unicast netip.Addr
	// Received is when the last Reply came.
	Received time.Time
	IANA     []IA
	IAPD     []IA
	// DNS, Domains, NTP and NTPNames are the configuration options of the
	// last Reply (RFC 3646, RFC 5908).
	DNS      []netip.Addr
	Domains  []string
	NTP      []netip.Addr
	NTPNames []string
	// ReconfigureKey is the key of RFC 8415 §20.4 that authenticates the
	// server's Reconfigure messages; nil if none was given.
	ReconfigureKey []byte
}

// Clone returns a deep copy of b; nil for nil.
func (b *Binding) Clone() *Binding {
	if b == nil {
		return nil
	}
	c := *b
	c.ClientID = slices.Clone(b.ClientID)
	c.ServerID = slices.Clone(b.ServerID)
	c.IANA = cloneIAs(b.IANA)
	c.IAPD = cloneIAs(b.IAPD)
	c.DNS = slices.Clone(b.DNS)
	c.Domains = slices.Clone(b.Domains)
	c.NTP = slices.Clone(b.NTP)
	c.NTPNames = slices.Clone(b.NTPNames)
	c.ReconfigureKey = slices.Clone(b.ReconfigureKey)
	return &c
}

func cloneIAs(ias []IA) []IA {
	if ias == nil {
		return nil
	}
	out := make([]IA, len(ias))
	for i, ia := range ias {
		out[i] = ia
		out[i].Addresses = slices.Clone(ia.Addresses)
		out[i].Prefixes = slices.Clone(ia.Prefixes)
	}
	return out
}

// Addrs returns every address of the binding's IA_NAs.
func (b *Binding) Addrs() []netip.Addr {
	var out []netip.Addr
	for _, ia := range b.IANA {
		for _, a := range ia.Addresses {
			out = append(out, a.Addr)
		}
	}
	return out
}

// DelegatedPrefixes returns every prefix of the binding's IA_PDs.
func (b *Binding) DelegatedPrefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, ia := range b.IAPD {
		for _, p := range ia.Prefixes {
			out = append(out, p.Prefix)
		}
	}
	return out
}

// HasLeases reports whether any IA holds an address or prefix.
func (b *Binding) HasLeases() bool {
	return b != nil && (len(b.Addrs()) > 0 || len(b.DelegatedPrefixes()) > 0)
}

// HasPrefixes reports whether any IA_PD holds a prefix.
func (b *Binding) HasPrefixes() bool { return b != nil && len(b.DelegatedPrefixes()) > 0 }

// shortest returns the shortest preferred and valid lifetime of the IA's
// leases, and false if it has none.
func (ia *IA) shortest() (pref, valid time.Duration, ok bool) {
	pref, valid = Infinite, Infinite
	for _, a := range ia.Addresses {
		pref, valid, ok = min(pref, a.Preferred), min(valid, a.Valid), true
	}
	for _, p := range ia.Prefixes {
		pref, valid, ok = min(pref, p.Preferred), min(valid, p.Valid), true
	}
	return pref, valid, ok
}

// times returns the IA's T1 and T2 as the client uses them: the server's,
// or 0.5 and 0.8 of the shortest preferred lifetime when the server left
// them to the client (RFC 8415 §14.2, §21.4); Infinite for never. When
// the server gave only one of them, the one the client picks stays on
// its side of it, so that T1 never comes after T2. Leases already
// deprecated (a preferred lifetime of 0) count by their valid lifetime,
// or the client would renew again the moment each Reply came.
func (ia *IA) times() (t1, t2 time.Duration) {
	pref, valid, ok := ia.shortest()
	if !ok {
		return Infinite, Infinite
	}
	if pref == 0 {
		pref = valid
	}
	chosen := func(num int64) time.Duration {
		if pref >= Infinite {
			return Infinite
		}
		return pref / 10 * time.Duration(num)
	}
	t1, t2 = ia.T1, ia.T2
	switch {
	case t1 == 0 && t2 == 0:
		t1, t2 = chosen(5), chosen(8)
	case t1 == 0:
		t1 = min(chosen(5), t2)
	case t2 == 0:
		t2 = max(chosen(8), t1)
	}
	return t1, t2
}

// at returns start+d, or the zero time for an infinite d (never).
func at(start time.Time, d time.Duration) time.Time {
	if d >= Infinite {
		return time.Time{}
	}
	return start.Add(d)
}

// RenewAt is when the client renews: the earliest T1 of its IAs; zero
// for never.
func (b *Binding) RenewAt() time.Time {
	var t time.Time
	for _, ia := range b.ias() {
		t1, _ := ia.times()
		t = earliest(t, at(ia.Received, t1))
	}
	return t
}

// RebindAt is when the client rebinds: the earliest T2; zero for never.
func (b *Binding) RebindAt() time.Time {
	var t time.Time
	for _, ia := range b.ias() {
		_, t2 := ia.times()
		t = earliest(t, at(ia.Received, t2))
	}
	return t
}

// NextExpiry is when the next address or prefix expires; zero for never.
func (b *Binding) NextExpiry() time.Time {
	var t time.Time
	for _, ia := range b.ias() {
		for _, a := range ia.Addresses {
			t = earliest(t, at(ia.Received, a.Valid))
		}
		for _, p := range ia.Prefixes {
			t = earliest(t, at(ia.Received, p.Valid))
		}
	}
	return t
}

// LastExpiry is when the last address or prefix expires, the end of a
// Rebind exchange (RFC 8415 §18.2.5); zero for never.
func (b *Binding) LastExpiry() time.Time {
	var last time.Time
	for _, ia := range b.ias() {
		for _, a := range ia.Addresses {
			e := at(ia.Received, a.Valid)
			if e.IsZero() {
				return time.Time{}
			}
			last = later(last, e)
		}
		for _, p := range ia.Prefixes {
			e := at(ia.Received, p.Valid)
			if e.IsZero() {
				return time.Time{}
			}
			last = later(last, e)
		}
	}
	return last
}

func (b *Binding) ias() []*IA {
	var out []*IA
	for i := range b.IANA {
		out = append(out, &b.IANA[i])
	}
	for i := range b.IAPD {
		out = append(out, &b.IAPD[i])
	}
	return out
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// DropExpired returns b without the addresses and prefixes whose valid
// lifetime has passed at now, and whether it removed any. IAs left empty
// stay, so that the client asks for them again.
func (b *Binding) DropExpired(now time.Time) (*Binding, bool) {
	c := b.Clone()
	dropped := false
	for _, ia := range c.ias() {
		n := len(ia.Addresses) + len(ia.Prefixes)
		ia.Addresses = slices.DeleteFunc(ia.Addresses, func(a Address) bool {
			e := at(ia.Received, a.Valid)
			return !e.IsZero() && !now.Before(e)
		})
		ia.Prefixes = slices.DeleteFunc(ia.Prefixes, func(p Prefix) bool {
			e := at(ia.Received, p.Valid)
			return !e.IsZero() && !now.Before(e)
		})
		dropped = dropped || len(ia.Addresses)+len(ia.Prefixes) != n
	}
	return c, dropped
}

// Validate checks what a stored binding must satisfy to be used: DUIDs,
// addresses and prefixes that are IPv6, preferred lifetimes not above
// valid ones, T1 not above T2, distinct IAIDs per IA type.
func (b *Binding) Validate() error {
	if b == nil {
		return errors.New("client6: no binding")
	}
	if err := b.ClientID.Validate(); err != nil {
		return fmt.Errorf("client6: binding's client DUID: %w", err)
	}
	if err := b.ServerID.Validate(); err != nil {
		return fmt.Errorf("client6: binding's server DUID: %w", err)
	}
	for _, kind := range []struct {
		name string
		ias  []IA
	}{{"IA_NA", b.IANA}, {"IA_PD", b.IAPD}} {
		seen := map[uint32]bool{}
		for _, ia := range kind.ias {
			if seen[ia.IAID] {
				return fmt.Errorf("client6: binding has %s %d twice", kind.name, ia.IAID)
			}
			seen[ia.IAID] = true
			if ia.T1 < 0 || ia.T2 < 0 || (ia.T1 > 0 && ia.T2 > 0 && ia.T1 > ia.T2) {
				return fmt.Errorf("client6: %s %d: T1 %v, T2 %v", kind.name, ia.IAID, ia.T1, ia.T2)
			}
			if ia.Received.IsZero() && len(ia.Addresses)+len(ia.Prefixes) > 0 {
				return fmt.Errorf("client6: %s %d has leases but no time received", kind.name, ia.IAID)
			}
			for _, a := range ia.Addresses {
				if !a.Addr.Is6() || a.Addr.Is4In6() || a.Preferred < 0 || a.Preferred > a.Valid {
					return fmt.Errorf("client6: %s %d: address %v with lifetimes %v/%v", kind.name, ia.IAID, a.Addr, a.Preferred, a.Valid)
				}
			}
			for _, p := range ia.Prefixes {
				if !p.Prefix.IsValid() || !p.Prefix.Addr().Is6() || p.Preferred < 0 || p.Preferred > p.Valid {
					return fmt.Errorf("client6: %s %d: prefix %v with lifetimes %v/%v", kind.name, ia.IAID, p.Prefix, p.Preferred, p.Valid)
				}
			}
		}
	}
	return nil
}

// remaining is what is left at now of a lifetime d counted from start, in
// the kernel's seconds; 0xffffffff for infinite.
func remaining(start time.Time, d time.Duration, now time.Time) uint32 {
	if d >= Infinite {
		return 0xffffffff
	}
	left := start.Add(d).Sub(now)
	if left <= 0 {
		return 0
	}
	return uint32(min((left+time.Second-1)/time.Second, 0xfffffffe))
}
