package dhcpv4

import (
	"encoding/binary"
	"net/netip"
)

// Typed readers of option values. Each reports false when the message does
// not carry the option or when its value does not have the length its type
// needs, so a malformed value is never half read.

// OptionIP returns the value of option code as one IPv4 address (options
// 1, 28, 50, 54, 118 and others of type ipv4-address).
func (p *Packet) OptionIP(code OptionCode) (netip.Addr, bool) { return p.addrOption(code) }

// OptionIPs appends the value of option code, a list of IPv4 addresses
// (options 3, 6, 42, 44 and others), to dst and returns the extended
// slice. Passing a reused dst keeps the call allocation free.
func (p *Packet) OptionIPs(code OptionCode, dst []netip.Addr) ([]netip.Addr, bool) {
	v, ok := p.Option(code)
	if !ok || len(v) == 0 || len(v)%4 != 0 {
		return dst, false
	}
	for i := 0; i < len(v); i += 4 {
		dst = append(dst, netip.AddrFrom4([4]byte(v[i:i+4])))
	}
	return dst, true
}

// OptionUint8 returns the value of option code as one byte.
func (p *Packet) OptionUint8(code OptionCode) (uint8, bool) {
	v, ok := p.Option(code)
	if !ok || len(v) != 1 {
		return 0, false
	}
	return v[0], true
}

// OptionUint16 returns the value of option code as a 16-bit integer in
// network byte order (options 26, 57 and others).
func (p *Packet) OptionUint16(code OptionCode) (uint16, bool) {
	v, ok := p.Option(code)
	if !ok || len(v) != 2 {
		return 0, false
	}
	return binary.BigEndian.Uint16(v), true
}

// OptionUint32 returns the value of option code as a 32-bit integer in
// network byte order (options 51, 58, 59 and others).
func (p *Packet) OptionUint32(code OptionCode) (uint32, bool) { return p.uint32Option(code) }

// SubnetMask returns option 1.
func (p *Packet) SubnetMask() (netip.Addr, bool) { return p.addrOption(OptionSubnetMask) }

// Routers appends option 3, the client's routers in order of preference,
// to dst.
func (p *Packet) Routers(dst []netip.Addr) ([]netip.Addr, bool) {
	return p.OptionIPs(OptionRouter, dst)
}

// DNSServers appends option 6, the domain name servers in order of
// preference, to dst.
func (p *Packet) DNSServers(dst []netip.Addr) ([]netip.Addr, bool) {
	return p.OptionIPs(OptionDomainNameServer, dst)
}

// Clone returns a copy of p that owns its bytes: it stays valid after the
// buffer p was decoded from is reused, for a handler that keeps a request
// beyond its call (a monitor, a deferred decision).
func (p *Packet) Clone() *Packet {
	q := new(Packet)
	if len(p.buf) == 0 {
		return q
	}
	// p decoded these bytes, so decoding a copy cannot fail.
	if err := q.Decode(append([]byte(nil), p.buf...)); err != nil {
		panic("dhcpv4: Clone of a Packet that does not decode: " + err.Error())
	}
	return q
}
