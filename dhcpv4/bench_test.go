package dhcpv4

import (
	"net/netip"
	"testing"
)

var (
	benchMask   = netip.MustParseAddr("255.255.0.0")
	benchDNS    = [2]netip.Addr{netip.MustParseAddr("192.0.2.53"), netip.MustParseAddr("192.0.2.54")}
	benchYIAddr = netip.MustParseAddr("198.18.1.7")
)

// buildOffer is the server's work between decode and encode in the
// benchmarks: the same eleven fields the insomniacslk anchor sets.
func buildOffer(b *Builder, out []byte, req *Packet) {
	mt := Offer
	if req.MessageType() == Request {
		mt = Ack
	}
	b.Reply(out, req, mt)
	b.SetYIAddr(benchYIAddr)
	b.AddIP(OptionServerID, testServer)
	b.AddIP(OptionSubnetMask, benchMask)
	b.AddIP(OptionRouter, testGI)
	b.AddIPs(OptionDomainNameServer, benchDNS[:]...)
	b.AddUint32(OptionLeaseTime, 3600)
	b.AddUint32(OptionRenewalTime, 1800)
	b.AddUint32(OptionRebindingTime, 3150)
	b.AddString(OptionDomainName, "example.com")
}

func benchDecode(b *testing.B, raw []byte) {
	var p Packet
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Decode(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeDiscover(b *testing.B) { benchDecode(b, discoverBytes(b)) }
func BenchmarkDecodeRequest(b *testing.B)  { benchDecode(b, requestBytes(b)) }

func benchServerPath(b *testing.B, raw []byte) {
	var p Packet
	var bld Builder
	out := make([]byte, 1500)
	b.ReportAllocs()
	for b.Loop() {
		if err := p.Decode(raw); err != nil {
			b.Fatal(err)
		}
		_ = p.ClientID()
		_, _ = p.RelayAgentInfo()
		buildOffer(&bld, out, &p)
		if _, err := bld.Finish(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkServerPath* is the target: decode a client message,
// build the reply and encode it; ≤ 250 ns and 0 allocs/op.
func BenchmarkServerPathDiscoverOffer(b *testing.B) { benchServerPath(b, discoverBytes(b)) }
func BenchmarkServerPathRequestAck(b *testing.B)    { benchServerPath(b, requestBytes(b)) }

func BenchmarkEncodeOffer(b *testing.B) {
	var p Packet
	if err := p.Decode(discoverBytes(b)); err != nil {
		b.Fatal(err)
	}
	var bld Builder
	out := make([]byte, 1500)
	b.ReportAllocs()
	for b.Loop() {
		buildOffer(&bld, out, &p)
		if _, err := bld.Finish(); err != nil {
			b.Fatal(err)
		}
	}
}
