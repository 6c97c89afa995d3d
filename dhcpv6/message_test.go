package dhcpv6

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/netip"
	"slices"
	"testing"
)

func seedByName(t testing.TB, name string) []byte {
	for _, s := range seedMessages() {
		if s.name == name {
			return s.data
		}
	}
	t.Fatalf("no seed %q", name)
	return nil
}

func TestDecodeReply(t *testing.T) {
	var m Message
	if err := m.Decode(seedByName(t, "reply")); err != nil {
		t.Fatal(err)
	}
	if m.Type() != Reply || m.TransactionID() != 0xabcdef {
		t.Fatalf("type %v xid %#x", m.Type(), m.TransactionID())
	}
	o := m.Options()
	if sid, ok := o.ServerID(); !ok || !bytes.Equal(sid, seedServerDUID) || sid.Type() != DUIDLL {
		t.Errorf("server id %v %v", sid, ok)
	}
	if !o.RapidCommit() {
		t.Error("rapid commit not seen")
	}
	if u, ok := o.Unicast(); !ok || u != netip.MustParseAddr("2001:db8::1") {
		t.Errorf("unicast %v %v", u, ok)
	}
	if c, text, ok := o.Status(); !ok || c != StatusSuccess || text != "all good" {
		t.Errorf("status %v %q %v", c, text, ok)
	}
	var nas []IA
	for ia := range o.IAs(OptionIANA) {
		nas = append(nas, ia)
	}
	if len(nas) != 1 || nas[0].IAID != 1 || nas[0].T1 != 1000 || nas[0].T2 != 2000 {
		t.Fatalf("IA_NAs %+v", nas)
	}
	var addrs []IAAddress
	for a := range nas[0].Addresses() {
		addrs = append(addrs, a)
	}
	if len(addrs) != 2 || addrs[0].Addr != netip.MustParseAddr("2001:db8:1::10") || addrs[0].Preferred != 3000 || addrs[0].Valid != 4000 {
		t.Fatalf("addresses %+v", addrs)
	}
	if addrs[1].Options.StatusCode() != StatusNotOnLink {
		t.Errorf("second address status %v", addrs[1].Options.StatusCode())
	}
	for ia := range o.IAs(OptionIAPD) {
		if ia.IAID != 2 || ia.T1 != Infinity {
			t.Errorf("IA_PD %+v", ia)
		}
		for p := range ia.Prefixes() {
			if p.Prefix != netip.MustParsePrefix("2001:db8:ff00::/56") || p.Valid != Infinity {
				t.Errorf("prefix %+v", p)
			}
		}
	}
	ntp, names, err := o.NTPServers(nil, nil)
	if err != nil || !slices.Equal(ntp, []netip.Addr{netip.MustParseAddr("2001:db8::123")}) || !slices.Equal(names, []string{"ntp.example"}) {
		t.Errorf("NTP %v %v %v", ntp, names, err)
	}
	for c, want := range map[OptionCode]uint32{OptionSolMaxRT: 7200, OptionInfMaxRT: 7200, OptionInfoRefreshTime: 86400} {
		if v, ok := o.Uint32(c); !ok || v != want {
			t.Errorf("%v = %d, %v; want %d", c, v, ok, want)
		}
	}
}

func TestDecodeAdvertise(t *testing.T) {
	m, err := Parse(seedByName(t, "advertise"))
	if err != nil {
		t.Fatal(err)
	}
	o := m.Options()
	if o.Preference() != 255 {
		t.Errorf("preference %d", o.Preference())
	}
	dns, ok := o.DNSServers(nil)
	if !ok || !slices.Equal(dns, []netip.Addr{netip.MustParseAddr("2001:db8::53"), netip.MustParseAddr("2001:db8::54")}) {
		t.Errorf("DNS %v", dns)
	}
	dl, err := o.DomainList(nil)
	if err != nil || !slices.Equal(dl, []string{"example.com", "lab.example"}) {
		t.Errorf("domains %v %v", dl, err)
	}
}

func TestDecodeRelay(t *testing.T) {
	m, err := Parse(seedByName(t, "relay-forw"))
	if err != nil {
		t.Fatal(err)
	}
	if !m.Type().IsRelay() || m.HopCount() != 1 || m.LinkAddr() != netip.MustParseAddr("2001:db8:1::1") || m.PeerAddr() != netip.MustParseAddr("fe80::200:5eff:fe10:1") {
		t.Fatalf("relay header: %v %d %v %v", m.Type(), m.HopCount(), m.LinkAddr(), m.PeerAddr())
	}
	var inner Message
	if !m.Relayed(&inner) || inner.Type() != Solicit || inner.TransactionID() != 0x123456 {
		t.Fatalf("relayed message %v %#x", inner.Type(), inner.TransactionID())
	}
	if !bytes.Equal(inner.Bytes(), seedByName(t, "solicit")) {
		t.Error("relayed message differs from the solicit it carries")
	}
}

