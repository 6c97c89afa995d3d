package dhcpv4

import "net/netip"

// AddrToUint32 returns the IPv4 address a as a number, its first octet
// most significant, so that address arithmetic (a pool's offsets, the
// next address, an index keyed by address) is integer arithmetic. Like
// netip.Addr.As4, it panics if a is neither IPv4 nor IPv4-mapped IPv6.
func AddrToUint32(a netip.Addr) uint32 {
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

// Uint32ToAddr is the inverse of AddrToUint32: the IPv4 address whose
// octets are v's bytes, most significant first.
func Uint32ToAddr(v uint32) netip.Addr {
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}
