package client

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/leased/leased/dhcpv4"
)

// InfiniteLease is the lease time a server sends as 0xffffffff seconds
// (RFC 2132 §9.2): the lease never expires.
const InfiniteLease = time.Duration(0xffffffff) * time.Second

// Lease is an address a server assigned and the configuration that came
// with it.
type Lease struct {
	// Address is the assigned address with the subnet's prefix length
	// (option 1, or the address class's default when the server sent no
	// mask).
	Address netip.Prefix
	// Routers are the routers on the subnet (option 3), most preferred
	// first.
	Routers []netip.Addr
	// Routes are classless static routes (option 121, RFC 3442). When a
	// server sends them, RFC 3442 says the client ignores Routers.
	Routes []Route
	// DNS are the name servers (option 6).
	DNS []netip.Addr
	// DomainName is option 15.
	DomainName string
	// MTU is the interface MTU (option 26); 0 when not sent.
	MTU uint16
	// ServerID is the server identifier (option 54), where RENEWING
	// requests and RELEASE go.
	ServerID netip.Addr
	// LeaseTime, T1 and T2 are the lease duration and the renewal and
	// rebinding times (options 51, 58, 59), counted from Obtained. T1 and
	// T2 are the RFC 2131 defaults (1/2 and 7/8 of the lease) when the
	// server did not send them or sent values out of order.
	LeaseTime time.Duration
	T1        time.Duration
	T2        time.Duration
	// Obtained is when the client sent the DHCPREQUEST that earned the
	// lease; lease times count from here (RFC 2131 §4.4.1).
	Obtained time.Time
	// ClientID is the client identifier the lease was obtained with; nil if
	// the client sent none.
	ClientID []byte
	// Options holds every option of the DHCPACK, for actions that want more
	// than the fields above. It is not stored across restarts.
	Options map[dhcpv4.OptionCode][]byte
}

// Route is a classless static route.
type Route struct {
	Dest netip.Prefix
	// Gateway is the next hop; the unspecified address 0.0.0.0 means the
	// destination is on the link (RFC 3442 §3).
	Gateway netip.Addr
}

// Infinite reports whether the lease never expires.
func (l *Lease) Infinite() bool { return l.LeaseTime >= InfiniteLease }

// Expires returns when the lease ends.
func (l *Lease) Expires() time.Time { return l.Obtained.Add(l.LeaseTime) }

// RenewAt returns when the client enters RENEWING (T1).
func (l *Lease) RenewAt() time.Time { return l.Obtained.Add(l.T1) }

// RebindAt returns when the client enters REBINDING (T2).
func (l *Lease) RebindAt() time.Time { return l.Obtained.Add(l.T2) }

// Expired reports whether the lease has ended at now.
func (l *Lease) Expired(now time.Time) bool { return !l.Infinite() && !now.Before(l.Expires()) }

// Remaining returns the lease time left at now, zero once expired.
func (l *Lease) Remaining(now time.Time) time.Duration {
	if l.Infinite() {
		return InfiniteLease
	}
	return max(l.Expires().Sub(now), 0)
}

// Gateways returns the default routers to install: none when the server
// sent classless routes (RFC 3442 §3), the routers otherwise.
func (l *Lease) Gateways() []netip.Addr {
	if len(l.Routes) > 0 {
		return nil
	}
	return l.Routers
}

// Clone returns a deep copy of l.
func (l *Lease) Clone() *Lease {
	if l == nil {
		return nil
	}
	c := *l
	c.Routers = slices.Clone(l.Routers)
	c.Routes = slices.Clone(l.Routes)
	c.DNS = slices.Clone(l.DNS)
	c.ClientID = bytes.Clone(l.ClientID)
	if l.Options != nil {
		c.Options = make(map[dhcpv4.OptionCode][]byte, len(l.Options))
		for k, v := range l.Options {
			c.Options[k] = bytes.Clone(v)
		}
	}
	return &c
}

// Validate checks that the lease is usable: an address, a server
// identifier, and timers in order (T1 ≤ T2 ≤ lease).
func (l *Lease) Validate() error {
	switch {
	case !l.Address.IsValid() || !l.Address.Addr().Is4():
		return errors.New("lease has no IPv4 address")
	case l.Address.Addr().IsUnspecified() || l.Address.Addr().IsMulticast() || l.Address.Addr() == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return fmt.Errorf("lease address %v is not a unicast address", l.Address.Addr())
	case !l.ServerID.Is4():
		return errors.New("lease has no server identifier")
	case l.LeaseTime <= 0:
		return fmt.Errorf("lease time %v is not positive", l.LeaseTime)
	case l.T1 < 0 || l.T1 > l.T2 || l.T2 > l.LeaseTime:
		return fmt.Errorf("lease timers out of order: T1 %v, T2 %v, lease %v", l.T1, l.T2, l.LeaseTime)
	case l.Obtained.IsZero():
		return errors.New("lease has no time obtained")
	}
	return nil
}

// DefaultTimers returns the RFC 2131 §4.4.5 defaults for a lease of d:
// T1 = 0.5·d and T2 = 0.875·d. An infinite lease has no renewal.
func DefaultTimers(d time.Duration) (t1, t2 time.Duration) {
	if d >= InfiniteLease {
		return InfiniteLease, InfiniteLease
	}
	// Whole seconds, as the wire and the lease file count them; d*7 would
	// overflow for leases over ~41 years.
	return (d / 2).Truncate(time.Second), (d / 8 * 7).Truncate(time.Second)
}

