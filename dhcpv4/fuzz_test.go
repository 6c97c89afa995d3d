package dhcpv4

import (
	"bytes"
	"testing"
)

// addSeeds adds the seed corpus (seedMessages) and a message whose option
// 12 continues from the options field into file, with an option in
// sname, assembled by hand.
func addSeeds(f *testing.F) {
	for _, s := range seedMessages(f) {
		f.Add(s.data)
	}
	over := rawPacket(opt(53, 3), opt(52, 3), opt(12, 'a'))
	copy(over[offFile:], append(opt(12, 'b'), 255))
	copy(over[offSName:], append(opt(67, 'c'), 255))
	f.Add(over)
}

// FuzzDecode checks that no input panics the decoder and that what it
// reports is self-consistent.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Packet
		if err := p.Decode(data); err != nil {
			return
		}
		n := 0
		p.Options(func(c OptionCode, v []byte) bool {
			n++
			w, ok := p.Option(c)
			if !ok || !bytes.Equal(v, w) {
				t.Fatalf("option %d: iteration and lookup disagree", c)
			}
			return true
		})
		if n != p.NumOptions() {
			t.Fatalf("iterated %d options, NumOptions says %d", n, p.NumOptions())
		}
		_ = p.CHAddr()
		_, _ = p.RelayAgentInfo()
		_, _ = p.ClientFQDN()
		p.VendorData(OptionVIVendorSpecific, func(uint32, []byte) bool { return true })
		_ = p.SName()
		_ = p.File()
	})
}

// FuzzRoundTrip decodes, re-encodes every option with Builder and decodes
// again: header fields and every option value must survive.
func FuzzRoundTrip(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Packet
		if err := p.Decode(data); err != nil {
			return
		}
		var b Builder
		b.Begin(make([]byte, 1<<17), p.Op(), 0, p.XID())
		b.SetMaxSize(1 << 17)
		b.SetCHAddr(p.HType(), p.CHAddrField())
		b.SetHops(p.Hops())
		b.SetSecs(p.Secs())
		b.SetFlags(p.Flags())
		b.SetCIAddr(p.CIAddr())
		b.SetYIAddr(p.YIAddr())
		b.SetSIAddr(p.SIAddr())
		b.SetGIAddr(p.GIAddr())
		p.Options(func(c OptionCode, v []byte) bool {
			if c != OptionOverload {
				b.AddOption(c, v)
			}
			return true
		})
		out, err := b.Finish()
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		var q Packet
		if err := q.Decode(out); err != nil {
			t.Fatalf("decode of re-encoded message: %v", err)
		}
		if q.Op() != p.Op() || q.XID() != p.XID() || q.Flags() != p.Flags() || q.Secs() != p.Secs() ||
			q.Hops() != p.Hops() || q.CIAddr() != p.CIAddr() || q.YIAddr() != p.YIAddr() ||
			q.SIAddr() != p.SIAddr() || q.GIAddr() != p.GIAddr() || !bytes.Equal(q.CHAddrField(), p.CHAddrField()) {
			t.Fatal("header changed in the round trip")
		}
		want := p.NumOptions()
		if p.HasOption(OptionOverload) {
			want--
		}
		if q.NumOptions() != want {
			t.Fatalf("%d options after the round trip, want %d", q.NumOptions(), want)
		}
		p.Options(func(c OptionCode, v []byte) bool {
			if c == OptionOverload {
				return true
			}
			if w, ok := q.Option(c); !ok || !bytes.Equal(v, w) {
				t.Fatalf("option %d changed in the round trip", c)
			}
			return true
		})
	})
}

// FuzzReply answers any message the decoder accepts the way a server does,
// into a buffer of a server's size (an Ethernet frame's worth): Finish must
// return an error or a message that decodes, carries its type and server
// identifier, and echoes option 82 whole.
func FuzzReply(f *testing.F) {
	addSeeds(f)
	// Relay information split over many instances, longer than a reply
	// can echo within the client's limit.
	var long [][]byte
	long = append(long, opt(53, 1))
	for range 5 {
		long = append(long, opt(82, make([]byte, 255)...))
	}
	f.Add(rawPacket(long...))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Packet
		if err := p.Decode(data); err != nil {
			return
		}
		var b Builder
		b.Reply(make([]byte, 1500-28), &p, Offer)
		b.SetYIAddr(testReqIP)
		b.AddIP(OptionServerID, testServer)
		b.AddUint32(OptionLeaseTime, 3600)
		b.AddIPs(OptionDomainNameServer, testServer, testGI)
		b.AddString(OptionDomainName, "example.org")
		out, err := b.Finish()
		if err != nil {
			return
		}
		var q Packet
		if err := q.Decode(out); err != nil {
			t.Fatalf("reply does not decode: %v", err)
		}
		if id, _ := q.ServerID(); q.MessageType() != Offer || id != testServer {
			t.Fatalf("reply type %v, server id %v", q.MessageType(), id)
		}
		want, has := p.Option(OptionRelayAgentInfo)
		if got, ok := q.Option(OptionRelayAgentInfo); ok != has || !bytes.Equal(got, want) {
			t.Fatalf("option 82 echoed as %x (%v), request had %x (%v)", got, ok, want, has)
		}
	})
}