func TestDecodeErrors(t *testing.T) {
	reply := seedByName(t, "reply")
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"header only part", []byte{1, 0, 0}, ErrTruncated},
		{"option header cut", msg(Solicit, 1, []byte{0, 1, 0}), ErrOptionOverrun},
		{"option value cut", msg(Solicit, 1, []byte{0, 1, 0, 5, 1, 2}), ErrOptionOverrun},
		{"IA_NA without T2", msg(Reply, 1, tlv(OptionIANA, u32(1), u32(2))), ErrBadLength},
		{"IAADDR cut inside IA_NA", msg(Reply, 1, tlv(OptionIANA, u32(1), u32(0), u32(0), tlv(OptionIAAddr, ip6("::1")))), ErrBadLength},
		{"option overruns its IA", msg(Reply, 1, tlv(OptionIANA, u32(1), u32(0), u32(0), []byte{0, 13, 0, 9, 0})), ErrOptionOverrun},
		{"IAPREFIX cut", msg(Reply, 1, tlv(OptionIAPD, u32(1), u32(0), u32(0), tlv(OptionIAPrefix, u32(0), u32(0), u8(56)))), ErrBadLength},
		{"relay header cut", []byte{byte(RelayForw), 0, 1, 2}, ErrTruncated},
		{"relayed message malformed", append(append([]byte{byte(RelayForw), 0}, make([]byte, 32)...), tlv(OptionRelayMessage, []byte{1, 0})...), ErrTruncated},
		{"reply cut by one byte", reply[:len(reply)-1], ErrOptionOverrun},
	} {
		var m Message
		if err := m.Decode(tc.data); !errors.Is(err, tc.want) {
			t.Errorf("%s: error %v, want %v", tc.name, err, tc.want)
		}
	}
	// Relays nested past the hop count limit.
	deep := seedByName(t, "solicit")
	for range HopCountLimit + 1 {
		r := append([]byte{byte(RelayForw), 0}, make([]byte, 32)...)
		deep = append(r, tlv(OptionRelayMessage, deep)...)
	}
	if _, err := Parse(deep); !errors.Is(err, ErrTooDeep) {
		t.Errorf("deep relay: %v", err)
	}
}

// TestBuilderMatchesSeeds builds the Solicit and Reply seeds with Builder
// and expects the same bytes.
func TestBuilderMatchesSeeds(t *testing.T) {
	buf := make([]byte, 0, 1500)
	var b Builder
	b.Begin(buf, Solicit, 0x123456)
	b.AddOption(OptionClientID, seedClientDUID)
	b.AddUint16(OptionElapsedTime, 0)
	b.AddORO(23, 24, 56, 82, 83)
	b.AddEmpty(OptionRapidCommit)
	b.AddEmpty(OptionReconfigureAccept)
	b.BeginIA(OptionIANA, 1, 0, 0)
	b.End()
	b.BeginIA(OptionIAPD, 2, 0, 0)
	b.BeginIAPrefix(netip.MustParsePrefix("::/56"), 0, 0)
	b.End()
	b.End()
	got, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if want := seedByName(t, "solicit"); !bytes.Equal(got, want) {
		t.Errorf("solicit\n got % x\nwant % x", got, want)
	}

	b.Begin(buf, Advertise, 0x123456)
	b.AddOption(OptionServerID, seedServerDUID)
	b.AddOption(OptionClientID, seedClientDUID)
	b.AddUint8(OptionPreference, 255)
	b.BeginIA(OptionIANA, 1, 1000, 2000)
	b.BeginIAAddr(netip.MustParseAddr("2001:db8:1::10"), 3000, 4000)
	b.End()
	b.End()
	b.BeginIA(OptionIAPD, 2, 1000, 2000)
	b.BeginIAPrefix(netip.MustParsePrefix("2001:db8:ff00::/56"), 3000, 4000)
	b.End()
	b.End()
	b.AddAddrs(OptionDNSServers, netip.MustParseAddr("2001:db8::53"), netip.MustParseAddr("2001:db8::54"))
	b.AddDomainList("example.com", "lab.example.")
	got, err = b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	if want := seedByName(t, "advertise"); !bytes.Equal(got, want) {
		t.Errorf("advertise\n got % x\nwant % x", got, want)
	}
}

func TestBuilderErrors(t *testing.T) {
	var b Builder
	if _, err := b.Finish(); !errors.Is(err, ErrNotStarted) {
		t.Errorf("unstarted: %v", err)
	}
	b.Begin(make([]byte, 0, 10), Solicit, 1)
	b.AddOption(OptionClientID, seedClientDUID)
	if _, err := b.Finish(); !errors.Is(err, ErrBufferTooSmall) {
		t.Errorf("small buffer: %v", err)
	}
	b.Begin(make([]byte, 0, 100), Solicit, 1)
	b.BeginIA(OptionIANA, 1, 0, 0)
	if _, err := b.Finish(); !errors.Is(err, ErrNesting) {
		t.Errorf("unclosed IA: %v", err)
	}
	b.Begin(make([]byte, 0, 100), Solicit, 1)
	b.End()
	if _, err := b.Finish(); !errors.Is(err, ErrNesting) {
		t.Errorf("End without Begin: %v", err)
	}
	b.Begin(make([]byte, 0, 100), Solicit, 1)
	b.AddAddrs(OptionDNSServers, netip.MustParseAddr("192.0.2.1"))
	if _, err := b.Finish(); !errors.Is(err, ErrNotIPv6) {
		t.Errorf("IPv4 address: %v", err)
	}
	b.Begin(make([]byte, 0, 100), Solicit, 1)
	b.AddDomainList("bad..name")
	if _, err := b.Finish(); !errors.Is(err, ErrBadDomainName) {
		t.Errorf("bad name: %v", err)
	}
}