// LeaseFromAck reads the lease a DHCPACK grants. sent is when the client
// sent the request the ACK answers; fallbackServer is used when the ACK
// carries no server identifier (some servers omit it on renewals).
func LeaseFromAck(p *dhcpv4.Packet, sent time.Time, fallbackServer netip.Addr) (*Lease, error) {
	yi := p.YIAddr()
	if yi.IsUnspecified() {
		return nil, errors.New("ACK has no address (yiaddr 0.0.0.0)")
	}
	secs, ok := p.LeaseTime()
	if !ok {
		return nil, errors.New("ACK has no lease time (option 51)")
	}
	if secs == 0 {
		return nil, errors.New("ACK has a lease time of 0")
	}
	l := &Lease{Obtained: sent, LeaseTime: time.Duration(secs) * time.Second}
	bits := defaultPrefixLen(yi)
	if v, ok := p.Option(dhcpv4.OptionSubnetMask); ok {
		n, err := maskBits(v)
		if err != nil {
			return nil, fmt.Errorf("ACK subnet mask (option 1): %w", err)
		}
		bits = n
	}
	l.Address = netip.PrefixFrom(yi, bits)
	l.ServerID = fallbackServer
	if sid, ok := p.ServerID(); ok {
		l.ServerID = sid
	}
	if !l.ServerID.Is4() || l.ServerID.IsUnspecified() {
		return nil, errors.New("ACK has no server identifier (option 54)")
	}
	l.Routers = addrList(p, dhcpv4.OptionRouter)
	l.DNS = addrList(p, dhcpv4.OptionDomainNameServer)
	if v, ok := p.Option(dhcpv4.OptionDomainName); ok {
		l.DomainName = string(bytes.TrimRight(v, "\x00"))
	}
	if v, ok := p.Option(dhcpv4.OptionInterfaceMTU); ok && len(v) == 2 {
		l.MTU = binary.BigEndian.Uint16(v)
	}
	if v, ok := p.Option(dhcpv4.OptionClasslessRoute); ok {
		routes, err := ParseClasslessRoutes(v)
		if err == nil {
			l.Routes = routes
		}
		// A malformed option 121 is ignored as a whole (RFC 3442 §3 asks
		// the client to ignore what it cannot use); the routers remain.
	}
	l.T1, l.T2 = DefaultTimers(l.LeaseTime)
	t1s, ok1 := p.RenewalTime()
	t2s, ok2 := p.RebindingTime()
	if !l.Infinite() {
		t1, t2 := l.T1, l.T2
		if ok1 {
			t1 = time.Duration(t1s) * time.Second
		}
		if ok2 {
			t2 = time.Duration(t2s) * time.Second
		}
		// Values out of order are replaced by the defaults, as a whole.
		if t1 <= t2 && t2 <= l.LeaseTime {
			l.T1, l.T2 = t1, t2
		}
	}
	l.Options = make(map[dhcpv4.OptionCode][]byte, p.NumOptions())
	p.Options(func(code dhcpv4.OptionCode, v []byte) bool {
		l.Options[code] = bytes.Clone(v)
		return true
	})
	return l, nil
}

func addrList(p *dhcpv4.Packet, code dhcpv4.OptionCode) []netip.Addr {
	v, _ := p.Option(code)
	var out []netip.Addr
	for i := 0; i+4 <= len(v); i += 4 {
		out = append(out, netip.AddrFrom4([4]byte(v[i:i+4])))
	}
	return out
}

// maskBits turns a 4-byte subnet mask into a prefix length; masks with
// holes are an error.
func maskBits(v []byte) (int, error) {
	if len(v) != 4 {
		return 0, fmt.Errorf("mask is %d bytes, want 4", len(v))
	}
	m := binary.BigEndian.Uint32(v)
	n := 0
	for m&0x80000000 != 0 {
		n++
		m <<= 1
	}
	if m != 0 {
		return 0, fmt.Errorf("mask %d.%d.%d.%d is not contiguous", v[0], v[1], v[2], v[3])
	}
	return n, nil
}

// defaultPrefixLen is the classful prefix length of a, used when a server
// sends no subnet mask (RFC 2131 leaves the client to guess; dhclient and
// udhcpc guess the same way).
func defaultPrefixLen(a netip.Addr) int {
	b := a.As4()[0]
	switch {
	case b < 128:
		return 8
	case b < 192:
		return 16
	default:
		return 24
	}
}

// ParseClasslessRoutes decodes option 121 (RFC 3442): a list of
// destination descriptors (prefix length, then the significant octets of
// the destination) each followed by a 4-byte router.
func ParseClasslessRoutes(v []byte) ([]Route, error) {
	var out []Route
	for i := 0; i < len(v); {
		bits := int(v[i])
		if bits > 32 {
			return nil, fmt.Errorf("option 121: prefix length %d at byte %d", bits, i)
		}
		n := (bits + 7) / 8
		if i+1+n+4 > len(v) {
			return nil, fmt.Errorf("option 121: route at byte %d runs past the end", i)
		}
		var dst [4]byte
		copy(dst[:], v[i+1:i+1+n])
		gw := netip.AddrFrom4([4]byte(v[i+1+n : i+1+n+4]))
		p, err := netip.AddrFrom4(dst).Prefix(bits)
		if err != nil {
			return nil, fmt.Errorf("option 121: %w", err)
		}
		out = append(out, Route{Dest: p, Gateway: gw})
		i += 1 + n + 4
	}
	return out, nil
}

// AppendClasslessRoutes encodes routes in the option 121 format.
func AppendClasslessRoutes(b []byte, routes []Route) []byte {
	for _, r := range routes {
		bits := r.Dest.Bits()
		b = append(b, byte(bits))
		d := r.Dest.Masked().Addr().As4()
		b = append(b, d[:(bits+7)/8]...)
		g := r.Gateway.As4()
		b = append(b, g[:]...)
	}
	return b
}

func optionCode(c int) dhcpv4.OptionCode { return dhcpv4.OptionCode(c) }
