package dhcpv4

import (
	"net/netip"
	"testing"
)

func TestAddrUint32(t *testing.T) {
	for _, c := range []struct {
		addr string
		v    uint32
	}{
		{"0.0.0.0", 0},
		{"0.0.0.1", 1},
		{"10.1.2.3", 0x0a010203},
		{"192.0.2.255", 0xc00002ff},
		{"255.255.255.255", 0xffffffff},
	} {
		a := netip.MustParseAddr(c.addr)
		if got := AddrToUint32(a); got != c.v {
			t.Errorf("AddrToUint32(%v) = %#x, want %#x", a, got, c.v)
		}
		if got := Uint32ToAddr(c.v); got != a {
			t.Errorf("Uint32ToAddr(%#x) = %v, want %v", c.v, got, a)
		}
	}
	if got := AddrToUint32(netip.MustParseAddr("::ffff:10.1.2.3")); got != 0x0a010203 {
		t.Errorf("AddrToUint32(::ffff:10.1.2.3) = %#x, want 0xa010203", got)
	}
}