func TestZeroAllocations(t *testing.T) {
	data := seedByName(t, "reply")
	buf := make([]byte, 0, 1500)
	var m Message
	var b Builder
	n := testing.AllocsPerRun(100, func() {
		if err := m.Decode(data); err != nil {
			t.Fatal(err)
		}
		for ia := range m.Options().IAs(OptionIANA) {
			for range ia.Addresses() {
			}
		}
		b.Begin(buf, Renew, 7)
		b.AddOption(OptionClientID, seedClientDUID)
		b.BeginIA(OptionIANA, 1, 0, 0)
		b.BeginIAAddr(netip.MustParseAddr("2001:db8::1"), 0, 0)
		b.End()
		b.End()
		if _, err := b.Finish(); err != nil {
			t.Fatal(err)
		}
	})
	if n != 0 {
		t.Errorf("%v allocations per decode and build", n)
	}
}

func TestDUID(t *testing.T) {
	hw := []byte{2, 0, 0x5e, 0x10, 0, 1}
	for _, d := range []DUID{
		NewDUIDLLT(HardwareTypeEthernet, hw, duidEpoch.Add(1000e9)),
		NewDUIDLL(HardwareTypeEthernet, hw),
		NewDUIDEN(32473, []byte{1, 2, 3}),
		NewDUIDUUID([16]byte{1, 2, 3}),
	} {
		if err := d.Validate(); err != nil {
			t.Errorf("%v: %v", d, err)
		}
		p, err := ParseDUID(d.String())
		if err != nil || !bytes.Equal(p, d) {
			t.Errorf("%v: parsed back as %v, %v", d, p, err)
		}
	}
	llt := NewDUIDLLT(HardwareTypeEthernet, hw, duidEpoch.Add(1000e9))
	if want := "00:01:00:01:00:00:03:e8:02:00:5e:10:00:01"; llt.String() != want {
		t.Errorf("DUID-LLT %s, want %s", llt, want)
	}
	if a, ok := llt.HardwareAddr(); !ok || !bytes.Equal(a, hw) {
		t.Errorf("hardware address %v", a)
	}
	for _, bad := range []DUID{{0, 1}, {0, 4, 1, 2, 3}, make(DUID, 131), {0, 1, 0, 1, 0}} {
		if bad.Validate() == nil {
			t.Errorf("%v passes Validate", bad)
		}
	}
}

func TestDUIDText(t *testing.T) {
	d := NewDUIDLL(HardwareTypeEthernet, []byte{2, 0, 0x5e, 0x10, 0, 1})
	b, err := json.Marshal(struct{ D DUID }{d})
	if err != nil || string(b) != `{"D":"00:03:00:01:02:00:5e:10:00:01"}` {
		t.Fatalf("JSON %s %v", b, err)
	}
	var back struct{ D DUID }
	if err := json.Unmarshal(b, &back); err != nil || !bytes.Equal(back.D, d) {
		t.Fatalf("read back %v %v", back.D, err)
	}
	if err := json.Unmarshal([]byte(`{"D":"00:01"}`), &back); err == nil {
		t.Error("a 2-byte DUID was accepted")
	}
}

// TestServerMessages decodes what kea-dhcp6, dibbler-server and dnsmasq
// sent: each names a server and the client, and every Reply and
// Advertise that grants something carries IAs with addresses or
// prefixes and lifetimes within them.
func TestServerMessages(t *testing.T) {
	for _, s := range serverMessages(t) {
		m, err := Parse(s.data)
		if err != nil {
			t.Errorf("%s: %v", s.name, err)
			continue
		}
		o := m.Options()
		if sid, ok := o.ServerID(); !ok || sid.Validate() != nil {
			t.Errorf("%s: server id %v", s.name, sid)
		}
		if _, ok := o.ClientID(); !ok {
			t.Errorf("%s: no client id", s.name)
		}
		for _, code := range []OptionCode{OptionIANA, OptionIAPD} {
			for ia := range o.IAs(code) {
				for a := range ia.Addresses() {
					if a.Preferred > a.Valid || !a.Addr.Is6() {
						t.Errorf("%s: IA %d address %+v", s.name, ia.IAID, a)
					}
				}
				for p := range ia.Prefixes() {
					if p.Preferred > p.Valid || p.Prefix.Bits() != 56 {
						t.Errorf("%s: IA %d prefix %+v", s.name, ia.IAID, p)
					}
				}
			}
		}
	}
}
