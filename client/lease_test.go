package client

import (
	"bytes"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/leased/leased/dhcpv4"
)

func ackPacket(t testing.TB, build func(b *dhcpv4.Builder)) *dhcpv4.Packet {
	var b dhcpv4.Builder
	b.Begin(make([]byte, 1500), dhcpv4.BootReply, dhcpv4.Ack, 1)
	b.SetYIAddr(testAddr)
	b.AddIP(dhcpv4.OptionServerID, testServer)
	build(&b)
	out, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	p, err := dhcpv4.Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLeaseFromAckTimers(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	cases := []struct {
		name           string
		lease, t1, t2  uint32 // 0: absent
		want1, wantT2  time.Duration
		wantLeaseInfin bool
	}{
		{"defaults", 1000, 0, 0, 500 * time.Second, 875 * time.Second, false},
		{"server values", 1000, 300, 600, 300 * time.Second, 600 * time.Second, false},
		{"only T1", 1000, 100, 0, 100 * time.Second, 875 * time.Second, false},
		{"T1 after T2", 1000, 900, 600, 500 * time.Second, 875 * time.Second, false},
		{"T2 after lease", 1000, 100, 2000, 500 * time.Second, 875 * time.Second, false},
		{"T1 after default T2", 1000, 950, 0, 500 * time.Second, 875 * time.Second, false},
		{"infinite", 0xffffffff, 100, 200, InfiniteLease, InfiniteLease, true},
	}
	for _, c := range cases {
		p := ackPacket(t, func(b *dhcpv4.Builder) {
			b.AddUint32(dhcpv4.OptionLeaseTime, c.lease)
			if c.t1 != 0 {
				b.AddUint32(dhcpv4.OptionRenewalTime, c.t1)
			}
			if c.t2 != 0 {
				b.AddUint32(dhcpv4.OptionRebindingTime, c.t2)
			}
		})
		l, err := LeaseFromAck(p, now, netip.Addr{})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if l.T1 != c.want1 || l.T2 != c.wantT2 || l.Infinite() != c.wantLeaseInfin {
			t.Errorf("%s: T1 %v T2 %v infinite %v", c.name, l.T1, l.T2, l.Infinite())
		}
		if err := l.Validate(); err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if !c.wantLeaseInfin && !l.Expires().Equal(now.Add(time.Duration(c.lease)*time.Second)) {
			t.Errorf("%s: expires %v", c.name, l.Expires())
		}
	}
}

func TestLeaseFromAckFields(t *testing.T) {
	now := time.Now()
	p := ackPacket(t, func(b *dhcpv4.Builder) {
		b.AddUint32(dhcpv4.OptionLeaseTime, 60)
		b.AddIP(dhcpv4.OptionSubnetMask, netip.MustParseAddr("255.255.252.0"))
		b.AddIPs(dhcpv4.OptionRouter, testRouter, netip.MustParseAddr("192.0.2.253"))
		b.AddIPs(dhcpv4.OptionDomainNameServer, testDNS)
		b.AddString(dhcpv4.OptionDomainName, "example.test\x00")
		b.AddUint16(dhcpv4.OptionInterfaceMTU, 1400)
		b.AddOption(dhcpv4.OptionClasslessRoute, []byte{24, 198, 51, 100, 192, 0, 2, 9, 0, 192, 0, 2, 254})
	})
	l, err := LeaseFromAck(p, now, netip.Addr{})
	if err != nil {
		t.Fatal(err)
	}
	if l.Address != netip.MustParsePrefix("192.0.2.50/22") || l.MTU != 1400 || l.DomainName != "example.test" {
		t.Errorf("lease %+v", l)
	}
	if !slices.Equal(l.Routers, []netip.Addr{testRouter, netip.MustParseAddr("192.0.2.253")}) {
		t.Errorf("routers %v", l.Routers)
	}
	wantRoutes := []Route{
		{netip.MustParsePrefix("198.51.100.0/24"), netip.MustParseAddr("192.0.2.9")},
		{netip.MustParsePrefix("0.0.0.0/0"), testRouter},
	}
	if !slices.Equal(l.Routes, wantRoutes) {
		t.Errorf("routes %v", l.Routes)
	}
	if l.Gateways() != nil {
		t.Errorf("with classless routes, gateways %v, want none (RFC 3442)", l.Gateways())
	}
	if v := l.Options[dhcpv4.OptionInterfaceMTU]; !bytes.Equal(v, []byte{0x05, 0x78}) {
		t.Errorf("raw option 26 %x", v)
	}
	if got := AppendClasslessRoutes(nil, l.Routes); !bytes.Equal(got, []byte{24, 198, 51, 100, 192, 0, 2, 9, 0, 192, 0, 2, 254}) {
		t.Errorf("re-encoded routes %v", got)
	}
}

func TestLeaseFromAckRejects(t *testing.T) {
	cases := map[string]func(b *dhcpv4.Builder){
		"no lease time": func(b *dhcpv4.Builder) {},
		"zero lease":    func(b *dhcpv4.Builder) { b.AddUint32(dhcpv4.OptionLeaseTime, 0) },
		"no address":    func(b *dhcpv4.Builder) { b.AddUint32(dhcpv4.OptionLeaseTime, 60); b.SetYIAddr(netip.IPv4Unspecified()) },
		"holey mask": func(b *dhcpv4.Builder) {
			b.AddUint32(dhcpv4.OptionLeaseTime, 60)
			b.AddIP(dhcpv4.OptionSubnetMask, netip.MustParseAddr("255.0.255.0"))
		},
		"no server": func(b *dhcpv4.Builder) {
			b.AddUint32(dhcpv4.OptionLeaseTime, 60)
			b.RemoveOption(dhcpv4.OptionServerID)
		},
	}
	for name, build := range cases {
		if _, err := LeaseFromAck(ackPacket(t, build), time.Now(), netip.Addr{}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// Without option 54 the fallback server is used.
	p := ackPacket(t, func(b *dhcpv4.Builder) {
		b.AddUint32(dhcpv4.OptionLeaseTime, 60)
		b.RemoveOption(dhcpv4.OptionServerID)
	})
	if l, err := LeaseFromAck(p, time.Now(), testServer); err != nil || l.ServerID != testServer {
		t.Errorf("fallback server: %v %v", l, err)
	}
}

func TestDefaultPrefixLen(t *testing.T) {
	for a, want := range map[string]int{"10.1.2.3": 8, "172.16.0.1": 16, "192.0.2.1": 24} {
		p := ackPacket(t, func(b *dhcpv4.Builder) {
			b.AddUint32(dhcpv4.OptionLeaseTime, 60)
			b.SetYIAddr(netip.MustParseAddr(a))
		})
		l, err := LeaseFromAck(p, time.Now(), netip.Addr{})
		if err != nil || l.Address.Bits() != want {
			t.Errorf("%s: %v %v, want /%d", a, l, err, want)
		}
	}
}

func TestClasslessRoutesRejects(t *testing.T) {
	for _, v := range [][]byte{{33, 0, 0, 0, 0}, {24, 10, 0}, {0, 1, 2, 3}} {
		if _, err := ParseClasslessRoutes(v); err == nil {
			t.Errorf("%v accepted", v)
		}
	}
}

func TestLeaseValidate(t *testing.T) {
	good := storedLease(time.Now(), time.Hour)
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := map[string]func(l *Lease){
		"no address":   func(l *Lease) { l.Address = netip.Prefix{} },
		"unspecified":  func(l *Lease) { l.Address = netip.MustParsePrefix("0.0.0.0/24") },
		"multicast":    func(l *Lease) { l.Address = netip.MustParsePrefix("224.0.0.1/24") },
		"no server":    func(l *Lease) { l.ServerID = netip.Addr{} },
		"zero lease":   func(l *Lease) { l.LeaseTime = 0 },
		"T1 after T2":  func(l *Lease) { l.T1 = l.T2 + 1 },
		"T2 past end":  func(l *Lease) { l.T2 = l.LeaseTime + 1 },
		"no timestamp": func(l *Lease) { l.Obtained = time.Time{} },
	}
	for name, f := range bad {
		l := good.Clone()
		f(l)
		if l.Validate() == nil {
			t.Errorf("%s: valid", name)
		}
	}
}

func TestEncodeDomainName(t *testing.T) {
	if _, err := encodeDomainName("a..b"); err == nil {
		t.Error("empty label accepted")
	}
	if _, err := encodeDomainName(string(bytes.Repeat([]byte("a"), 64))); err == nil {
		t.Error("64-byte label accepted")
	}
}

func FuzzLeaseFromAck(f *testing.F) {
	f.Add(ackPacket(f, func(b *dhcpv4.Builder) {
		b.AddUint32(dhcpv4.OptionLeaseTime, 60)
		b.AddIP(dhcpv4.OptionSubnetMask, netip.MustParseAddr("255.255.255.0"))
		b.AddOption(dhcpv4.OptionClasslessRoute, []byte{24, 198, 51, 100, 192, 0, 2, 9})
		b.AddUint32(dhcpv4.OptionRenewalTime, 10)
	}).Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := dhcpv4.Parse(b)
		if err != nil {
			return
		}
		l, err := LeaseFromAck(p, time.Now(), testServer)
		if err != nil {
			return
		}
		if l.T1 > l.T2 || l.T2 > l.LeaseTime {
			t.Fatalf("timers out of order: %v %v %v", l.T1, l.T2, l.LeaseTime)
		}
		if v, ok := p.Option(dhcpv4.OptionClasslessRoute); ok && len(l.Routes) > 0 {
			if r, err := ParseClasslessRoutes(AppendClasslessRoutes(nil, l.Routes)); err != nil || !slices.Equal(r, l.Routes) {
				t.Fatalf("option 121 %x does not round-trip: %v", v, err)
			}
		}
	})
}
